// What the node-cluster primary and every peer driver share: one pool of workers behind a control endpoint with the
// same routes (GET /workers, POST /recycle, POST|DELETE /workers/:pid/faults, POST|DELETE /startup-fault). A non-2xx
// answer becomes a TargetError saying what was asked and why it failed; the fault routes are refused before any
// request when the run has fault injection off, and a pool name other than the target's one is refused too.
import type { StartupFaultSpec, WorkerFaultSpec } from '../../faults/spec';
import { errorText, type ControlReply } from './control-client';
import { TargetError } from './errors';
import { HostedTarget } from './hosted-target';
import type { TargetHost } from './target-host';
import type { Endpoint, WorkerInfo } from './types';

/** The control endpoint, whichever way it is reached; answers every status, throws only when unreachable. */
export interface ControlTransport {
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<ControlReply<T>>;
}

export interface ControlledTargetOptions {
  control: ControlTransport;
  /** The one pool the target reports. */
  pool: string;
  faultsEnabled: boolean;
  stopGraceMs: number;
  /** What `recycle()` is called in this target's error messages ("rolling restart", "recycle"). */
  recycleName: string;
}

export abstract class ControlledTarget extends HostedTarget {
  private readonly control: ControlTransport;
  private readonly pool: string;
  private readonly faultsEnabled: boolean;
  private readonly recycleName: string;

  constructor(host: TargetHost, endpoint: Endpoint, o: ControlledTargetOptions) {
    super(host, endpoint, o.stopGraceMs);
    this.control = o.control;
    this.pool = o.pool;
    this.faultsEnabled = o.faultsEnabled;
    this.recycleName = o.recycleName;
  }

  protected checkPool(pool: string | undefined): void {
    if (pool !== undefined && pool !== this.pool) {
      throw new TargetError(
        'LAB_ERR_TARGET_CONTROL',
        `${this.name} has a single pool "${this.pool}" (asked for "${pool}")`,
      );
    }
  }

  /** A control request whose non-2xx answer becomes a TargetError with `code`. */
  protected async call<T>(
    method: string,
    route: string,
    body: unknown,
    code: 'LAB_ERR_TARGET_CONTROL' | 'LAB_ERR_FAULT',
    what: string,
  ): Promise<T> {
    const reply = await this.control.request<T>(method, route, body);
    if (reply.status < 200 || reply.status > 299) {
      throw new TargetError(code, `${this.name}: ${what} failed (HTTP ${reply.status}): ${errorText(reply.body)}`);
    }
    return reply.body;
  }

  private needFaults(what: string): void {
    if (!this.faultsEnabled)
      throw new TargetError('LAB_ERR_FAULT', `cannot ${what}: fault injection is not enabled for this run`);
  }

  async recycle(pool?: string): Promise<void> {
    this.checkPool(pool);
    await this.call('POST', '/recycle', undefined, 'LAB_ERR_TARGET_CONTROL', this.recycleName);
  }

  async workers(pool?: string): Promise<WorkerInfo[]> {
    this.checkPool(pool);
    return this.call<WorkerInfo[]>('GET', '/workers', undefined, 'LAB_ERR_TARGET_CONTROL', 'listing workers');
  }

  override async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.pid}`);
    const what = `injecting ${spec.kind} into worker ${worker.pid}`;
    await this.call('POST', `/workers/${worker.pid}/faults`, spec, 'LAB_ERR_FAULT', what);
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.pid}`);
    const what = `healing worker ${worker.pid}`;
    await this.call('DELETE', `/workers/${worker.pid}/faults`, undefined, 'LAB_ERR_FAULT', what);
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.checkPool(pool);
    this.needFaults('set a startup fault');
    if (spec === null)
      await this.call('DELETE', '/startup-fault', undefined, 'LAB_ERR_FAULT', 'clearing the startup fault');
    else {
      const body = { mode: spec.mode, count: spec.count };
      await this.call('POST', '/startup-fault', body, 'LAB_ERR_FAULT', 'setting a startup fault');
    }
  }
}

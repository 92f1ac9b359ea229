// The lab side of a peer driver (targets/peers/<peer>/driver.js): starts the driver as a local process with its
// settings as JSON (W3LAB_PEER_SETTINGS), waits for HostStarted, and drives it only through its control endpoint
// (the same routes as the node-cluster primary's: workers, faults, rolling restart, startup faults, plus a front
// reload where the peer has a front). Every peer target (nginx, haproxy, gunicorn, pm2) is this class plus its own
// settings schema, capabilities and driver program.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { StartupFaultSpec, WorkerFaultSpec } from '../../faults/spec';
import { ControlClient, errorText } from './control-client';
import { endpointOf } from './endpoint';
import { TargetError } from './errors';
import { EventProcess } from './event-process';
import type { LabEvent } from '../events';
import type { TargetLogEvent } from './event-log';
import { HostedTarget } from './hosted-target';
import { labEventFromPeerLine } from './peer-events';
import { labPaths } from './repo-paths';
import { ProcessHost } from './target-host';
import type { TargetContext, WorkerInfo } from './types';

export const PEER_STOP_GRACE_MS = 20_000;

export interface PeerLaunch {
  name: string;
  /** The driver program (absolute path). */
  driver: string;
  /** Validated settings; `runDir` is added here. */
  settings: Record<string, unknown>;
  startTimeoutMs: number;
  pool: string;
  /** Extra environment for the driver (e.g. PM2_HOME). */
  env?: Record<string, string>;
}

export async function launchPeer(ctx: TargetContext, o: PeerLaunch, log: Logger): Promise<StartedPeer> {
  const paths = labPaths();
  const faults = ctx.faultInjection.enabled;
  if (faults && !fs.existsSync(paths.faultPreload)) {
    throw new TargetError(
      'LAB_ERR_TARGET_START',
      `${o.name}: the fault agent ${paths.faultPreload} is not built: run \`npm run build\``,
    );
  }
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const settings = { ...o.settings, runDir: ctx.runDir, startTimeoutMs: o.startTimeoutMs };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...o.env,
    W3LAB_RUN_ID: ctx.runId,
    POOL: o.pool,
    W3LAB_PEER_SETTINGS: JSON.stringify(settings),
    W3LAB_FAULTS: faults ? '1' : '0',
    W3LAB_PRELOAD: paths.faultPreload,
    CONTROL_TOKEN: faults ? ctx.faultInjection.token : '',
  };
  const proc = new EventProcess({
    name: o.name,
    args: [o.driver],
    cwd: ctx.runDir,
    runId: ctx.runId,
    env,
    logFile: path.join(ctx.runDir, `${o.name}.log`),
    log,
  });
  const host = new ProcessHost(proc, o.name);
  try {
    const started = await host.waitForEvent(
      (e) => e.type === 'HostStarted',
      o.startTimeoutMs + 5000,
      'HostStarted event',
    );
    const c = started['control'] as { host?: string; port?: number } | undefined;
    if (typeof c?.port !== 'number')
      throw new TargetError(
        'LAB_ERR_TARGET_START',
        `${o.name}: HostStarted has no control port: ${JSON.stringify(started)}`,
      );
    const control = new ControlClient({
      name: o.name,
      host: c.host ?? '127.0.0.1',
      port: c.port,
      ...(faults ? { token: ctx.faultInjection.token } : {}),
    });
    log.info({ url: endpointOf(started['listen']).url, ...host.details() }, `${o.name} started`);
    return new StartedPeer(o.name, host, endpointOf(started['listen']), control, o.pool, faults);
  } catch (err) {
    await host.kill();
    throw err;
  }
}

export class StartedPeer extends HostedTarget {
  constructor(
    readonly name: string,
    host: ProcessHost,
    endpoint: ReturnType<typeof endpointOf>,
    private readonly control: ControlClient,
    private readonly pool: string,
    private readonly faultsEnabled: boolean,
  ) {
    super(host, endpoint, PEER_STOP_GRACE_MS);
  }

  protected mapEvent(raw: TargetLogEvent): LabEvent | null {
    return labEventFromPeerLine(raw, this.name);
  }

  private checkPool(pool: string | undefined): void {
    if (pool !== undefined && pool !== this.pool) {
      throw new TargetError(
        'LAB_ERR_TARGET_CONTROL',
        `${this.name} has a single pool "${this.pool}" (asked for "${pool}")`,
      );
    }
  }

  private async call<T>(
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
    await this.call('POST', '/recycle', undefined, 'LAB_ERR_TARGET_CONTROL', 'recycle');
  }

  async frontReload(): Promise<void> {
    await this.call('POST', '/front-reload', undefined, 'LAB_ERR_TARGET_CONTROL', 'front reload');
  }

  async workers(pool?: string): Promise<WorkerInfo[]> {
    this.checkPool(pool);
    return this.call<WorkerInfo[]>('GET', '/workers', undefined, 'LAB_ERR_TARGET_CONTROL', 'listing workers');
  }

  override async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.pid}`);
    await this.call(
      'POST',
      `/workers/${worker.pid}/faults`,
      spec,
      'LAB_ERR_FAULT',
      `injecting ${spec.kind} into worker ${worker.pid}`,
    );
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.pid}`);
    await this.call(
      'DELETE',
      `/workers/${worker.pid}/faults`,
      undefined,
      'LAB_ERR_FAULT',
      `healing worker ${worker.pid}`,
    );
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.checkPool(pool);
    this.needFaults('set a startup fault');
    if (spec === null)
      await this.call('DELETE', '/startup-fault', undefined, 'LAB_ERR_FAULT', 'clearing the startup fault');
    else
      await this.call(
        'POST',
        '/startup-fault',
        { mode: spec.mode, count: spec.count },
        'LAB_ERR_FAULT',
        'setting a startup fault',
      );
  }
}

// What every started target shares whatever its runtime (target-host.ts): events, signals by the PIDs the target
// reports, stop/kill, the exit-time last resort, and — only when the host is a container — the container-level
// capabilities (CanControlContainer, CanOomKill). A process target simply lacks those properties, so a scenario step
// that needs one gets the runner's capability error.
import type { W3Event } from '../../targets/w3/events/event-types';
import type { WorkerFaultSpec } from '../../faults/spec';
import { TargetError } from './errors';
import type { TargetHost } from './target-host';
import type { Endpoint, OomKill, StartedTarget, WorkerInfo } from './types';

export abstract class HostedTarget implements StartedTarget {
  abstract readonly name: string;
  readonly pid?: number;
  readonly runtimeDetails: Record<string, unknown>;
  readonly containerKill?: (signal: NodeJS.Signals) => Promise<void>;
  readonly containerPause?: () => Promise<void>;
  readonly containerUnpause?: () => Promise<void>;
  readonly containerRestart?: () => Promise<{ durationMs: number }>;
  readonly oomKillWorker?: (worker: WorkerInfo, leak: WorkerFaultSpec, opts?: { timeoutMs?: number }) => Promise<OomKill>;

  constructor(
    protected readonly host: TargetHost,
    readonly endpoint: Endpoint,
    private readonly stopGraceMs: number,
  ) {
    if (host.pid !== undefined) this.pid = host.pid;
    this.runtimeDetails = host.details();
    const c = host.container;
    if (c) {
      this.containerKill = (signal) => c.containerKill(signal);
      this.containerPause = () => c.containerPause();
      this.containerUnpause = () => c.containerUnpause();
      this.containerRestart = () => c.containerRestart();
      this.oomKillWorker = (worker, leak, opts) => {
        if (leak.kind !== 'leak') throw new TargetError('LAB_ERR_FAULT', `an OOM kill needs a leak fault, not "${leak.kind}"`);
        const inject = this.injectFault;
        if (!inject) throw new TargetError('LAB_ERR_FAULT', `${this.name} cannot inject a leak into a worker`);
        return c.oomKill(worker, () => inject.call(this, worker, leak), opts?.timeoutMs);
      };
    }
  }

  /** Set by targets that deliver faults into workers (the OOM kill needs it to start the leak). */
  injectFault?(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void>;

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    await this.host.signal(pid, signal);
  }

  events(): W3Event[] {
    return this.host.events();
  }

  stop(): Promise<void> {
    return this.host.stop(this.stopGraceMs);
  }

  kill(): Promise<void> {
    return this.host.kill();
  }

  killSync(): void {
    this.host.killSync();
  }
}

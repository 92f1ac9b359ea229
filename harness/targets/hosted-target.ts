// What every started target shares whatever its runtime (target-host.ts): events, signals by the PIDs the target
// reports, stop/kill, the exit-time last resort, and — only when the host is a container — the container-level
// capabilities (CanControlContainer, CanOomKill). A process target simply lacks those properties, so a scenario step
// that needs one gets the runner's capability error. Events: the host collects the target's own; each adapter
// maps them into the lab's vocabulary (mapEvent), once each, in arrival order; what the lab itself proved (a kernel
// OOM kill) is added with source "lab".
import { labEvent, type LabEvent } from '../events';
import type { WorkerFaultSpec } from '../../faults/spec';
import type { TargetLogEvent } from './event-log';
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
  readonly oomKillWorker?: (
    worker: WorkerInfo,
    leak: WorkerFaultSpec,
    opts?: { timeoutMs?: number },
  ) => Promise<OomKill>;
  private readonly mapped: LabEvent[] = [];
  private rawSeen = 0;
  /** What goes with the target however it ends (stop, kill, the exit-time last resort): e.g. a temp socket folder. */
  private readonly releases: Array<() => void> = [];

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
        if (leak.kind !== 'leak')
          throw new TargetError('LAB_ERR_FAULT', `an OOM kill needs a leak fault, not "${leak.kind}"`);
        const inject = this.injectFault?.bind(this);
        if (!inject) throw new TargetError('LAB_ERR_FAULT', `${this.name} cannot inject a leak into a worker`);
        return c
          .oomKill(worker, () => inject(worker, leak), opts?.timeoutMs)
          .then((kill) => {
            if (kill.kernelOomKill) this.recordOomKill(worker, kill);
            return kill;
          });
      };
    }
  }

  /** Set by targets that deliver faults into workers (the OOM kill needs it to start the leak). */
  injectFault?(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void>;

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    await this.host.signal(pid, signal);
  }

  /** The adapter's mapping of one of the target's own events into the lab vocabulary (null: no word for it). */
  protected abstract mapEvent(raw: TargetLogEvent): LabEvent | null;

  /** Every event so far in the lab's vocabulary, in arrival order (each raw event is mapped once). */
  events(): LabEvent[] {
    const raw = this.host.events();
    for (; this.rawSeen < raw.length; this.rawSeen++) {
      const e = this.mapEvent(raw[this.rawSeen]!);
      if (e) this.mapped.push(e);
    }
    return this.mapped.slice();
  }

  private recordOomKill(worker: WorkerInfo, kill: OomKill): void {
    this.events(); // the target's events up to now come first
    this.mapped.push(
      labEvent('WorkerOomKilled', {
        t: kill.crashedAt,
        source: 'lab',
        pool: worker.pool,
        pid: kill.pid,
        workerId: kill.workerId,
        oomKillCount: kill.oomKillCount,
        cgroup: kill.cgroup,
        replacementPid: kill.replacementPid,
      }),
    );
  }

  /** Run `release` once the target has ended, however it ends (after a failed stop or kill too). */
  protected releaseWhenEnded(release: () => void): void {
    this.releases.push(release);
  }

  private released(): void {
    for (const release of this.releases.splice(0)) release();
  }

  async stop(): Promise<void> {
    try {
      await this.host.stop(this.stopGraceMs);
    } finally {
      this.released();
    }
  }

  async kill(): Promise<void> {
    try {
      await this.host.kill();
    } finally {
      this.released();
    }
  }

  killSync(): void {
    try {
      this.host.killSync();
    } finally {
      this.released();
    }
  }
}

// An application pool: its request queue, its workers and its state (Started / Stopped). It decides which worker
// serves a job, starts workers on demand (or keeps them running), replaces crashed ones, and applies rapid-fail
// protection. Recycling lives in recycler.ts, periodic checks (pings, idle, memory, schedule, CPU) in health.ts.
import { WorkerProcess } from './worker-process';
import { RapidFailWindow, type FailureKind } from './rapid-fail';
import { Recycler } from './recycler';
import { HealthMonitor } from './health';
import { Orphans } from './orphans';
import { expandArgs, runPoolCommand } from './pool-commands';
import { poolSnapshot, type PoolSnapshot } from './pool-snapshot';
import type { PoolJob, RejectReason } from './pool-job';
import type { PoolConfig, ApplicationConfig } from '../config/types';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../util/logger';
import type { RecycleReason } from '../events/event-types';

export type StopReason = 'RapidFail' | 'Admin' | 'CpuLimit';

export interface PoolContext {
  events: EventLog;
  log: Logger;
  faultInjection: boolean;
  nextWorkerId: () => number;
  /** timers.requestQueueTimeout of the current configuration (ms, 0 = off): the pool queue's timer. */
  requestQueueTimeout: () => number;
}

export class AppPool {
  readonly name: string;
  state: 'Started' | 'Stopped' = 'Stopped';
  stopReason: StopReason | null = null;
  readonly workers: WorkerProcess[] = [];
  readonly orphans: Orphans;
  readonly queue: PoolJob[] = [];
  /** When each queued job (re-)entered the queue: the queue timer measures waiting, not time spent on a worker. */
  readonly queuedAt = new WeakMap<PoolJob, number>();
  readonly rapidFail: RapidFailWindow;
  readonly recycler: Recycler;
  readonly health: HealthMonitor;
  startupFault: { mode: 'crash' | 'hang'; remaining: number } | null = null;
  private rr = 0;
  private exitWaiters: (() => void)[] = [];

  constructor(
    public config: PoolConfig,
    public apps: ApplicationConfig[],
    readonly ctx: PoolContext,
  ) {
    this.name = config.name;
    const f = config.failure;
    this.rapidFail = new RapidFailWindow(f.rapidFailProtection, f.rapidFailProtectionMaxCrashes, f.rapidFailProtectionInterval);
    this.recycler = new Recycler(this);
    this.health = new HealthMonitor(this);
    this.orphans = new Orphans(this.name, ctx.events, ctx.log);
  }

  /**
   * A configuration reload changed this pool's settings or applications. New workers use them; running workers
   * see the new limits (recycle triggers, time limits, rapid-fail window) at once, while their ping timers keep the
   * old pingInterval until they are replaced. The caller decides whether to recycle (disallowRotationOnConfigChange).
   */
  reconfigure(config: PoolConfig, apps: ApplicationConfig[]): void {
    this.config = config;
    this.apps = apps;
    const f = config.failure;
    this.rapidFail.configure(f.rapidFailProtection, f.rapidFailProtectionMaxCrashes, f.rapidFailProtectionInterval);
    this.health.restart();
    this.ensureWorkers();
  }

  get log(): Logger {
    return this.ctx.log;
  }

  /** Host start: pools with autoStart come up (AlwaysRunning ones start their workers now). */
  boot(): void {
    if (this.config.autoStart) this.start('boot');
    this.health.start();
  }

  // ---- requests -------------------------------------------------------------------------------------------

  submit(job: PoolJob): void {
    if (this.state === 'Stopped') return this.rejectJob(job, this.stoppedRejectReason());
    const w = this.pickWorker(job);
    if (w && this.queue.length === 0) {
      this.dispatch(job, w);
      this.growGarden();
      return;
    }
    if (this.queue.length >= this.config.queueLength) {
      this.ctx.events.emit({ type: 'QueueFull', pool: this.name, queueLength: this.config.queueLength });
      return this.rejectJob(job, 'QueueFull');
    }
    this.queue.push(job);
    this.queuedAt.set(job, Date.now());
    this.ensureWorkers();
    this.drainQueue();
  }

  private rejectJob(job: PoolJob, reason: RejectReason): void {
    job.reject(reason, this.config.failure.loadBalancerCapabilities === 'TcpLevel');
  }

  private stoppedRejectReason(): RejectReason {
    if (this.stopReason === 'RapidFail') return 'AppOffline';
    if (this.stopReason === 'CpuLimit') return 'AppShutdown';
    return 'Disabled';
  }

  /** Least in-flight among dispatchable workers; round-robin on ties (a balanced web garden). */
  pickWorker(job: PoolJob | null): WorkerProcess | null {
    let best: WorkerProcess | null = null;
    const n = this.workers.length;
    const now = Date.now();
    const overdue = pingOverdueMs(this.config);
    for (let i = 0; i < n; i++) {
      const w = this.workers[(this.rr + i) % n]!;
      if (!w.dispatchable(now, overdue) || (job && job.avoid === w)) continue;
      if (!best || w.inFlight < best.inFlight) best = w;
    }
    if (best) this.rr = (this.rr + 1) % Math.max(1, n);
    return best;
  }

  private dispatch(job: PoolJob, w: WorkerProcess): void {
    w.inFlight++;
    w.lastActivity = Date.now();
    job.dispatchedAt = w.lastActivity;
    this.health.trackDispatch(w, job);
    job.run(w);
  }

  drainQueue(): void {
    while (this.queue.length > 0) {
      const job = this.queue[0]!;
      if (job.cancelled) {
        this.queue.shift();
        continue;
      }
      const w = this.pickWorker(job);
      if (!w) return;
      this.queue.shift();
      this.dispatch(job, w);
    }
  }

  /** The listener reports a job finished on `w` (completed: a full response was delivered). */
  jobDone(w: WorkerProcess, job: PoolJob, completed: boolean): void {
    w.inFlight--;
    w.lastActivity = Date.now();
    this.health.trackDone(w, job);
    if (completed) {
      w.requests++;
      const limit = this.config.recycling.periodicRestart.requests;
      // ">=": a recycle that could not start now (overlap failed, garden stagger) is retried on a later request.
      if (limit > 0 && w.requests >= limit) this.recycler.recycleWorker(w, 'Requests');
    }
    if (w.state === 'Draining' && w.inFlight === 0) w.requestShutdown();
  }

  /** The transport to `w` failed before any response byte: put the job back at the head of the queue. */
  requeue(job: PoolJob, w: WorkerProcess): void {
    job.avoid = w;
    this.queue.unshift(job);
    this.queuedAt.set(job, Date.now());
    // The job must not go back to a worker whose socket just failed; if it turns out alive, routing resumes.
    this.health.suspect(w);
    this.ensureWorkers();
    this.drainQueue();
  }

  // ---- workers --------------------------------------------------------------------------------------------

  /** Workers that serve or will serve (not draining, not being replaced). */
  private liveCount(): number {
    // A worker draining for a non-overlapped recycle has its replacement coming: count it as live.
    let n = this.recycler.pendingReplacements();
    for (const w of this.workers) {
      // A worker being killed is not live: its replacement may start before its exit is seen.
      if ((w.state === 'Starting' || w.state === 'Ready') && !w.overlapReplacement && w.endReason === null) n++;
    }
    return n;
  }

  ensureWorkers(): void {
    if (this.state !== 'Started') return;
    const want = this.config.startMode === 'AlwaysRunning' ? this.config.processModel.maxProcesses : this.queue.length > 0 ? 1 : 0;
    for (let live = this.liveCount(); live < want; live++) this.startWorker(null);
  }

  /** Web garden: add a worker when every ready one is busy, up to maxProcesses. */
  private growGarden(): void {
    const max = this.config.processModel.maxProcesses;
    if (max <= 1 || this.liveCount() >= max) return;
    if (this.workers.some((w) => w.state === 'Starting' && !w.overlapReplacement)) return;
    if (this.workers.every((w) => w.state !== 'Ready' || w.inFlight > 0)) this.startWorker(null);
  }

  /** `overlap`: the worker is an overlapped recycle's replacement, serving beside the worker it replaces. */
  startWorker(recycleId: number | null, overlap = false): WorkerProcess {
    let startupFault: 'crash' | 'hang' | null = null;
    if (this.startupFault && this.ctx.faultInjection) {
      startupFault = this.startupFault.mode;
      if (this.startupFault.remaining > 0 && --this.startupFault.remaining === 0) this.startupFault = null;
    }
    const id = this.ctx.nextWorkerId();
    const w = new WorkerProcess({
      pool: this.name,
      id,
      apps: this.apps,
      faultInjection: this.ctx.faultInjection,
      startupFault,
      log: this.log.child({ workerId: id }),
    });
    w.recycleId = recycleId;
    w.overlapReplacement = overlap;
    this.workers.push(w);
    w.start();
    this.ctx.events.emit({ type: 'WorkerStarting', pool: this.name, workerId: id, pid: w.pid, recycleId: recycleId ?? undefined });
    this.health.watchStartup(w);
    w.once('ready', () => {
      this.ctx.events.emit({ type: 'WorkerReady', pool: this.name, workerId: id, pid: w.pid, recycleId: recycleId ?? undefined, startupMs: Date.now() - w.startedAt });
      this.health.watchReady(w);
      this.recycler.onWorkerReady(w);
      this.drainQueue();
    });
    w.once('exit', (code: number | null, signal: NodeJS.Signals | null) => this.onWorkerExit(w, code, signal));
    w.on('malformed', () => this.failure(w, 'malformed-message', 'ill-formed control message (IIS 5127)'));
    w.on('unhealthy', (reason: string) => this.recycler.recycleWorker(w, 'IsapiUnhealthy', reason));
    return w;
  }

  private onWorkerExit(w: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const base = { pool: this.name, workerId: w.id, pid: w.pid, exitCode: code, signal };
    if (this.orphans.onExit(w)) {
      this.ctx.events.emit({ type: 'WorkerExited', ...base, reason: 'orphaned' });
      for (const f of this.exitWaiters.splice(0)) f();
      return;
    }
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    this.health.forget(w);
    let stopped = false;
    if (w.endReason) {
      this.ctx.events.emit({ type: 'WorkerExited', ...base, reason: w.endReason });
    } else {
      this.ctx.events.emit({ type: 'WorkerCrashed', ...base, reason: w.readyAt ? 'crash' : 'startup-crash' });
      stopped = this.countFailure('crash');
    }
    this.recycler.onWorkerExit(w);
    for (const f of this.exitWaiters.splice(0)) f();
    if (!stopped) {
      this.ensureWorkers();
      this.drainQueue();
    }
  }

  /** A counted failure of a live worker: kill it (or orphan it) and apply rapid-fail protection. */
  failure(w: WorkerProcess, kind: FailureKind, reason: string): void {
    if (w.exited || w.endReason) return;
    // Only a worker that is alive but unhealthy is worth keeping for a debugger: hung (ping) or zombie (stalled).
    if ((kind === 'ping' || kind === 'stalled') && this.config.failure.orphanWorkerProcess) {
      this.orphan(w, reason);
    } else {
      w.endReason = kind;
      this.ctx.events.emit({ type: 'WorkerKilled', pool: this.name, workerId: w.id, pid: w.pid, reason, kind });
      w.kill(kind);
    }
    if (!this.countFailure(kind)) this.ensureWorkers();
  }

  private orphan(w: WorkerProcess, reason: string): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    this.health.forget(w);
    this.orphans.adopt(w, reason, this.config.failure.orphanActionCommand);
    // It left the pool like a dead worker: a recycle waiting on it moves on, and a replacement starts.
    this.recycler.onWorkerExit(w);
    this.ensureWorkers();
    this.drainQueue();
  }

  /** Returns true when this failure stopped the pool. */
  countFailure(kind: FailureKind): boolean {
    const trip = this.rapidFail.record(kind);
    this.ctx.events.emit({ type: 'RapidFailCount', pool: this.name, reason: kind, count: this.rapidFail.count(), windowMs: this.rapidFail.windowMs });
    if (trip && this.state === 'Started') {
      this.stop('RapidFail');
      return true;
    }
    return false;
  }

  // ---- pool state -----------------------------------------------------------------------------------------

  start(why: 'boot' | 'admin'): void {
    if (this.state === 'Started') return;
    this.state = 'Started';
    this.stopReason = null;
    this.rapidFail.reset();
    this.ctx.events.emit({ type: 'PoolStarted', pool: this.name, reason: why });
    this.ensureWorkers();
  }

  stop(reason: StopReason): void {
    if (this.state === 'Stopped') return;
    this.state = 'Stopped';
    this.stopReason = reason;
    this.ctx.events.emit({ type: 'PoolStopped', pool: this.name, reason });
    // Queued requests are answered now, not left to time out (IIS: "including requests already queued").
    for (const job of this.queue.splice(0)) if (!job.cancelled) this.rejectJob(job, this.stoppedRejectReason());
    for (const w of [...this.workers]) {
      if (!w.killRequested) this.recycler.drain(w, reason === 'RapidFail' ? 'rapid-fail' : 'pool-stop');
    }
    const cmd = this.config.failure.autoShutdownCommand;
    if (reason === 'RapidFail' && cmd) runPoolCommand(expandArgs(cmd, this.name), 'autoShutdownCommand', this.log);
  }

  /** Host stop or pool removal: stop routing, drain every worker, kill orphans; resolve when all have exited. */
  async shutdown(why: 'host-stop' | 'pool-removed' = 'host-stop'): Promise<void> {
    this.health.stop();
    this.state = 'Stopped';
    this.stopReason = 'Admin';
    for (const job of this.queue.splice(0)) if (!job.cancelled) this.rejectJob(job, 'Disabled');
    for (const w of [...this.workers]) if (!w.killRequested) this.recycler.drain(w, why);
    const orphans = this.orphans.killAll(why);
    while (this.workers.length > 0) await new Promise<void>((r) => this.exitWaiters.push(r));
    await orphans;
  }

  snapshot(): PoolSnapshot {
    return poolSnapshot(this);
  }

  recycle(reason: RecycleReason): number[] {
    return this.recycler.recycleAll(reason);
  }
}

/** A ping unanswered for this long takes a worker out of dispatch (it keeps running until pingResponseTime). */
export function pingOverdueMs(config: PoolConfig): number {
  return Math.min(1000, config.processModel.pingResponseTime / 2);
}

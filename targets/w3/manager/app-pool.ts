// An application pool: its request queue, its workers and its state (Started / Stopped). It decides which worker
// serves a job, starts workers on demand (or keeps them running), replaces crashed ones, and applies rapid-fail
// protection. Recycling lives in recycler.ts, periodic checks (pings, idle, memory, schedule, CPU) in health.ts.
// The pool is the only owner of its queue (request-queue.ts) and of the queue timer: the listener submits, cancels
// and requeues jobs through the methods below. Admission control: a worker runs at most
// processModel.maxConcurrentRequestsPerWorker requests at once; the others wait in the queue, so queueLength is what
// really bounds a burst (503 QueueFull beyond it) and queued requests never see a worker crash.
import { WorkerProcess } from './worker-process';
import { RapidFailWindow, type FailureKind } from './rapid-fail';
import { Recycler } from './recycler';
import { HealthMonitor } from './health';
import { Orphans } from './orphans';
import { expandArgs, runPoolCommand } from './pool-commands';
import { poolSnapshot, type PoolSnapshot } from './pool-snapshot';
import { RequestQueue } from './request-queue';
import { upstreamLimits } from './upstream-limits';
import { keepsAffinity, keepsUp, packsBack } from './dispatch-policy';
import type { HostLag } from './host-lag';
import type { PoolJob, RejectReason } from './pool-job';
import type { PoolConfig, ApplicationConfig } from '../config/types';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../util/logger';
import type { RecycleReason } from '../events/event-types';

export type StopReason = 'RapidFail' | 'Admin' | 'CpuLimit';

export interface PoolContext {
  events: EventLog;
  log: Logger;
  /** The fault plugin's worker module when fault injection is enabled, else null. */
  faultPlugin: string | null;
  nextWorkerId: () => number;
  /** Where worker `id` listens (the host's private runtime directory). */
  workerSocket: (id: number) => string;
  /** listen.transport of the current configuration: how module workers are reached (worker-main.ts). */
  transport?: () => 'http' | 'frames';
  /** timers.requestQueueTimeout of the current configuration (ms, 0 = off): the pool queue's timer. */
  requestQueueTimeout: () => number;
  /** How late the host's own loop runs (one for the host); packing reads it. Absent: not known, nothing discounted. */
  hostLag?: HostLag;
}

export class AppPool {
  readonly name: string;
  state: 'Started' | 'Stopped' = 'Stopped';
  stopReason: StopReason | null = null;
  readonly workers: WorkerProcess[] = [];
  readonly orphans: Orphans;
  readonly queue: RequestQueue;
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
    this.rapidFail = new RapidFailWindow(
      f.rapidFailProtection,
      f.rapidFailProtectionMaxCrashes,
      f.rapidFailProtectionInterval,
    );
    this.recycler = new Recycler(this);
    this.health = new HealthMonitor(this);
    this.orphans = new Orphans(this.name, ctx.events, ctx.log);
    // Queue timer expiry: 503, always at the HTTP level (the request was accepted; only its wait ran out).
    this.queue = new RequestQueue(ctx.requestQueueTimeout, (job) => job.reject('Timer_AppPool', false));
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
    this.queue.reconfigure();
    this.shrinkGarden();
    this.ensureWorkers();
  }

  /** maxProcesses went down: drain the workers beyond it (not yet ready first, then the least busy). */
  private shrinkGarden(): void {
    let excess = this.liveCount() - this.config.processModel.maxProcesses;
    if (excess <= 0) return;
    const live = this.workers.filter((w) => this.isLive(w));
    live.sort((a, b) => (a.state === b.state ? a.inFlight - b.inFlight : a.state === 'Starting' ? -1 : 1));
    for (const w of live) {
      if (excess-- <= 0) break;
      this.recycler.drain(w, 'max-processes');
    }
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
    const w = this.queue.length === 0 ? this.pickWorker(job) : null;
    if (w) {
      this.dispatch(job, w);
      this.growGarden();
      return;
    }
    if (!this.enqueue(job, 'tail')) return;
    this.ensureWorkers();
    this.growGarden();
    this.drainQueue();
  }

  /** Into the queue unless it is full (then 503 QueueFull, or a reset at TcpLevel). */
  private enqueue(job: PoolJob, where: 'head' | 'tail'): boolean {
    if (this.queue.length >= this.config.queueLength) {
      this.ctx.events.emit({ type: 'QueueFull', pool: this.name, queueLength: this.config.queueLength });
      this.rejectJob(job, 'QueueFull');
      return false;
    }
    if (where === 'head') this.queue.unshift(job);
    else this.queue.push(job);
    return true;
  }

  /** The listener gives up on a queued job (client gone, a listener timer): it leaves the queue at once. */
  cancel(job: PoolJob): void {
    job.cancelled = true;
    this.queue.remove(job);
  }

  /** Jobs that avoided `w` (its transport failed) may use it again: it answered a ping. */
  trustAgain(w: WorkerProcess): void {
    for (const job of this.queue.jobs()) if (job.avoid === w) job.avoid = null;
  }

  private rejectJob(job: PoolJob, reason: RejectReason): void {
    job.reject(reason, this.config.failure.loadBalancerCapabilities === 'TcpLevel');
  }

  private stoppedRejectReason(): RejectReason {
    if (this.stopReason === 'RapidFail') return 'AppOffline';
    if (this.stopReason === 'CpuLimit') return 'AppShutdown';
    return 'Disabled';
  }

  /**
   * Which worker runs `job`, among the dispatchable workers with room under maxConcurrentRequestsPerWorker (the limit
   * binds every rule). A client connection's request (framed transport: job.prefer is set, null before its first
   * dispatch) stays on the worker it has a stream on when keepsAffinity says so. With webGardenDispatch "pack" it
   * also packs back onto the first worker in start order that keeps up (packsBack), and one without a usable worker
   * of its own goes to that first worker (dispatch-policy.ts: one worker answers everything while it keeps up).
   * Otherwise — "spread" (IIS), a connection that leaves its worker, no worker keeping up, or a job without a
   * connection — the least loaded (fewest requests in flight) wins, round-robin among equals.
   */
  pickWorker(job: PoolJob | null): WorkerProcess | null {
    const prefer = job?.prefer;
    const pack = prefer !== undefined && this.config.processModel.webGardenDispatch === 'pack';
    let best: WorkerProcess | null = null;
    let bestTurn = 0;
    let firstUp: WorkerProcess | null = null;
    let preferOpen = false;
    const n = this.workers.length;
    const now = Date.now();
    const overdue = pingOverdueMs(this.config);
    const limit = this.config.processModel.maxConcurrentRequestsPerWorker;
    // Packing does not blame a worker for the host's own lateness; spread never starts the heartbeat.
    const lag = pack ? this.ctx.hostLag : undefined;
    lag?.watch(now);
    for (let i = 0; i < n; i++) {
      const w = this.workers[i]!;
      if (!w.dispatchable(now, overdue) || (job && job.avoid === w)) continue;
      if (limit > 0 && w.inFlight >= limit) continue;
      if (w === prefer) preferOpen = true;
      if (pack && !firstUp && keepsUp(w, now, lag)) firstUp = w;
      // Its place in the rotation, which starts at this.rr: the earliest of the least loaded wins.
      const turn = (i - this.rr + n) % n;
      if (!best || w.inFlight < best.inFlight || (w.inFlight === best.inFlight && turn < bestTurn)) {
        best = w;
        bestTurn = turn;
      }
    }
    if (preferOpen) {
      const since = job!.preferSince ?? 0;
      if (firstUp && packsBack(prefer!, firstUp, since, now, lag)) return firstUp;
      if (keepsAffinity(prefer!, best!, since, now, pack, lag)) return prefer!;
    }
    // A connection that leaves its worker goes to the least loaded (the worker keepsAffinity compared it with).
    if (firstUp && !preferOpen) return firstUp;
    if (best) this.rr = (this.rr + 1) % Math.max(1, n);
    return best;
  }

  private dispatch(job: PoolJob, w: WorkerProcess): void {
    const now = Date.now();
    if (w.inFlight === 0) w.progressAt = now;
    w.inFlight++;
    w.lastActivity = now;
    job.dispatchedAt = now;
    // Connection affinity (framed transport): the connection comes to `w` now (run() makes it its preference).
    if (job.prefer !== undefined && job.prefer !== w) job.preferSince = now;
    this.health.trackDispatch(w, job);
    job.run(w);
  }

  drainQueue(): void {
    for (let job = this.queue.peek(); job; job = this.queue.peek()) {
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
    const now = Date.now();
    w.inFlight--;
    w.lastActivity = w.progressAt = now;
    // Only packing reads how long a worker's requests take (dispatch-policy.ts keepsUp).
    if (this.config.processModel.webGardenDispatch === 'pack') {
      w.service.record(now - job.dispatchedAt, now, this.ctx.hostLag);
    }
    this.health.trackDone(w, job);
    if (completed) {
      w.requests++;
      const limit = this.config.recycling.periodicRestart.requests;
      // ">=": a recycle that could not start now (overlap failed, garden stagger) is retried on a later request.
      if (limit > 0 && w.requests >= limit) this.recycler.recycleWorker(w, 'Requests');
    }
    if (w.state === 'Draining' && w.inFlight === 0) w.requestShutdown();
    // A slot is free: the head of the queue may run now.
    if (this.queue.length > 0) this.drainQueue();
  }

  /**
   * The transport to `w` failed before any response byte: the job leaves `w` and goes back to the head of the queue
   * (a replay), or gets 503 QueueFull when the queue is full — a replay takes a queue slot like any request.
   */
  requeue(job: PoolJob, w: WorkerProcess): void {
    job.avoid = w;
    job.responseStarted = false;
    // Neither this job nor a queued one may go to a worker whose socket just failed (its freed slot must not be
    // refilled before we know): suspect it first; if it answers a ping, routing resumes.
    this.health.suspect(w);
    this.jobDone(w, job, false);
    if (!this.enqueue(job, 'head')) return;
    this.ensureWorkers();
    this.drainQueue();
  }

  // ---- workers --------------------------------------------------------------------------------------------

  /** Workers that serve or will serve (not draining, not being replaced). */
  private liveCount(): number {
    // A worker draining for a non-overlapped recycle has its replacement coming: count it as live.
    let n = this.recycler.pendingReplacements();
    for (const w of this.workers) if (this.isLive(w)) n++;
    return n;
  }

  /**
   * Serves or will serve, in a place of its own. A worker being killed is not live (its replacement may start before
   * its exit is seen); an overlapped recycle's replacement is not either while the worker it replaces still serves,
   * but it is once that worker failed (a crash, kill or orphaning before the replacement was ready).
   */
  private isLive(w: WorkerProcess): boolean {
    if (w.state !== 'Starting' && w.state !== 'Ready') return false;
    return w.endReason === null && !this.recycler.startingBesideOld(w);
  }

  ensureWorkers(): void {
    if (this.state !== 'Started') return;
    const pm = this.config.processModel;
    const want = this.config.startMode === 'AlwaysRunning' ? pm.maxProcesses : this.queue.length > 0 ? 1 : 0;
    for (let live = this.liveCount(); live < want; live++) this.startWorker(null);
  }

  /** Web garden: add a worker when every ready one is busy, up to maxProcesses. */
  private growGarden(): void {
    const max = this.config.processModel.maxProcesses;
    if (max <= 1 || this.liveCount() >= max) return;
    if (this.workers.some((w) => w.state === 'Starting' && !this.recycler.startingBesideOld(w))) return;
    if (this.workers.every((w) => w.state !== 'Ready' || w.inFlight > 0)) this.startWorker(null);
  }

  /** `overlap`: the worker is an overlapped recycle's replacement, serving beside the worker it replaces. */
  startWorker(recycleId: number | null, overlap = false): WorkerProcess {
    let startupFault: 'crash' | 'hang' | null = null;
    if (this.startupFault && this.ctx.faultPlugin) {
      startupFault = this.startupFault.mode;
      if (this.startupFault.remaining > 0 && --this.startupFault.remaining === 0) this.startupFault = null;
    }
    const id = this.ctx.nextWorkerId();
    const w = new WorkerProcess({
      pool: this.name,
      id,
      apps: this.apps,
      socketPath: this.ctx.workerSocket(id),
      transport: this.ctx.transport?.() ?? 'http',
      faultPlugin: this.ctx.faultPlugin,
      startupFault,
      log: this.log.child({ workerId: id }),
      upstream: upstreamLimits(this.config.processModel),
    });
    w.recycleId = recycleId;
    w.overlapReplacement = overlap;
    this.workers.push(w);
    w.start();
    this.ctx.events.emit({
      type: 'WorkerStarting',
      pool: this.name,
      workerId: id,
      pid: w.pid,
      recycleId: recycleId ?? undefined,
    });
    this.health.watchStartup(w);
    w.once('ready', () => {
      this.ctx.events.emit({
        type: 'WorkerReady',
        pool: this.name,
        workerId: id,
        pid: w.pid,
        recycleId: recycleId ?? undefined,
        startupMs: Date.now() - w.startedAt,
      });
      this.health.watchReady(w);
      this.recycler.onWorkerReady(w);
      this.drainQueue();
    });
    w.once('exit', (code: number | null, signal: NodeJS.Signals | null) => this.onWorkerExit(w, code, signal));
    w.on('malformed', (error: string) =>
      this.failure(w, 'malformed-message', `ill-formed control message (IIS 5127): ${error}`),
    );
    w.on('unhealthy', (reason: string) => this.recycler.recycleWorker(w, 'IsapiUnhealthy', reason));
    return w;
  }

  private onWorkerExit(w: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const base = { pool: this.name, workerId: w.id, pid: w.pid, exitCode: code, signal };
    // Stryker disable next-line BlockStatement: the general path below reports an orphan's exit the same way (its
    // endReason is 'orphaned'; it already left the list, the recycler and the health monitor when it was orphaned).
    if (this.orphans.onExit(w)) {
      this.ctx.events.emit({ type: 'WorkerExited', ...base, reason: 'orphaned' });
      for (const f of this.exitWaiters.splice(0)) f();
      return;
    }
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    this.health.forget(w);
    if (w.endReason) {
      this.ctx.events.emit({ type: 'WorkerExited', ...base, reason: w.endReason });
    } else {
      this.ctx.events.emit({ type: 'WorkerCrashed', ...base, reason: w.readyAt ? 'crash' : 'startup-crash' });
      this.countFailure('crash');
    }
    this.recycler.onWorkerExit(w);
    for (const f of this.exitWaiters.splice(0)) f();
    // A replacement, unless rapid-fail protection just stopped the pool (a stopped pool starts none and has no queue).
    this.ensureWorkers();
    this.drainQueue();
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
    this.countFailure(kind);
    this.ensureWorkers();
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

  /** Records a failure; rapid-fail protection stops the pool when it is one too many. */
  countFailure(kind: FailureKind): void {
    const trip = this.rapidFail.record(kind);
    this.ctx.events.emit({
      type: 'RapidFailCount',
      pool: this.name,
      reason: kind,
      count: this.rapidFail.count(),
      windowMs: this.rapidFail.windowMs,
    });
    if (trip) this.stop('RapidFail');
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
    for (const job of this.queue.takeAll()) if (!job.cancelled) this.rejectJob(job, this.stoppedRejectReason());
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
    for (const job of this.queue.takeAll()) if (!job.cancelled) this.rejectJob(job, 'Disabled');
    for (const w of [...this.workers]) if (!w.killRequested) this.recycler.drain(w, why);
    const orphans = this.orphans.killAll(why);
    while (this.workers.length > 0) await new Promise<void>((r) => this.exitWaiters.push(r));
    await orphans;
  }

  /** Last resort at the host's stop deadline: SIGKILL every worker and orphan still alive, now. */
  killAll(): void {
    for (const w of [...this.workers, ...this.orphans.list]) if (!w.exited) w.kill('host-stop');
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

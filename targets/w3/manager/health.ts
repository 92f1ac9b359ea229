// The pool's health and lifetime checks: startup time limit, health pings, the request-progress watchdog (the
// zombie that answers pings but serves nothing), idle timeout, periodic recycle by time / memory / schedule and CPU
// limits (cpu-limit.ts). The queue timer belongs to the pool's queue (request-queue.ts). Pings run per worker every
// pingInterval; everything else runs on one pool tick (at most 1 s apart, shorter when the configured timings are
// shorter).
import { sampleCpuMs, sampleMemory } from './memory-sampler';
import { CpuLimit } from './cpu-limit';
import { timerMs } from '../util/timer-limit';
import type { WorkerProcess } from './worker-process';
import type { AppPool } from './app-pool';
import type { PoolJob } from './pool-job';

interface Watch {
  startup?: NodeJS.Timeout;
  ping?: NodeJS.Timeout;
  pinging: boolean;
  jobs: Set<PoolJob>;
}

/** Memory is sampled at most this often (IIS samples periodically too; w3 documents 500 ms). */
const MEMORY_SAMPLE_MS = 500;

export class HealthMonitor {
  private readonly watches = new Map<WorkerProcess, Watch>();
  private readonly cpu: CpuLimit;
  private tick: NodeJS.Timeout | null = null;
  private lastMemory = 0;
  private sampling = false;
  private lastScheduleCheck = Date.now();
  private readonly cpuSamples = new WeakMap<WorkerProcess, { ms: number; at: number }>();

  constructor(private readonly pool: AppPool) {
    this.cpu = new CpuLimit(pool);
  }

  private watch(w: WorkerProcess): Watch {
    let x = this.watches.get(w);
    if (!x) {
      x = { pinging: false, jobs: new Set() };
      this.watches.set(w, x);
    }
    return x;
  }

  start(): void {
    const pm = this.pool.config.processModel;
    const candidates = [1000, pm.pingInterval];
    if (pm.idleTimeout > 0) candidates.push(pm.idleTimeout / 4);
    if (pm.requestProgressTimeout > 0) candidates.push(pm.requestProgressTimeout / 4);
    const every = Math.max(50, Math.min(...candidates));
    if (this.tick) clearInterval(this.tick);
    this.tick = setInterval(() => this.onTick(), every);
    this.tick.unref();
  }

  /** New settings (reload): re-derive the tick period; per-worker ping timers keep theirs until replaced. */
  restart(): void {
    if (this.tick) this.start();
  }

  stop(): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    for (const w of [...this.watches.keys()]) this.forget(w);
  }

  forget(w: WorkerProcess): void {
    this.cpu.forget(w);
    const x = this.watches.get(w);
    if (!x) return;
    if (x.startup) clearTimeout(x.startup);
    if (x.ping) clearInterval(x.ping);
    this.watches.delete(w);
  }

  watchStartup(w: WorkerProcess): void {
    const limit = this.pool.config.processModel.startupTimeLimit;
    this.watch(w).startup = setTimeout(() => {
      if (w.state !== 'Starting') return;
      this.pool.ctx.events.emit({
        type: 'StartupTimeout',
        pool: this.pool.name,
        workerId: w.id,
        pid: w.pid,
        limitMs: limit,
      });
      this.pool.failure(w, 'startup-timeout', `not ready within startupTimeLimit ${limit} ms`);
    }, timerMs(limit));
  }

  watchReady(w: WorkerProcess): void {
    const x = this.watch(w);
    if (x.startup) clearTimeout(x.startup);
    this.cpu.watch(w);
    const pm = this.pool.config.processModel;
    if (!pm.pingingEnabled) return;
    x.ping = setInterval(() => {
      if (x.pinging || w.exited || w.state === 'Orphaned') return;
      x.pinging = true;
      void w.ping(pm.pingResponseTime).then((ok) => {
        x.pinging = false;
        this.afterPing(w, ok, pm.pingResponseTime);
      });
    }, timerMs(pm.pingInterval));
  }

  /** A ping came back (ok) or timed out: release held requests, or report the hung worker. */
  private afterPing(w: WorkerProcess, ok: boolean, waitedMs: number): void {
    if (w.exited || w.endReason) return;
    if (ok) {
      // An overdue ping held requests back from this worker; they may go now.
      this.pool.drainQueue();
      return;
    }
    this.pool.ctx.events.emit({
      type: 'PingFailed',
      pool: this.pool.name,
      workerId: w.id,
      pid: w.pid,
      pingResponseTimeMs: waitedMs,
    });
    this.pool.failure(w, 'ping', `no ping response within ${waitedMs} ms`);
  }

  trackDispatch(w: WorkerProcess, job: PoolJob): void {
    if (this.pool.config.processModel.requestProgressTimeout > 0) this.watch(w).jobs.add(job);
  }

  trackDone(w: WorkerProcess, job: PoolJob): void {
    this.watches.get(w)?.jobs.delete(job);
  }

  /**
   * The transport to `w` failed: no new requests until it answers a ping. A worker that does not answer within
   * pingResponseTime is treated as hung (even with pinging disabled: this is a liveness probe the pool needs).
   */
  suspect(w: WorkerProcess): void {
    if (w.state !== 'Ready' || w.endReason || w.suspected) return;
    w.suspected = true;
    const limit = this.pool.config.processModel.pingResponseTime;
    void w.ping(limit).then((ok) => {
      w.suspected = false;
      if (ok && !w.exited) {
        // Jobs that avoided it may use it again.
        this.pool.trustAgain(w);
      }
      this.afterPing(w, ok, limit);
    });
  }

  private onTick(): void {
    const pool = this.pool;
    const now = Date.now();
    const scheduleHit = this.scheduleDue(now);
    if (pool.state !== 'Started') return;
    const pm = pool.config.processModel;
    const pr = pool.config.recycling.periodicRestart;
    // Always sampled: GET /pools reports privateMemoryKB even when no memory limit is set.
    if (now - this.lastMemory >= MEMORY_SAMPLE_MS && !this.sampling) {
      this.lastMemory = now;
      void this.sampleMemory();
    }
    for (const w of [...pool.workers]) {
      if (w.state !== 'Ready' || w.endReason) continue;
      if (pr.time > 0 && w.readyAt && now - w.readyAt >= pr.time && pool.recycler.recycleWorker(w, 'Time') !== null)
        continue;
      if (scheduleHit) {
        pool.recycler.recycleWorker(w, 'Schedule');
        continue;
      }
      if (pm.requestProgressTimeout > 0 && this.stalled(w, now)) continue;
      if (
        pm.idleTimeout > 0 &&
        pool.config.startMode === 'OnDemand' &&
        w.inFlight === 0 &&
        now - w.lastActivity >= pm.idleTimeout
      ) {
        pool.ctx.events.emit({
          type: 'IdleShutdown',
          pool: pool.name,
          workerId: w.id,
          pid: w.pid,
          idleMs: now - w.lastActivity,
        });
        pool.recycler.drain(w, 'idle');
        continue;
      }
      this.cpu.check(w, now);
    }
  }

  /** Reads every ready worker's memory (in parallel, off the event loop), then applies the memory recycle limits. */
  private async sampleMemory(): Promise<void> {
    this.sampling = true;
    try {
      const workers = this.pool.workers.filter((w) => w.state === 'Ready' && !w.endReason);
      // A packing web garden's dispatch also reads how much of a CPU each worker uses (dispatch-policy.ts keepsUp).
      const pm = this.pool.config.processModel;
      const garden = pm.maxProcesses > 1 && pm.webGardenDispatch === 'pack';
      const [samples, cpu] = await Promise.all([
        Promise.all(workers.map((w) => sampleMemory(w.pid))),
        Promise.all(workers.map((w) => (garden ? sampleCpuMs(w.pid) : Promise.resolve(null)))),
      ]);
      const at = Date.now();
      workers.forEach((w, i) => this.noteCpu(w, cpu[i] ?? null, at));
      const pr = this.pool.config.recycling.periodicRestart;
      workers.forEach((w, i) => {
        const m = samples[i];
        if (!m || w.state !== 'Ready' || w.endReason || this.pool.state !== 'Started') return;
        w.privateMemoryKB = m.privateKB;
        w.virtualMemoryKB = m.virtualKB;
        // RecycleStarted carries what was measured and the limit it passed (the lab's memory checker reads them).
        if (pr.privateMemory > 0 && m.privateKB > pr.privateMemory) {
          const measured = { privateMemoryKB: m.privateKB, limitKB: pr.privateMemory };
          this.pool.recycler.recycleWorker(w, 'PrivateMemory', `${m.privateKB} KB > ${pr.privateMemory} KB`, measured);
        } else if (pr.memory > 0 && m.virtualKB > pr.memory) {
          const measured = { memoryKB: m.virtualKB, limitKB: pr.memory };
          this.pool.recycler.recycleWorker(w, 'Memory', `${m.virtualKB} KB > ${pr.memory} KB`, measured);
        }
      });
    } finally {
      this.sampling = false;
    }
  }

  /** Sets w.cpuShare from two CPU time samples (the previous one kept per worker). */
  private noteCpu(w: WorkerProcess, ms: number | null, at: number): void {
    if (ms === null) return;
    const prev = this.cpuSamples.get(w);
    this.cpuSamples.set(w, { ms, at });
    if (prev && at > prev.at) w.cpuShare = (ms - prev.ms) / (at - prev.at);
  }

  /** Zombie detection: the oldest in-flight request has had no response byte for requestProgressTimeout. */
  private stalled(w: WorkerProcess, now: number): boolean {
    const x = this.watches.get(w);
    if (!x) return false;
    const limit = this.pool.config.processModel.requestProgressTimeout;
    for (const job of x.jobs) {
      if (!job.responseStarted && now - job.dispatchedAt >= limit) {
        this.pool.ctx.events.emit({
          type: 'RequestStalled',
          pool: this.pool.name,
          workerId: w.id,
          pid: w.pid,
          waitedMs: now - job.dispatchedAt,
          stalledRequests: x.jobs.size,
        });
        this.pool.failure(w, 'stalled', `a request made no progress for ${limit} ms while pings were answered`);
        return true;
      }
    }
    return false;
  }

  /** True when a configured time of day passed since the previous tick (checked even while the pool is stopped,
   *  so a pool started after a scheduled time does not recycle for it late). */
  private scheduleDue(now: number): boolean {
    const times = this.pool.config.recycling.periodicRestart.schedule;
    const from = this.lastScheduleCheck;
    this.lastScheduleCheck = now;
    for (const hhmm of times) {
      const [h, m, s] = hhmm.split(':').map(Number);
      const at = new Date(now);
      at.setHours(h ?? 0, m ?? 0, s ?? 0, 0);
      if (at.getTime() > from && at.getTime() <= now) return true;
    }
    return false;
  }
}

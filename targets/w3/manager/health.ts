// The pool's health and lifetime checks: startup time limit, health pings, the request-progress watchdog (the
// zombie that answers pings but serves nothing), idle timeout, periodic recycle by time / memory / schedule, and
// CPU limits. Pings run per worker every pingInterval; everything else runs on one pool tick.
import { sampleMemory, sampleCpuMs } from './memory-sampler';
import type { WorkerProcess } from './worker-process';
import type { AppPool } from './app-pool';
import type { PoolJob } from './pool-job';

interface Watch {
  startup?: NodeJS.Timeout;
  ping?: NodeJS.Timeout;
  pinging: boolean;
  jobs: Set<PoolJob>;
  cpu: { t: number; ms: number }[];
}

/** Memory is sampled at most this often (IIS samples periodically too; w3 documents 500 ms). */
const MEMORY_SAMPLE_MS = 500;

export class HealthMonitor {
  private readonly watches = new Map<WorkerProcess, Watch>();
  private tick: NodeJS.Timeout | null = null;
  private lastMemory = 0;
  private lastScheduleCheck = Date.now();

  constructor(private readonly pool: AppPool) {}

  private watch(w: WorkerProcess): Watch {
    let x = this.watches.get(w);
    if (!x) {
      x = { pinging: false, jobs: new Set(), cpu: [] };
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
    this.tick = setInterval(() => this.onTick(), every);
    this.tick.unref();
  }

  stop(): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    for (const w of [...this.watches.keys()]) this.forget(w);
  }

  forget(w: WorkerProcess): void {
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
      this.pool.ctx.events.emit({ type: 'StartupTimeout', pool: this.pool.name, workerId: w.id, pid: w.pid, limitMs: limit });
      this.pool.failure(w, 'startup-timeout', `not ready within startupTimeLimit ${limit} ms`);
    }, limit);
  }

  watchReady(w: WorkerProcess): void {
    const x = this.watch(w);
    if (x.startup) clearTimeout(x.startup);
    const pm = this.pool.config.processModel;
    if (!pm.pingingEnabled) return;
    x.ping = setInterval(() => {
      if (x.pinging || w.state === 'Exited' || w.state === 'Orphaned') return;
      x.pinging = true;
      void w.ping(pm.pingResponseTime).then((ok) => {
        x.pinging = false;
        if (ok || w.exited || w.endReason) return;
        this.pool.ctx.events.emit({ type: 'PingFailed', pool: this.pool.name, workerId: w.id, pid: w.pid, pingResponseTimeMs: pm.pingResponseTime });
        this.pool.failure(w, 'ping', `no ping response within ${pm.pingResponseTime} ms`);
      });
    }, pm.pingInterval);
  }

  trackDispatch(w: WorkerProcess, job: PoolJob): void {
    if (this.pool.config.processModel.requestProgressTimeout > 0) this.watch(w).jobs.add(job);
  }

  trackDone(w: WorkerProcess, job: PoolJob): void {
    this.watches.get(w)?.jobs.delete(job);
  }

  /** The transport to `w` failed: stop routing to it until it answers a ping (or exits). */
  suspect(w: WorkerProcess): void {
    if (w.state !== 'Ready') return;
    w.state = 'Starting';
    void w.ping(Math.min(1000, this.pool.config.processModel.pingResponseTime)).then((ok) => {
      if (w.exited || w.state !== 'Starting' || !w.readyAt) return;
      if (ok) {
        w.state = 'Ready';
        this.pool.drainQueue();
      }
      // Not ok: it is dying; the exit handler takes over (or the ping loop kills it).
    });
  }

  private onTick(): void {
    const pool = this.pool;
    if (pool.state !== 'Started') return;
    const now = Date.now();
    const pm = pool.config.processModel;
    const pr = pool.config.recycling.periodicRestart;
    // Always sampled: GET /pools reports privateMemoryKB even when no memory limit is set.
    const sampleMem = now - this.lastMemory >= MEMORY_SAMPLE_MS;
    if (sampleMem) this.lastMemory = now;
    const scheduleHit = this.scheduleDue(now);
    for (const w of [...pool.workers]) {
      if (w.state !== 'Ready') continue;
      if (sampleMem) {
        const m = sampleMemory(w.pid);
        if (m) {
          w.privateMemoryKB = m.privateKB;
          w.virtualMemoryKB = m.virtualKB;
          if (pr.privateMemory > 0 && m.privateKB > pr.privateMemory) {
            pool.recycler.recycleWorker(w, 'PrivateMemory', `${m.privateKB} KB > ${pr.privateMemory} KB`);
            continue;
          }
          if (pr.memory > 0 && m.virtualKB > pr.memory) {
            pool.recycler.recycleWorker(w, 'Memory', `${m.virtualKB} KB > ${pr.memory} KB`);
            continue;
          }
        }
      }
      if (pr.time > 0 && w.readyAt && now - w.readyAt >= pr.time) {
        pool.recycler.recycleWorker(w, 'Time');
        continue;
      }
      if (scheduleHit) {
        pool.recycler.recycleWorker(w, 'Schedule');
        continue;
      }
      if (pm.requestProgressTimeout > 0 && this.stalled(w, now)) continue;
      if (pm.idleTimeout > 0 && pool.config.startMode === 'OnDemand' && w.inFlight === 0 && now - w.lastActivity >= pm.idleTimeout) {
        pool.ctx.events.emit({ type: 'IdleShutdown', pool: pool.name, workerId: w.id, pid: w.pid, idleMs: now - w.lastActivity });
        pool.recycler.drain(w, 'idle');
        continue;
      }
      this.checkCpu(w, now);
    }
  }

  /** Zombie detection: the oldest in-flight request has had no response byte for requestProgressTimeout. */
  private stalled(w: WorkerProcess, now: number): boolean {
    const x = this.watches.get(w);
    if (!x) return false;
    const limit = this.pool.config.processModel.requestProgressTimeout;
    for (const job of x.jobs) {
      if (!job.responseStarted && now - job.dispatchedAt >= limit) {
        this.pool.ctx.events.emit({ type: 'RequestStalled', pool: this.pool.name, workerId: w.id, pid: w.pid, waitedMs: now - job.dispatchedAt });
        this.pool.failure(w, 'stalled', `a request made no progress for ${limit} ms while pings were answered`);
        return true;
      }
    }
    return false;
  }

  private scheduleDue(now: number): boolean {
    const times = this.pool.config.recycling.periodicRestart.schedule;
    const from = this.lastScheduleCheck;
    this.lastScheduleCheck = now;
    if (times.length === 0) return false;
    for (const hhmm of times) {
      const [h, m, s] = hhmm.split(':').map(Number);
      const at = new Date(now);
      at.setHours(h ?? 0, m ?? 0, s ?? 0, 0);
      if (at.getTime() > from && at.getTime() <= now) return true;
    }
    return false;
  }

  /** cpu.limit is in 1/1000 of a percent of one CPU over resetInterval. */
  private checkCpu(w: WorkerProcess, now: number): void {
    const cpu = this.pool.config.cpu;
    if (cpu.limit <= 0 || cpu.resetInterval <= 0) return;
    const ms = sampleCpuMs(w.pid);
    if (ms === null) return;
    const x = this.watch(w);
    x.cpu.push({ t: now, ms });
    while (x.cpu.length > 1 && now - x.cpu[0]!.t > cpu.resetInterval) x.cpu.shift();
    const first = x.cpu[0]!;
    const span = now - first.t;
    if (span < Math.min(cpu.resetInterval, 1000)) return;
    const usedPct1000 = ((ms - first.ms) / span) * 100_000;
    if (usedPct1000 <= cpu.limit) return;
    x.cpu = [];
    const pool = this.pool;
    pool.ctx.events.emit({ type: 'CpuLimitExceeded', pool: pool.name, workerId: w.id, pid: w.pid, usage: Math.round(usedPct1000), limit: cpu.limit, action: cpu.action });
    if (cpu.action === 'KillW3wp') {
      w.endReason = 'cpu-limit';
      pool.ctx.events.emit({ type: 'WorkerKilled', pool: pool.name, workerId: w.id, pid: w.pid, reason: 'cpu-limit' });
      w.kill('cpu-limit');
    }
  }
}

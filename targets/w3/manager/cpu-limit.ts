// CPU limit (IIS <cpu>: limit, action, resetInterval), accounted per worker. `limit` is in 1/1000 of a percent of ONE
// CPU (100000 = a whole core): a Node worker is mostly single-threaded, so "percent of the machine" would change
// meaning with the core count. Accounting follows IIS: fixed windows of resetInterval (the first starts when the
// worker is ready); the limit is exceeded once the CPU time used in the current window passes limit × resetInterval.
// Then, at most once per window (the event names its windowStart):
//   NoAction          → event CpuLimitExceeded only;
//   KillW3wp          → the worker is killed. Not a rapid-fail failure; the pool stays Started and a new worker
//                       starts on demand (AlwaysRunning: at once) — w3 takes no pool downtime (IIS leaves it open);
//   Throttle          → the worker is held to the limit all the time by duty-cycling it with SIGSTOP / SIGCONT
//                       (cgroup v2 cpu.max would be exact, but needs a writable cgroup that neither the lab machines
//                       nor most containers give); CpuLimitExceeded (action Throttle) when it is first paused in a
//                       window;
//   ThrottleUnderLoad → the same, only while the machine is busy (1-minute load average ≥ CPU count; coarse).
// A pause never exceeds MAX_PAUSE_MS nor half of pingResponseTime, and a ping's deadline does not count the time the
// throttle kept the worker stopped (worker-process.ts), so a throttled worker is not killed as hung on a busy machine.
// Every paused worker is continued when it is forgotten (exit, orphaning, pool or host stop). CPU time is read from
// /proc asynchronously (the host's event loop never waits on it); a slice or check whose read is still out is skipped.
import os from 'node:os';
import { sampleCpuMs } from './memory-sampler';
import type { WorkerProcess } from './worker-process';
import type { AppPool } from './app-pool';

const SLICE_MS = 100;
const MAX_PAUSE_MS = 500;

interface Throttle {
  timer: NodeJS.Timeout;
  /** A /proc read for this slice is under way. */
  reading: boolean;
  resume: NodeJS.Timeout | null;
  t: number;
  ms: number;
  /** CPU ms used beyond the allowance so far; a pause pays it back. */
  debt: number;
}

interface State {
  /** A /proc read for the pool tick's check is under way. */
  reading: boolean;
  windowStart: number;
  cpuAtStart: number;
  reported: boolean;
  throttle: Throttle | null;
}

export class CpuLimit {
  private readonly states = new Map<WorkerProcess, State>();

  constructor(private readonly pool: AppPool) {}

  private get enabled(): boolean {
    const c = this.pool.config.cpu;
    return c.limit > 0 && c.resetInterval > 0;
  }

  private get throttling(): boolean {
    const a = this.pool.config.cpu.action;
    return a === 'Throttle' || a === 'ThrottleUnderLoad';
  }

  /** The worker became ready: open its first accounting window (and start throttling it). */
  watch(w: WorkerProcess): void {
    if (!this.enabled || this.starting.has(w)) return;
    this.starting.add(w);
    this.forgotten.delete(w);
    void sampleCpuMs(w.pid).then((ms) => {
      this.starting.delete(w);
      if (ms === null || w.exited || !this.enabled || this.states.has(w) || this.forgotten.has(w)) return;
      const s: State = { reading: false, windowStart: Date.now(), cpuAtStart: ms, reported: false, throttle: null };
      this.states.set(w, s);
      this.syncThrottle(w, s, ms);
    });
  }

  private readonly starting = new Set<WorkerProcess>();
  private readonly forgotten = new WeakSet<WorkerProcess>();

  /** Starts or stops the throttle loop to match cpu.action (which a configuration reload may change). */
  private syncThrottle(w: WorkerProcess, s: State, ms: number): void {
    if (this.throttling && !s.throttle) {
      const th: Throttle = {
        timer: setInterval(() => void this.slice(w, s, th), SLICE_MS),
        reading: false,
        resume: null,
        t: Date.now(),
        ms,
        debt: 0,
      };
      th.timer.unref();
      s.throttle = th;
    } else if (!this.throttling && s.throttle) {
      clearInterval(s.throttle.timer);
      if (s.throttle.resume) clearTimeout(s.throttle.resume);
      s.throttle = null;
      if (w.paused) w.signal('SIGCONT');
    }
  }

  /** Pool tick: roll the window, and act once per window when the budget is spent (NoAction / KillW3wp). */
  check(w: WorkerProcess, now: number): void {
    const s = this.states.get(w);
    if (!this.enabled) return this.forget(w);
    if (!s) return this.watch(w); // limits switched on by a reload: start accounting now
    if (s.reading) return;
    s.reading = true;
    void sampleCpuMs(w.pid).then((ms) => {
      s.reading = false;
      if (ms !== null && this.states.get(w) === s && !w.exited && !w.endReason) this.checkUsage(w, s, ms, now);
    });
  }

  private checkUsage(w: WorkerProcess, s: State, ms: number, now: number): void {
    this.syncThrottle(w, s, ms);
    const cpu = this.pool.config.cpu;
    if (now - s.windowStart >= cpu.resetInterval) {
      Object.assign(s, { windowStart: now, cpuAtStart: ms, reported: false });
      return;
    }
    const usedMs = ms - s.cpuAtStart;
    const budgetMs = (cpu.limit / 100_000) * cpu.resetInterval;
    if (this.throttling || s.reported || usedMs <= budgetMs) return;
    s.reported = true;
    this.report(w, s, { usedMs, budgetMs });
    if (cpu.action === 'KillW3wp') {
      w.endReason = 'cpu-limit';
      this.pool.ctx.events.emit({
        type: 'WorkerKilled',
        pool: this.pool.name,
        workerId: w.id,
        pid: w.pid,
        reason: 'cpu-limit',
      });
      w.kill('cpu-limit');
      this.pool.ensureWorkers();
    }
  }

  /** One throttle slice: charge the CPU used since the last slice against the allowance; pause to repay debt. */
  private async slice(w: WorkerProcess, s: State, th: Throttle): Promise<void> {
    if (th.resume || th.reading || w.exited) return;
    th.reading = true;
    const ms = await sampleCpuMs(w.pid);
    th.reading = false;
    // Forgotten (exit, orphaning, stop) or no longer throttled while the read was out: nothing to do.
    if (ms === null || s.throttle !== th || w.exited || th.resume) return;
    const now = Date.now();
    const cpu = this.pool.config.cpu;
    const share = cpu.limit / 100_000;
    th.debt = Math.max(0, th.debt + (ms - th.ms) - (now - th.t) * share);
    th.t = now;
    th.ms = ms;
    const underLoad = cpu.action !== 'ThrottleUnderLoad' || os.loadavg()[0]! >= os.availableParallelism();
    if (!underLoad) th.debt = 0;
    if (th.debt <= 0) return;
    const pauseMs = Math.min(th.debt / share, MAX_PAUSE_MS, this.pool.config.processModel.pingResponseTime / 2);
    if (!s.reported) {
      s.reported = true;
      const pause = { pauseMs: Math.round(pauseMs) };
      this.report(w, s, { usedMs: ms - s.cpuAtStart, budgetMs: share * cpu.resetInterval, ...pause });
    }
    w.signal('SIGSTOP');
    th.resume = setTimeout(() => {
      th.resume = null;
      w.signal('SIGCONT');
    }, pauseMs);
  }

  /** CpuLimitExceeded, with the start of the window it is for (windowStart, ms since the epoch): one per window. */
  private report(w: WorkerProcess, s: State, extra: Record<string, number>): void {
    const cpu = this.pool.config.cpu;
    const worker = { pool: this.pool.name, workerId: w.id, pid: w.pid };
    const limit = { limit: cpu.limit, resetIntervalMs: cpu.resetInterval, action: cpu.action };
    this.pool.ctx.events.emit({ type: 'CpuLimitExceeded', ...worker, ...limit, windowStart: s.windowStart, ...extra });
  }

  forget(w: WorkerProcess): void {
    const s = this.states.get(w);
    this.states.delete(w);
    if (this.starting.has(w)) this.forgotten.add(w);
    if (s?.throttle) {
      clearInterval(s.throttle.timer);
      if (s.throttle.resume) clearTimeout(s.throttle.resume);
    }
    if (w.paused) w.signal('SIGCONT');
  }
}

// A pool's request queue (HTTP.SYS's per-pool queue): the jobs waiting for a worker, when each (re-)entered it, and
// the queue timer (timers.requestQueueTimeout, HTTPERR Timer_AppPool). The pool is its only owner: the listener
// enqueues, cancels and requeues through AppPool's methods and never touches the array.
// One timer serves the whole queue: it is armed for the earliest deadline and, when it fires, expires every job
// that has waited long enough and re-arms for the next. A requeued job goes to the head with a fresh wait (the timer
// measures waiting, not time spent on a worker), so the earliest deadline is found by a scan, never assumed.
import type { PoolJob } from './pool-job';
import { timerMs } from '../util/timer-limit';

export class RequestQueue {
  private items: PoolJob[] = [];
  private readonly since = new Map<PoolJob, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** requestQueueTimeout of the current configuration (ms, 0 = off). */
    private readonly timeoutMs: () => number,
    private readonly onExpired: (job: PoolJob) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  peek(): PoolJob | undefined {
    return this.items[0];
  }

  push(job: PoolJob): void {
    this.items.push(job);
    this.since.set(job, Date.now());
    this.arm();
  }

  /** Back to the head (a replay): it waits again from now. */
  unshift(job: PoolJob): void {
    this.items.unshift(job);
    this.since.set(job, Date.now());
    this.arm();
  }

  shift(): PoolJob | undefined {
    const job = this.items.shift();
    // Stryker disable next-line ConditionalExpression: Map.delete(undefined) is a no-op: deleting always is the same.
    if (job) this.since.delete(job);
    return job;
  }

  /** Takes `job` out wherever it is; false when it was not queued. */
  remove(job: PoolJob): boolean {
    const i = this.items.indexOf(job);
    if (i < 0) return false;
    this.items.splice(i, 1);
    this.since.delete(job);
    return true;
  }

  /** Empties the queue (pool stop): the caller answers every job returned. */
  takeAll(): PoolJob[] {
    const all = this.items;
    this.items = [];
    this.since.clear();
    this.disarm();
    return all;
  }

  jobs(): readonly PoolJob[] {
    return this.items;
  }

  /** requestQueueTimeout changed (reload): deadlines are recomputed from the new value. */
  reconfigure(): void {
    this.disarm();
    this.arm();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    const limit = this.timeoutMs();
    if (this.timer || this.items.length === 0 || limit <= 0) return;
    let earliest = Infinity;
    // Stryker disable next-line EqualityOperator: on a tie both values are the same deadline.
    for (const t of this.since.values()) if (t < earliest) earliest = t;
    this.timer = setTimeout(() => this.expire(), timerMs(earliest + limit - Date.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = null;
    const limit = this.timeoutMs();
    if (limit > 0) {
      const now = Date.now();
      for (const job of [...this.items]) {
        if (now - (this.since.get(job) ?? now) < limit) continue;
        this.remove(job);
        this.onExpired(job);
      }
    }
    this.arm();
  }
}

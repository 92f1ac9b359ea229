// Which worker of a web garden a client connection's request goes to (framed transport: a connection has a stream
// on one worker, PoolJob.prefer), from what the pool knows of each worker: requests in flight, when it last finished
// one, how long its requests took lately (ServiceTime) and how much of a CPU it used (sampled by health.ts). The
// rules are pure functions; AppPool.pickWorker applies them among the workers that may take the request
// (dispatchable, not avoided, under maxConcurrentRequestsPerWorker).
//
// Two placements (processModel.webGardenDispatch). "spread", the default, is IIS's: each new connection goes to the
// least loaded worker, round-robin among equals, so a web garden's workers share every load, light or heavy (and
// per-process state — caches, in-process sessions — shows its web-garden symptoms as it would under IIS). "pack" is
// a w3 extension: a connection goes to the first worker, in start order, that keeps up, and stays on its worker
// while that worker keeps up. A second worker is woken only when the first does not keep up. Spreading has a price
// even when a core is free: each worker wakes up for its share of every batch the listener forwards, so each wakes
// as often as one worker would while answering half as much (measured with wrk, hello app, 100 connections on two
// cores: the workers' system calls per request they answer doubled, 0.11 → 0.20, and the CPU per request of the
// listener and workers together rose 13 % on a quiet machine, 20-35 % on a busy one).
// A worker keeps up while its requests are answered quickly and it has CPU to spare; when it does not, the others
// take the new connections, and its connections move (at once to a worker that answers much faster, else after
// AFFINITY_MIN_MS when it is more than a quarter busier). Connections on a later worker come back to the first one
// that keeps up after AFFINITY_MIN_MS when both workers' load fits on it (packsBack). Requests without a connection
// of their own (HTTP transport) go to the least loaded worker, round-robin among equals.
// The listener sees a worker's answers when it reads them: when the host's own loop ran late (a busy machine), a
// worker that answered in time would look stalled or slow. Packing is given the host's lateness (host-lag.ts) and
// does not count it against a worker; spread is not (it keeps its stall rule as it was, and pays nothing).

/** A worker with requests in flight that finished none for this long is blocked or slow: it loses connections. */
export const AFFINITY_STALL_MS = 50;
/** A connection stays at least this long on a worker it came to before it is moved for balance alone. */
export const AFFINITY_MIN_MS = 1000;
/** A worker whose requests took this long on average (dispatch to end, last window) does not keep up. */
export const KEEP_UP_MS = 10;
/** Nor does one that used this share of a CPU or more (a Node worker runs on one core: it is near saturation). */
export const KEEP_UP_CPU = 0.75;
/** The window ServiceTime averages over. */
export const SERVICE_WINDOW_MS = 100;

/** How late the host's own loop was (host-lag.ts); not given: not known, nothing is discounted. */
export interface HostLateness {
  /** How much of (since, now] the host's loop was late, ms. */
  lateMs(since: number, now: number): number;
}

/**
 * How long a worker's requests take, dispatch to end as the listener sees it: the mean over the last closed window
 * of SERVICE_WINDOW_MS (closed by the first request that ends after it). One sample is capped at AFFINITY_MIN_MS, so
 * a long tunnel or upload that ends does not mark its worker as slow for long. The time the host's own loop was late
 * during a request is not the worker's: it is subtracted, and a request during which the host was late KEEP_UP_MS
 * or more is left out (when its answer came within that time is not known: the sample says nothing of the worker).
 */
export class ServiceTime {
  /** Mean of the last closed window, ms (0 until one closed). */
  meanMs = 0;
  private sum = 0;
  private count = 0;

  constructor(private since = Date.now()) {}

  record(ms: number, now: number, lag?: HostLateness): void {
    const late = lag?.lateMs(now - ms, now) ?? 0;
    if (late >= KEEP_UP_MS) return;
    this.sum += Math.min(ms - late, AFFINITY_MIN_MS);
    this.count++;
    if (now - this.since < SERVICE_WINDOW_MS) return;
    this.meanMs = this.sum / this.count;
    this.sum = 0;
    this.count = 0;
    this.since = now;
  }
}

/** What the policy reads of a worker (WorkerProcess, and the tests' fakes). */
export interface WorkerLoad {
  inFlight: number;
  /** Last time it finished a request, or became busy after being idle. */
  progressAt: number;
  readonly service: { readonly meanMs: number };
  /** Share of one CPU it used over the last sample (null: not known). */
  cpuShare: number | null;
}

/**
 * Requests in flight and none finished for AFFINITY_STALL_MS, not counting the time the host's own loop was late
 * (`lag`): the worker's answers may have been waiting for the host to read them.
 */
export function stalled(w: WorkerLoad, now: number, lag?: HostLateness): boolean {
  return w.inFlight > 0 && now - w.progressAt - (lag?.lateMs(w.progressAt, now) ?? 0) > AFFINITY_STALL_MS;
}

/** Its requests wait: stalled, or its requests took KEEP_UP_MS or more on average lately. */
function slow(w: WorkerLoad, now: number, lag?: HostLateness): boolean {
  return stalled(w, now, lag) || (w.inFlight > 0 && w.service.meanMs >= KEEP_UP_MS);
}

/** Can take more: idle, or answering quickly and not near a full CPU. */
export function keepsUp(w: WorkerLoad, now: number, lag?: HostLateness): boolean {
  if (w.inFlight === 0) return true;
  return !slow(w, now, lag) && (w.cpuShare ?? 0) < KEEP_UP_CPU;
}

/**
 * Connection affinity: does a connection's next request stay on `w`, its worker, when `least` is the least loaded
 * worker with room? Request counts in flight swing with every batch (a worker that just answered fifty requests has
 * none in flight for a moment), so they are a poor reason to move a connection at once. It leaves `w`
 *  - at once when `w` made no progress for AFFINITY_STALL_MS while `least` did (a blocked event loop; when every
 *    worker looks stalled, the listener itself was slow to hear them);
 *  - (pack) never while `w` keeps up (a worker that keeps up is no reason to spread);
 *  - (pack) at once when `w`'s requests take long and `least` keeps up with fewer in flight and answers in half
 *    the time (long requests or a saturated worker: the faster one takes connections until the counts are even);
 *  - else once it has been on `w` for AFFINITY_MIN_MS and `w` is busier than `least` by more than a quarter of
 *    `least`'s count (a busy worker sheds connections this way, and a new worker gets its share within a second).
 */
export function keepsAffinity(
  w: WorkerLoad,
  least: WorkerLoad,
  since: number,
  now: number,
  pack: boolean,
  lag?: HostLateness,
): boolean {
  if (w === least) return true;
  if (stalled(w, now, lag) && !stalled(least, now, lag)) return false;
  if (pack && keepsUp(w, now, lag)) return true;
  if (pack && slow(w, now, lag) && keepsUp(least, now, lag) && least.inFlight < w.inFlight) {
    if (least.service.meanMs * 2 <= w.service.meanMs) return false;
  }
  if (now - since < AFFINITY_MIN_MS) return true;
  return w.inFlight <= least.inFlight + (least.inFlight >> 2);
}

/**
 * Packing back: does a connection on `w`, which keeps up, move to `first`, the first worker in start order that keeps
 * up? Connections reach a later worker when the first one stalled or answered slowly for a moment (a descheduled
 * process on a busy machine); without this they would stay there and the garden would drift back to spreading. It
 * moves once it has been on `w` for AFFINITY_MIN_MS, and only while what both workers use would fit under
 * KEEP_UP_CPU on `first` (a garden whose load needs both workers stays spread instead of swinging back and forth).
 */
export function packsBack(w: WorkerLoad, first: WorkerLoad, since: number, now: number, lag?: HostLateness): boolean {
  if (w === first || now - since < AFFINITY_MIN_MS || !keepsUp(w, now, lag)) return false;
  return (first.cpuShare ?? 0) + (w.cpuShare ?? 0) < KEEP_UP_CPU;
}

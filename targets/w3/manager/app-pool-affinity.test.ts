// Web-garden dispatch with connection affinity (AppPool.pickWorker, keepsAffinity): a job whose client connection has
// a stream on a worker (PoolJob.prefer, as the framed listener sets it) stays there — never beyond
// maxConcurrentRequestsPerWorker, never on a worker it must avoid or that takes no requests — unless that worker made
// no progress for AFFINITY_STALL_MS, or the connection has been there AFFINITY_MIN_MS and the worker is more than a
// quarter busier than the least loaded one. Under sustained load both workers serve, a slower worker sheds
// connections, and connections rarely move.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness, job, type FakeJob, type FakeWorker } from './test-support/pool-harness';
import { AFFINITY_MIN_MS, AFFINITY_STALL_MS, keepsAffinity } from './app-pool';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** A keep-alive client connection: like FramedConnection, the worker it last ran on is the one it prefers. */
function connection(): FakeJob {
  const j = job();
  j.prefer = null;
  const run = j.run.bind(j);
  j.run = (w) => {
    run(w);
    j.prefer = w;
  };
  return j;
}

function garden(processModel: Record<string, unknown> = {}): PoolHarness {
  return new PoolHarness({
    startMode: 'AlwaysRunning',
    processModel: { maxProcesses: 2, ...processModel },
  }).bootReady();
}

/** Moves the clock without firing timers (the pool's ping timers would make the fakes overdue). */
function later(ms: number): void {
  jest.setSystemTime(Date.now() + ms);
}

describe('keepsAffinity', () => {
  const w = (inFlight: number, progressAt: number) => ({ inFlight, progressAt }) as never;
  const now = 100_000;

  it('keeps the least loaded worker itself', () => {
    const least = w(5, 0);
    expect(keepsAffinity(least, least, now, now)).toBe(true);
  });

  it('keeps a busier worker that is making progress while the connection is new there', () => {
    expect(keepsAffinity(w(50, now - AFFINITY_STALL_MS), w(0, now), now - AFFINITY_MIN_MS + 1, now)).toBe(true);
  });

  it('leaves a worker with requests in flight that finished none for AFFINITY_STALL_MS, if the other did', () => {
    const stuck = w(1, now - AFFINITY_STALL_MS - 1);
    expect(keepsAffinity(stuck, w(0, now), now, now)).toBe(false);
    expect(keepsAffinity(stuck, w(0, 0), now, now)).toBe(false); // an idle worker is never stalled
    expect(keepsAffinity(stuck, w(1, now - AFFINITY_STALL_MS), now, now)).toBe(false);
    // Every worker looks stalled (the listener was slow to hear them): no reason to move.
    expect(keepsAffinity(stuck, w(1, now - AFFINITY_STALL_MS - 1), now, now)).toBe(true);
    expect(keepsAffinity(w(0, 0), w(0, now), now, now)).toBe(true);
  });

  it('after AFFINITY_MIN_MS moves the connection when its worker is more than a quarter busier', () => {
    const since = now - AFFINITY_MIN_MS;
    expect(keepsAffinity(w(10, now), w(8, now), since, now)).toBe(true); // 8 + 2
    expect(keepsAffinity(w(11, now), w(8, now), since, now)).toBe(false);
    expect(keepsAffinity(w(1, now), w(0, now), since, now)).toBe(false); // an idle worker: no slack
    expect(keepsAffinity(w(3, now), w(3, now), since, now)).toBe(true);
  });
});

describe('dispatch with connection affinity', () => {
  it('a connection stays on its worker while it is new there, then moves when the imbalance is real', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    h.pool.submit(c);
    const first = c.ranOn[0]!;
    const other = first === w1 ? w2 : w1;
    h.done(c);
    // Its worker gets busy (other connections): still kept, it is making progress.
    first.inFlight = 10;
    first.progressAt = Date.now();
    h.pool.submit(c);
    expect(c.ranOn.at(-1)).toBe(first);
    h.done(c);
    later(AFFINITY_MIN_MS);
    first.progressAt = Date.now();
    other.inFlight = 8; // 10 ≤ 8 + 2: still kept
    h.pool.submit(c);
    expect(c.ranOn.at(-1)).toBe(first);
    h.done(c);
    other.inFlight = 7; // 10 > 7 + 1: moves
    h.pool.submit(c);
    expect(c.ranOn.at(-1)).toBe(other);
    expect(c.preferSince).toBe(Date.now());
    h.done(c);
    // Just moved: it stays on the new worker even when that one becomes the busier.
    first.inFlight = 0;
    other.progressAt = Date.now();
    h.pool.submit(c);
    expect(c.ranOn.at(-1)).toBe(other);
  });

  it('a worker that stopped finishing requests loses the connection at once', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    c.prefer = w2 as never;
    c.preferSince = Date.now();
    w2.inFlight = 3;
    w2.progressAt = Date.now();
    later(AFFINITY_STALL_MS);
    expect(h.pool.pickWorker(c)).toBe(w2);
    later(1);
    expect(h.pool.pickWorker(c)).toBe(w1);
  });

  it('never gives the preferred worker more than maxConcurrentRequestsPerWorker; with both full the job queues', () => {
    const h = garden({ maxConcurrentRequestsPerWorker: 4 });
    const [w1, w2] = [h.worker(0), h.worker(1)];
    w1.inFlight = 3;
    w2.inFlight = 4;
    w1.progressAt = w2.progressAt = Date.now();
    const c = connection();
    c.prefer = w2 as never;
    c.preferSince = Date.now();
    h.pool.submit(c);
    expect(c.ranOn).toEqual([w1]);
    expect([w1.inFlight, w2.inFlight]).toEqual([4, 4]);
    const d = connection();
    d.prefer = w1 as never;
    d.preferSince = Date.now();
    h.pool.submit(d);
    expect(d.ranOn).toEqual([]);
    expect(h.queued).toEqual([d]);
    // A slot frees on the worker it does not prefer: it runs there rather than wait.
    h.pool.jobDone(w2 as never, job(), true);
    expect(d.ranOn).toEqual([w2]);
    expect([w1.inFlight, w2.inFlight]).toEqual([4, 4]);
  });

  it('does not keep a job on a preferred worker it must avoid or that takes no requests', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    c.prefer = w2 as never;
    c.preferSince = Date.now();
    w1.inFlight = 5;
    w1.progressAt = Date.now();
    expect(h.pool.pickWorker(c)).toBe(w2);
    c.avoid = w2 as never;
    expect(h.pool.pickWorker(c)).toBe(w1);
    c.avoid = null;
    w2.suspected = true;
    expect(h.pool.pickWorker(c)).toBe(w1);
    w2.suspected = false;
    h.pool.recycler.drain(w2 as never, 'pool-stop');
    expect(h.pool.pickWorker(c)).toBe(w1);
  });

  /**
   * Sustained load as wrk makes it: `conns` connections each keep one request in the pool. Every step (stepMs of
   * clock) each worker answers a batch of its oldest requests (up to 8 × its speed), and the connections answered,
   * shuffled together, send their next requests at once — one event-loop turn of the listener. Returns what each worker
   * served, how often a connection changed worker, and the most requests a worker ever had in flight.
   */
  function sustained(opts: { conns: number; steps: number; stepMs: number; speed: [number, number]; limit: number }) {
    const h = garden({ maxConcurrentRequestsPerWorker: opts.limit });
    const workers = [h.worker(0), h.worker(1)];
    const running = new Map<FakeWorker, FakeJob[]>(workers.map((w) => [w, []]));
    const conns = Array.from({ length: opts.conns }, () => connection());
    const runs = new Map<FakeJob, number>(conns.map((c) => [c, 0]));
    const served = [0, 0];
    let moves = 0;
    let maxInFlight = 0;
    // Jobs dispatched since the last look (at submit, or from the queue by jobDone) join their worker's list.
    const collect = (): void => {
      for (const c of conns) {
        if (c.ranOn.length === runs.get(c)) continue;
        runs.set(c, c.ranOn.length);
        const w = c.ranOn.at(-1)!;
        if (c.ranOn.length > 1 && c.ranOn.at(-2) !== w) moves++;
        running.get(w)!.push(c);
      }
      maxInFlight = Math.max(maxInFlight, workers[0]!.inFlight, workers[1]!.inFlight);
    };
    for (const c of conns) h.pool.submit(c);
    collect();
    // A deterministic sequence (linear congruential): the same interleaving on every run.
    let seed = 12345;
    const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    for (let step = 0; step < opts.steps; step++) {
      later(opts.stepMs);
      const answered: FakeJob[] = [];
      workers.forEach((w, i) => {
        const batch = running.get(w)!.splice(0, random(8 * opts.speed[i]!) + 1);
        for (const c of batch) h.pool.jobDone(w as never, c, true);
        served[i]! += batch.length;
        answered.push(...batch);
      });
      collect(); // queued jobs the answers let in
      for (let i = answered.length - 1; i > 0; i--) {
        const k = random(i + 1);
        [answered[i], answered[k]] = [answered[k]!, answered[i]!];
      }
      for (const c of answered) h.pool.submit(c);
      collect();
    }
    const total = served[0]! + served[1]!;
    return { share: served.map((n) => n / total), moves: moves / total, maxInFlight, queued: h.queued.length };
  }

  it('under sustained load on equal workers both serve, within the limit, and connections rarely move', () => {
    const r = sustained({ conns: 100, steps: 5_000, stepMs: 1, speed: [1, 1], limit: 100 });
    expect(r.share[0]).toBeGreaterThan(0.4);
    expect(r.share[1]).toBeGreaterThan(0.4);
    expect(r.moves).toBeLessThan(0.01);
  });

  it('a slower worker sheds connections to the faster one; no worker ever runs more than its limit', () => {
    const r = sustained({ conns: 60, steps: 5_000, stepMs: 1, speed: [3, 1], limit: 40 });
    expect(r.share[0]).toBeGreaterThan(0.6);
    expect(r.share[1]).toBeGreaterThan(0.1);
    expect(r.maxInFlight).toBeLessThanOrEqual(40);
  });

  it('with the limit below the connection count the queue holds the rest, and the limit still binds', () => {
    const r = sustained({ conns: 40, steps: 5_000, stepMs: 1, speed: [1, 1], limit: 15 });
    expect(r.maxInFlight).toBe(15);
    expect(r.queued).toBe(10);
    expect(r.share[0]).toBeGreaterThan(0.4);
    expect(r.share[1]).toBeGreaterThan(0.4);
  });
});

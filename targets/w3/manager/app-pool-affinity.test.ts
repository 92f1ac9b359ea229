// Web-garden dispatch with connection affinity (AppPool.pickWorker, keepsAffinity): a job whose client connection has
// a stream on a worker (PoolJob.prefer, as the framed listener sets it) stays there — never beyond
// maxConcurrentRequestsPerWorker, never on a worker it must avoid or that takes no requests — while that worker keeps
// up; it leaves a worker that made no progress for AFFINITY_STALL_MS, or one that does not keep up once the
// connection has been there AFFINITY_MIN_MS and the worker is more than a quarter busier than the least loaded one.
// Under sustained load that saturates the workers both serve, a slower worker sheds connections, and connections
// rarely move. (Packing — one worker while it keeps up, fast moves off slow workers — is in dispatch-pack.test.ts.)
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { connection, garden, later, sustained } from './test-support/garden-load';
import { job } from './test-support/pool-harness';
import { AFFINITY_MIN_MS, AFFINITY_STALL_MS, keepsAffinity } from './dispatch-policy';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** A keep-alive client connection: like FramedConnection, the worker it last ran on is the one it prefers. */

describe('keepsAffinity', () => {
  const w = (inFlight: number, progressAt: number, cpuShare: number | null = null) =>
    ({ inFlight, progressAt, service: { meanMs: 0 }, cpuShare }) as never;
  const now = 100_000;

  it('keeps the least loaded worker itself', () => {
    const least = w(5, 0);
    expect(keepsAffinity(least, least, now, now, true)).toBe(true);
  });

  it('keeps a busier worker that is making progress while the connection is new there', () => {
    expect(keepsAffinity(w(50, now - AFFINITY_STALL_MS), w(0, now), now - AFFINITY_MIN_MS + 1, now, true)).toBe(true);
  });

  it('leaves a worker with requests in flight that finished none for AFFINITY_STALL_MS, if the other did', () => {
    const stuck = w(1, now - AFFINITY_STALL_MS - 1);
    expect(keepsAffinity(stuck, w(0, now), now, now, true)).toBe(false);
    expect(keepsAffinity(stuck, w(0, 0), now, now, true)).toBe(false); // an idle worker is never stalled
    expect(keepsAffinity(stuck, w(1, now - AFFINITY_STALL_MS), now, now, true)).toBe(false);
    // Every worker looks stalled (the listener was slow to hear them): no reason to move.
    expect(keepsAffinity(stuck, w(1, now - AFFINITY_STALL_MS - 1), now, now, true)).toBe(true);
    expect(keepsAffinity(w(0, 0), w(0, now), now, now, true)).toBe(true);
  });

  it('after AFFINITY_MIN_MS moves the connection off a busy worker when it is more than a quarter busier', () => {
    const since = now - AFFINITY_MIN_MS;
    const busy = (inFlight: number) => w(inFlight, now, 0.9); // near a full CPU: it does not keep up
    expect(keepsAffinity(busy(10), w(8, now), since, now, true)).toBe(true); // 8 + 2
    expect(keepsAffinity(busy(11), w(8, now), since, now, true)).toBe(false);
    expect(keepsAffinity(busy(1), w(0, now), since, now, true)).toBe(false); // an idle worker: no slack
    expect(keepsAffinity(busy(3), w(3, now), since, now, true)).toBe(true);
    expect(keepsAffinity(busy(11), w(8, now), since + 1, now, true)).toBe(true); // not yet AFFINITY_MIN_MS there
    // A worker that keeps up keeps its connections, however much busier.
    expect(keepsAffinity(w(11, now), w(0, now), since, now, true)).toBe(true);
    expect(keepsAffinity(w(11, now, 0.5), w(0, now), since, now, true)).toBe(true);
    // spread (the default, IIS): no keeping up exception, the quarter rule alone.
    expect(keepsAffinity(w(11, now), w(0, now), since, now, false)).toBe(false);
    expect(keepsAffinity(w(10, now), w(8, now), since, now, false)).toBe(true);
  });
});

describe('dispatch with connection affinity', () => {
  it('a connection stays on a busy worker while it is new there, then moves when the imbalance is real', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    h.pool.submit(c);
    const first = c.ranOn[0]!;
    const other = first === w1 ? w2 : w1;
    h.done(c);
    // Its worker gets busy (other connections, near a full CPU): still kept, it is making progress.
    first.cpuShare = 0.9;
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

  it('a worker idle for long is not taken as stalled by the request that ends its idleness', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const a = connection();
    const b = connection();
    a.prefer = b.prefer = w1 as never;
    a.preferSince = b.preferSince = Date.now();
    w1.progressAt = w2.progressAt = Date.now();
    later(10 * AFFINITY_STALL_MS); // both idle since
    h.pool.submit(a);
    expect(a.ranOn.at(-1)).toBe(w1);
    // Its clock restarted when it got that request: the next connection's request stays with it, although w2 is
    // the least loaded (idle) — a worker counted as stalled there would lose it.
    h.pool.submit(b);
    expect(b.ranOn.at(-1)).toBe(w1);
  });

  it('a stalled worker given one more request (the only one it may go to) still counts as stalled', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    w1.inFlight = 3;
    w1.progressAt = Date.now() - AFFINITY_STALL_MS - 1; // finished nothing for longer than the stall mark
    const j = job();
    j.avoid = w2 as never;
    h.pool.submit(j);
    expect(j.ranOn).toEqual([w1]);
    // A new request is no progress: a connection on w1 still leaves it for the worker that is not stalled.
    const c = connection();
    c.prefer = w1 as never;
    c.preferSince = Date.now();
    h.pool.submit(c);
    expect(c.ranOn).toEqual([w2]);
  });

  it('the least loaded worker wins over an earlier turn in the rotation (spread, plain jobs)', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    h.done(h.submit()); // the rotation now starts at the second worker
    w2.inFlight = 3;
    w2.progressAt = Date.now();
    expect(h.submit().ranOn).toEqual([w1]);
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

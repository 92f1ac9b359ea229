// Web-garden dispatch packs (dispatch-policy.ts): a client connection goes to the first worker, in start order, that
// keeps up — idle, or answering its requests in less than KEEP_UP_MS on average with less than KEEP_UP_CPU of a CPU —
// and stays there while it keeps up, so a second worker is woken only when the first does not keep up. A worker that
// does not keep up gets no new connection while another keeps up; its connections move at once to a worker that
// answers in half the time with fewer in flight, or after AFFINITY_MIN_MS when it is a quarter busier. Jobs without a
// connection (HTTP transport) are still spread over the least loaded workers.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { connection, garden as gardenOf, later, sustained } from './test-support/garden-load';
import { job, type FakeJob, type FakeWorker } from './test-support/pool-harness';
import {
  AFFINITY_MIN_MS,
  AFFINITY_STALL_MS,
  KEEP_UP_CPU,
  KEEP_UP_MS,
  SERVICE_WINDOW_MS,
  ServiceTime,
  keepsAffinity,
  keepsUp,
  packsBack,
} from './dispatch-policy';

/** Every garden here packs (processModel.webGardenDispatch: 'pack'); the default, spread, is app-pool-affinity's. */
const garden = (processModel: Record<string, unknown> = {}) => gardenOf({ webGardenDispatch: 'pack', ...processModel });

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const now = 100_000;
const load = (inFlight: number, meanMs = 0, cpuShare: number | null = null, progressAt = now) =>
  ({ inFlight, progressAt, service: { meanMs }, cpuShare }) as never;

describe('ServiceTime', () => {
  it('is the mean of the requests that ended in the last closed window, 0 until one closed', () => {
    const t = new ServiceTime(0);
    t.record(4, 10);
    t.record(8, SERVICE_WINDOW_MS - 1);
    expect(t.meanMs).toBe(0); // the window is still open
    t.record(12, SERVICE_WINDOW_MS); // closes it: (4 + 8 + 12) / 3
    expect(t.meanMs).toBe(8);
    t.record(30, SERVICE_WINDOW_MS + 1);
    expect(t.meanMs).toBe(8); // a new window, still open
    t.record(10, 2 * SERVICE_WINDOW_MS);
    expect(t.meanMs).toBe(20);
  });

  it('caps one request at AFFINITY_MIN_MS (a long tunnel that ends does not mark its worker slow for long)', () => {
    const t = new ServiceTime(0);
    t.record(60_000, SERVICE_WINDOW_MS);
    expect(t.meanMs).toBe(AFFINITY_MIN_MS);
  });
});

describe('keepsUp', () => {
  it('an idle worker keeps up whatever its history', () => {
    expect(keepsUp(load(0, 500, 1, 0), now)).toBe(true);
  });

  it('a busy worker keeps up while its requests take less than KEEP_UP_MS and it uses less than KEEP_UP_CPU', () => {
    expect(keepsUp(load(50, KEEP_UP_MS - 0.01, KEEP_UP_CPU - 0.01), now)).toBe(true);
    expect(keepsUp(load(50, KEEP_UP_MS), now)).toBe(false);
    expect(keepsUp(load(1, 0, KEEP_UP_CPU), now)).toBe(false);
    expect(keepsUp(load(1, 0, null), now)).toBe(true); // CPU not known: the service time decides
  });

  it('a stalled worker does not keep up', () => {
    expect(keepsUp(load(1, 0, null, now - AFFINITY_STALL_MS), now)).toBe(true);
    expect(keepsUp(load(1, 0, null, now - AFFINITY_STALL_MS - 1), now)).toBe(false);
  });
});

describe('keepsAffinity: a worker whose requests take long', () => {
  const since = now; // the connection just came: only the fast rules apply
  it('loses the connection at once to one that keeps up with fewer in flight and answers in half the time', () => {
    expect(keepsAffinity(load(6, 20), load(0), since, now, true)).toBe(false);
    expect(keepsAffinity(load(6, 30), load(5, 9), since, now, true)).toBe(false);
    expect(keepsAffinity(load(6, 12), load(5, 6), since, now, true)).toBe(false);
  });

  it('keeps it when the other is not that much faster, not less busy, or does not keep up either', () => {
    expect(keepsAffinity(load(6, 12), load(5, 6.01), since, now, true)).toBe(true);
    expect(keepsAffinity(load(6, 30), load(5, KEEP_UP_MS), since, now, true)).toBe(true);
    expect(keepsAffinity(load(6, 20), load(6, 0), since, now, true)).toBe(true);
    expect(keepsAffinity(load(6, 20), load(1, 0, KEEP_UP_CPU), since, now, true)).toBe(true);
    // A worker busy by CPU only (its requests still quick) waits for AFFINITY_MIN_MS and the quarter rule.
    expect(keepsAffinity(load(6, 1, KEEP_UP_CPU), load(0), since, now, true)).toBe(true);
  });
});

describe('packsBack', () => {
  const old = now - AFFINITY_MIN_MS;
  it('moves a connection that has been on a later worker that keeps up for AFFINITY_MIN_MS to the first one', () => {
    expect(packsBack(load(3), load(40), old, now)).toBe(true);
    expect(packsBack(load(3, 0, 0.1), load(40, 0, KEEP_UP_CPU - 0.11), old, now)).toBe(true);
  });

  it('not before AFFINITY_MIN_MS, not from a worker that does not keep up, nor onto the same worker', () => {
    expect(packsBack(load(3), load(40), old + 1, now)).toBe(false);
    expect(packsBack(load(3, KEEP_UP_MS), load(40), old, now)).toBe(false);
    const w = load(3);
    expect(packsBack(w, w, old, now)).toBe(false);
  });

  it('not when what both workers use would not fit under KEEP_UP_CPU', () => {
    expect(packsBack(load(3, 0, 0.1), load(40, 0, KEEP_UP_CPU - 0.1), old, now)).toBe(false);
    expect(packsBack(load(3, 0, KEEP_UP_CPU - 0.1), load(40, 0, 0.1), old, now)).toBe(false);
  });
});

/** Runs `c` and ends it at once (a quick request), `ms` later. */
function serve(h: ReturnType<typeof garden>, c: FakeJob, ms = 1): FakeWorker {
  h.pool.submit(c);
  later(ms);
  h.done(c);
  return c.ranOn.at(-1)!;
}

describe('packing connections on the first worker that keeps up', () => {
  it('a burst of new connections all go to the first worker; plain jobs are still spread', () => {
    const h = garden({ maxProcesses: 3 });
    const plain = [h.submit(), h.submit(), h.submit()];
    expect(new Set(plain.map((j) => j.ranOn[0])).size).toBe(3); // one each
    const conns = [connection(), connection(), connection()];
    for (const c of conns) h.pool.submit(c);
    expect(conns.map((c) => c.ranOn)).toEqual([[h.worker(0)], [h.worker(0)], [h.worker(0)]]);
  });

  it('the first worker in start order, whatever the round-robin turn', () => {
    const h = garden();
    h.done(h.submit()); // moves the rotation to the second worker
    expect(serve(h, connection())).toBe(h.worker(0));
  });

  it('under sustained load that the first worker keeps up with, the second gets nothing and nothing moves', () => {
    // Each step a worker answers all it has: 1 ms per request, far below KEEP_UP_MS.
    const r = sustained({ dispatch: 'pack', conns: 100, steps: 2_000, stepMs: 1, speed: [100, 100], limit: 100 });
    expect(r.share).toEqual([1, 0]);
    expect(r.moves).toBe(0);
  });

  it('spread, the default (IIS): both workers share the load, a new connection goes to the idler one', () => {
    const r = sustained({ conns: 100, steps: 2_000, stepMs: 1, speed: [100, 100], limit: 100 });
    expect(r.share[1]).toBeGreaterThan(0.4);
    expect(r.moves).toBeLessThan(0.01);
    const h = gardenOf();
    h.worker(0).inFlight = 3;
    h.worker(0).progressAt = Date.now();
    expect(serve(h, connection())).toBe(h.worker(1));
  });

  it('a first worker near a full CPU gets no new connection, keeps its own, and sheds them after a second', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const old = connection();
    expect(serve(h, old)).toBe(w1);
    w1.inFlight = 20; // other connections' requests, being answered
    w1.progressAt = Date.now();
    w1.cpuShare = KEEP_UP_CPU;
    expect(serve(h, connection())).toBe(w2);
    expect(serve(h, old)).toBe(w1); // it came to w1 less than AFFINITY_MIN_MS ago
    later(AFFINITY_MIN_MS);
    w1.progressAt = Date.now();
    expect(serve(h, old)).toBe(w2);
    // Back under the CPU mark: new connections pack on the first worker again.
    w1.cpuShare = KEEP_UP_CPU - 0.01;
    expect(serve(h, connection())).toBe(w1);
  });

  it('with workers too slow to keep up, both serve as before (a slower one sheds connections)', () => {
    const equal = sustained({ dispatch: 'pack', conns: 100, steps: 5_000, stepMs: 1, speed: [1, 1], limit: 100 });
    expect(equal.share[1]).toBeGreaterThan(0.4);
    expect(equal.moves).toBeLessThan(0.01);
    const cpu = sustained({
      dispatch: 'pack',
      conns: 100,
      steps: 5_000,
      stepMs: 1,
      speed: [100, 100],
      limit: 100,
      cpu: [0.9, 0.9],
    });
    expect(cpu.share[1]).toBeGreaterThan(0.3);
  });

  it('connections whose requests take 20 ms spread evenly within a few windows', () => {
    const h = garden({ maxProcesses: 3 });
    const workers = [h.worker(0), h.worker(1), h.worker(2)];
    const conns = Array.from({ length: 6 }, () => connection());
    for (const c of conns) h.pool.submit(c);
    expect(workers.map((w) => w.inFlight)).toEqual([6, 0, 0]);
    let moves = 0;
    for (let round = 0; round < 20; round++) {
      later(20);
      for (const c of conns) {
        const before = c.ranOn.at(-1);
        h.done(c);
        h.pool.submit(c);
        if (c.ranOn.at(-1) !== before) moves++;
      }
    }
    expect(workers.map((w) => w.inFlight)).toEqual([2, 2, 2]);
    expect(moves).toBeLessThanOrEqual(6);
  });
});

describe('packing back', () => {
  it('a connection sent to the second worker while the first stalled returns after AFFINITY_MIN_MS', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    expect(serve(h, c)).toBe(w1);
    w1.inFlight = 5; // other connections' requests
    w1.progressAt = Date.now() - AFFINITY_STALL_MS - 1; // stalled for a moment
    expect(serve(h, c)).toBe(w2);
    w1.progressAt = Date.now(); // answering again
    expect(serve(h, c)).toBe(w2); // it came to w2 less than AFFINITY_MIN_MS ago
    later(AFFINITY_MIN_MS);
    w1.progressAt = Date.now();
    expect(serve(h, c)).toBe(w1);
  });

  it('a garden whose load needs both workers stays spread', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const c = connection();
    c.prefer = w2 as never;
    c.preferSince = Date.now() - AFFINITY_MIN_MS;
    w1.inFlight = w2.inFlight = 5;
    w1.progressAt = w2.progressAt = Date.now();
    w1.cpuShare = w2.cpuShare = 0.4;
    expect(serve(h, c)).toBe(w2);
    w2.cpuShare = 0.3;
    expect(serve(h, c)).toBe(w1);
  });
});

describe('a new worker', () => {
  it('gets new connections at once when the first worker does not keep up, and none while it does', () => {
    const h = garden();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    w1.inFlight = 5;
    w1.progressAt = Date.now();
    expect(serve(h, connection())).toBe(w1);
    w1.inFlight = 5;
    w1.progressAt = Date.now() - AFFINITY_STALL_MS - 1; // blocked
    expect(serve(h, connection())).toBe(w2);
  });
});

it('plain jobs keep the least-loaded rule even on a worker that does not keep up', () => {
  const h = garden();
  const [w1, w2] = [h.worker(0), h.worker(1)];
  w1.cpuShare = 0.99;
  w2.inFlight = 1;
  const j = job();
  h.pool.submit(j);
  expect(j.ranOn).toEqual([w1]);
});

it('only a packing garden keeps its workers’ request times: spread never reads them', () => {
  for (const dispatch of ['spread', 'pack'] as const) {
    const h = gardenOf({ webGardenDispatch: dispatch });
    const j = h.submit();
    later(SERVICE_WINDOW_MS); // a request as long as the window: it closes the window when it ends
    h.done(j);
    expect(j.ranOn[0]!.service.meanMs).toBe(dispatch === 'pack' ? SERVICE_WINDOW_MS : 0);
  }
});

// Which worker serves a request and when, beyond app-pool.test.ts (found by mutation testing of app-pool.ts): a new
// request never overtakes a queued one, a web garden grows on the request that makes its last idle worker busy and
// not while one is idle, the rotation moves only when a worker was picked, dispatch and completion stamp the idle
// clock, a draining worker exits after its last request, and a replayed request moves on at once (another worker,
// or a demand start when its worker is being killed).
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness, job } from './test-support/pool-harness';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });

describe('queue order', () => {
  it('a new request never overtakes a queued one, even when a worker has room again', () => {
    const h = new PoolHarness(always({ processModel: { maxConcurrentRequestsPerWorker: 1 } })).bootReady();
    const w = h.worker(0);
    w.suspected = true; // not dispatchable for a moment: the first request waits
    const a = h.submit();
    expect(h.queued).toEqual([a]);
    w.suspected = false; // dispatchable again, and nothing has drained the queue yet
    const b = h.submit();
    expect(a.ranOn).toEqual([w]); // the queued request goes first
    expect(b.ranOn).toEqual([]);
    expect(h.queued).toEqual([b]);
    h.done(a);
    expect(b.ranOn).toEqual([w]);
  });
});

describe('web-garden growth', () => {
  it('grows on the request that makes the only ready worker busy', () => {
    const h = new PoolHarness({ processModel: { maxProcesses: 2 } });
    h.pool.boot();
    const a = h.submit();
    h.worker(0).ready();
    h.done(a); // the worker is idle again
    expect(h.workers).toHaveLength(1);
    const b = h.submit();
    expect(b.ranOn).toEqual([h.worker(0)]);
    expect(h.workers).toHaveLength(2); // it is busy now: a second worker starts for the next request
    expect(h.worker(1).overlapReplacement).toBe(false);
  });

  it('does not grow while another ready worker is idle, even if this request went elsewhere', () => {
    const h = new PoolHarness({ processModel: { maxProcesses: 3 } });
    h.pool.boot();
    h.submit();
    const w1 = h.worker(0).ready();
    h.submit(); // w1 busy: the garden grows
    const w2 = h.worker(1).ready();
    expect(w1.inFlight).toBe(2);
    expect(w2.inFlight).toBe(0);
    const c = job();
    c.avoid = w2 as never; // a replay that must not go back to w2
    h.pool.submit(c);
    expect(c.ranOn).toEqual([w1]);
    expect(h.workers).toHaveLength(2); // w2 is ready and idle: no third worker
  });
});

describe('round-robin', () => {
  it('a pick that finds no worker does not move the rotation', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    expect(h.pool.pickWorker(null)).toBe(w1);
    w1.suspected = true;
    w2.suspected = true;
    expect(h.pool.pickWorker(null)).toBeNull();
    expect(h.pool.pickWorker(null)).toBeNull();
    expect(h.pool.pickWorker(null)).toBeNull();
    w1.suspected = false;
    w2.suspected = false;
    expect(h.pool.pickWorker(null)).toBe(w2); // w2's turn, as if the failed picks had not happened
    expect(h.pool.pickWorker(null)).toBe(w1);
  });
});

describe('the idle clock', () => {
  it('dispatch and completion both stamp the worker with the time (idleTimeout counts from the last one)', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    const readyAt = Date.now();
    expect(w.lastActivity).toBe(readyAt);
    jest.advanceTimersByTime(5000);
    const a = h.submit();
    expect(w.lastActivity).toBe(readyAt + 5000);
    expect(a.dispatchedAt).toBe(readyAt + 5000);
    jest.advanceTimersByTime(3000);
    h.done(a, false); // an unfinished response is activity too
    expect(w.lastActivity).toBe(readyAt + 8000);
  });
});

describe('draining', () => {
  it('a worker that is not draining is never asked to exit when a request finishes', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    h.done(h.submit());
    h.done(h.submit(), false);
    expect(w.calls).not.toContain('shutdown');
  });

  it('a draining worker is asked to exit when its last request finishes, not before', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    const [a, b] = [h.submit(), h.submit()];
    h.pool.stop('Admin');
    expect(w.state).toBe('Draining');
    expect(w.calls).not.toContain('shutdown');
    h.done(a);
    expect(w.calls).not.toContain('shutdown'); // b still runs
    h.done(b, false);
    expect(w.calls.filter((c) => c === 'shutdown')).toHaveLength(1);
  });
});

describe('a replayed request (requeue)', () => {
  it('goes to another ready worker at once', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const a = h.submit();
    expect(a.ranOn).toEqual([w1]);
    h.pool.requeue(a, w1 as never);
    expect(a.ranOn).toEqual([w1, w2]);
    expect(h.queued).toHaveLength(0);
    expect(w1.inFlight).toBe(0);
    expect(w2.inFlight).toBe(1);
  });

  it('starts a worker on demand at once when its worker is being killed (it does not wait for the exit)', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    const w1 = h.worker(0).ready();
    expect(a.ranOn).toEqual([w1]);
    h.pool.failure(w1 as never, 'ping', 'no ping response'); // killed; an idle OnDemand pool starts nothing yet
    expect(h.workers).toHaveLength(1);
    h.pool.requeue(a, w1 as never); // its connection to w1 failed
    expect(h.queued).toEqual([a]);
    expect(h.workers).toHaveLength(2);
    h.worker(1).ready();
    expect(a.ranOn).toEqual([w1, h.worker(1)]);
  });
});

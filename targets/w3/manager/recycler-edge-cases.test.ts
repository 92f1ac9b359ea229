// Recycler behaviour that recycler.test.ts left unchecked (found by mutation testing, `npm run mutate`): what
// recycleAll returns when some workers cannot recycle, which recycles the web-garden stagger holds back, how an
// overlapped recycle counts toward the pool's live workers, and the races where a replacement reports ready or dies
// after its recycle already ended.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness } from './test-support/pool-harness';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });
const garden = (time = 60_000) =>
  always({ processModel: { maxProcesses: 2 }, recycling: { periodicRestart: { time } } });

describe('recycleAll', () => {
  it('returns the ids of the recycles it started, nothing for a worker that could not recycle', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } }));
    h.pool.boot();
    h.worker(0).ready(); // the second worker is still starting: not recyclable
    const ids = h.pool.recycle('OnDemand');
    expect(ids).toEqual(h.of('RecycleStarted').map((e) => e.recycleId));
    expect(ids).toHaveLength(1);
  });
});

describe('recycle ids', () => {
  it('are positive and count up: each recycle gets a new one', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const [first, second] = h.pool.recycle('OnDemand');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first!);
  });
});

describe('non-overlapped recycle', () => {
  it('drains the old worker as a recycle: that is the reason its draining and its exit report', () => {
    const h = new PoolHarness(always({ recycling: { disallowOverlappingRotation: true } })).bootReady();
    const old = h.worker(0);
    h.pool.recycler.recycleWorker(old as never, 'OnDemand');
    expect(old.endReason).toBe('recycle');
    expect(h.of('WorkerDraining')).toEqual([expect.objectContaining({ workerId: old.id, reason: 'recycle' })]);
    old.exit(0, null);
    expect(h.of('WorkerExited')).toEqual([expect.objectContaining({ workerId: old.id, reason: 'recycle' })]);
  });
});

describe('the drain timer', () => {
  it('a worker that exits while draining leaves no kill timer behind', () => {
    const h = new PoolHarness({ processModel: { pingingEnabled: false } }); // OnDemand: no replacement starts
    h.pool.boot();
    const j = h.submit();
    const w = h.worker(0).ready();
    h.done(j);
    h.pool.health.stop(); // no pool tick, no pings: the drain adds the only new timer
    const before = jest.getTimerCount();
    h.pool.recycler.drain(w as never, 'idle');
    expect(jest.getTimerCount()).toBe(before + 1);
    w.exit(0, null);
    expect(jest.getTimerCount()).toBe(before);
  });
});

describe('web-garden stagger: which recycles hold others back', () => {
  it('a recycle that is neither time- nor request-based holds back no time-based one', () => {
    const h = new PoolHarness(garden()).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    expect(h.pool.recycler.recycleWorker(a as never, 'OnDemand')).not.toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'Time')).not.toBeNull();
  });

  it('a time-based recycle in progress holds back a request-based one', () => {
    const h = new PoolHarness(garden()).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    expect(h.pool.recycler.recycleWorker(a as never, 'Time')).not.toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'Requests')).toBeNull();
  });
});

describe('an overlapped recycle and the pool size', () => {
  it('is no pending replacement: a worker that crashes during the overlap is still replaced', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    h.pool.recycler.recycleWorker(a as never, 'OnDemand');
    expect(h.pool.recycler.pendingReplacements()).toBe(0);
    expect(h.workers).toHaveLength(3); // a's replacement
    b.exit();
    expect(h.workers).toHaveLength(4); // b's replacement, beside a and a's replacement
    expect(h.worker(3).recycleId).toBeNull();
  });
});

describe('a replacement whose recycle already ended', () => {
  it('reports ready after the old worker crashed: it serves as an ordinary worker, the recycle stays completed', () => {
    const h = new PoolHarness(always()).bootReady();
    const old = h.worker(0);
    h.pool.recycler.recycleWorker(old as never, 'OnDemand');
    const repl = h.worker(1);
    old.exit(); // the old worker crashed during the overlap: the recycle completes
    expect(h.of('RecycleCompleted')).toHaveLength(1);
    repl.ready();
    expect(repl.recycleId).toBeNull();
    expect(repl.overlapReplacement).toBe(false);
    expect(repl.state).toBe('Ready');
    expect(h.of('WorkerDraining')).toHaveLength(0);
    expect(h.of('RecycleCompleted')).toHaveLength(1);
    expect(h.submit().ranOn).toHaveLength(1);
  });

  it('dies before ready after the old worker crashed: no overlap failure, the pool replaces the dead', () => {
    const h = new PoolHarness(always()).bootReady();
    const old = h.worker(0);
    h.pool.recycler.recycleWorker(old as never, 'OnDemand');
    const repl = h.worker(1);
    old.exit();
    const started = h.workers.length;
    repl.exit(1, null);
    expect(h.of('RecycleOverlapFailed')).toHaveLength(0);
    expect(h.of('RecycleCompleted')).toHaveLength(1);
    expect(h.of('WorkerCrashed')).toHaveLength(2);
    expect(h.workers.length).toBeGreaterThanOrEqual(started);
    expect(h.live.some((w) => w.state === 'Starting' || w.state === 'Ready')).toBe(true);
  });
});

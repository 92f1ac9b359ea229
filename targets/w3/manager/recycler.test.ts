// Recycling on fake workers: overlapped (replacement first, then the old one drains) and not (old first), the
// RecycleStarted / RecycleCompleted records, a failed overlap (5093, old keeps serving, no retry storm), a pool stop
// that cancels a recycle, the web-garden stagger, and the drain's shutdownTimeLimit kill.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness } from './test-support/pool-harness';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });

describe('overlapped recycle', () => {
  it('starts the replacement first, drains the old one when it is ready, completes when the old one exits', () => {
    const h = new PoolHarness(always()).bootReady();
    const old = h.worker(0);
    const id = h.pool.recycler.recycleWorker(old as never, 'OnDemand', 'admin asked');
    expect(id).not.toBeNull();
    expect(h.of('RecycleStarted')).toEqual([
      expect.objectContaining({
        eventId: 5079,
        pool: 'app',
        workerId: 1,
        pid: old.pid,
        recycleId: id,
        reason: 'OnDemand',
        overlapped: true,
        detail: 'admin asked',
      }),
    ]);
    const repl = h.worker(1);
    expect(repl.recycleId).toBe(id);
    expect(repl.overlapReplacement).toBe(true);
    expect(h.of('WorkerStarting')[1]).toMatchObject({ recycleId: id });
    // Until the replacement is ready the old worker serves.
    expect(h.submit().ranOn).toEqual([old]);
    expect(old.state).toBe('Ready');
    jest.advanceTimersByTime(300);
    repl.ready();
    expect(repl.recycleId).toBeNull();
    expect(repl.overlapReplacement).toBe(false);
    expect(old.state).toBe('Draining');
    expect(old.endReason).toBe('recycle');
    expect(h.of('WorkerDraining')).toEqual([expect.objectContaining({ workerId: 1, reason: 'recycle', inFlight: 1 })]);
    expect(old.calls).not.toContain('shutdown'); // it still has a request in flight
    expect(h.submit().ranOn).toEqual([repl]);
    h.done({ ...h.submit(), ranOn: [old] }); // its last request finishes
    expect(old.calls).toContain('shutdown');
    expect(h.of('RecycleCompleted')).toHaveLength(0);
    jest.advanceTimersByTime(200);
    old.exit(0, null);
    expect(h.of('RecycleCompleted')).toEqual([
      expect.objectContaining({
        recycleId: id,
        reason: 'OnDemand',
        workerId: 1,
        oldPid: old.pid,
        newWorkerId: 2,
        newPid: repl.pid,
        overlapped: true,
        durationMs: 500,
        readyMs: 300,
        oldExitMs: 500,
      }),
    ]);
    expect(h.of('RecycleCompleted')[0]?.cancelled).toBeUndefined();
    expect(h.of('WorkerExited')).toEqual([expect.objectContaining({ reason: 'recycle' })]);
  });

  it('an idle old worker is asked to exit as soon as the replacement is ready', () => {
    const h = new PoolHarness(always()).bootReady();
    h.pool.recycle('ConfigChange');
    h.worker(1).ready();
    expect(h.worker(0).calls).toContain('shutdown');
  });

  it('refuses a worker that is not Ready, one already recycling, and any worker of a stopped pool', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } }));
    h.pool.boot();
    const [a, b] = [h.worker(0), h.worker(1)];
    expect(h.pool.recycler.recycleWorker(a as never, 'OnDemand')).toBeNull(); // still Starting
    a.ready();
    b.ready();
    expect(h.pool.recycler.recycleWorker(a as never, 'OnDemand')).not.toBeNull();
    expect(h.pool.recycler.recycleWorker(a as never, 'OnDemand')).toBeNull();
    h.pool.stop('Admin');
    b.state = 'Ready';
    b.endReason = null;
    expect(h.pool.recycler.recycleWorker(b as never, 'OnDemand')).toBeNull();
    expect(h.of('RecycleStarted')).toHaveLength(1);
  });

  it('recycleAll recycles every ready worker and returns their ids', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const ids = h.pool.recycle('OnDemand');
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(h.of('RecycleStarted').map((e) => e.workerId)).toEqual([1, 2]);
  });

  it('a memory recycle carries what was measured', () => {
    const h = new PoolHarness(always()).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'PrivateMemory', '900 KB > 500 KB', {
      privateMemoryKB: 900,
      limitKB: 500,
    });
    expect(h.of('RecycleStarted')[0]).toMatchObject({
      eventId: 5117,
      privateMemoryKB: 900,
      limitKB: 500,
      detail: '900 KB > 500 KB',
    });
  });

  it('a replacement that dies before ready: 5093, the old worker keeps serving, no new attempt for a while', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 5000 } })).bootReady();
    const old = h.worker(0);
    const id = h.pool.recycler.recycleWorker(old as never, 'Time');
    h.worker(1).exit(1, null);
    expect(h.of('RecycleOverlapFailed')).toEqual([
      expect.objectContaining({ pool: 'app', recycleId: id, workerId: 1, pid: old.pid, reason: 'Time' }),
    ]);
    expect(h.of('RecycleCompleted')).toHaveLength(0);
    expect(old.state).toBe('Ready');
    expect(h.submit().ranOn).toEqual([old]);
    // Not again before startupTimeLimit has passed (the crash itself counted as a failure already).
    expect(h.pool.recycler.recycleWorker(old as never, 'Time')).toBeNull();
    jest.advanceTimersByTime(4999);
    expect(h.pool.recycler.recycleWorker(old as never, 'Time')).toBeNull();
    jest.advanceTimersByTime(1);
    expect(h.pool.recycler.recycleWorker(old as never, 'Time')).not.toBeNull();
  });

  it('the retry pause after a failed overlap is at least 1 s', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 200 } })).bootReady();
    const old = h.worker(0);
    h.pool.recycler.recycleWorker(old as never, 'OnDemand');
    h.worker(1).exit(1, null);
    jest.advanceTimersByTime(999);
    expect(h.pool.recycler.recycleWorker(old as never, 'OnDemand')).toBeNull();
    jest.advanceTimersByTime(1);
    expect(h.pool.recycler.recycleWorker(old as never, 'OnDemand')).not.toBeNull();
  });

  it('a pool stop during the overlap cancels the recycle (not a 5093)', () => {
    const h = new PoolHarness(always()).bootReady();
    const id = h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.pool.stop('Admin');
    h.worker(1).exit(); // the replacement, killed while starting
    expect(h.of('RecycleOverlapFailed')).toHaveLength(0);
    expect(h.of('RecycleCompleted')).toEqual([expect.objectContaining({ recycleId: id, cancelled: true })]);
    h.worker(0).exit(0, null);
    expect(h.of('RecycleCompleted')).toHaveLength(1);
  });

  it('the old worker stopped before its replacement was ready: cancelled', () => {
    const h = new PoolHarness(always()).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.worker(0).endReason = 'host-stop';
    h.worker(0).exit(0, null);
    expect(h.of('RecycleCompleted')).toEqual([expect.objectContaining({ cancelled: true, readyMs: null })]);
  });

  it('the old worker crashing during the overlap still completes the recycle (not cancelled)', () => {
    const h = new PoolHarness(always()).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.worker(0).exit();
    const [done] = h.of('RecycleCompleted');
    expect(done).toMatchObject({ overlapped: true, readyMs: null });
    expect(done?.cancelled).toBeUndefined();
  });
});

describe('non-overlapped recycle (disallowOverlappingRotation)', () => {
  const noOverlap = always({ recycling: { disallowOverlappingRotation: true } });

  it('drains the old worker first; requests wait; the replacement starts when it exited', () => {
    const h = new PoolHarness(noOverlap).bootReady();
    const old = h.worker(0);
    const id = h.pool.recycler.recycleWorker(old as never, 'Requests');
    expect(h.of('RecycleStarted')[0]).toMatchObject({ overlapped: false, eventId: 5075 });
    expect(old.state).toBe('Draining');
    expect(old.calls).toContain('shutdown');
    expect(h.workers).toHaveLength(1); // no replacement yet, and ensureWorkers counts the pending one
    expect(h.pool.recycler.pendingReplacements()).toBe(1);
    const waiting = h.submit();
    expect(h.workers).toHaveLength(1);
    expect(waiting.ranOn).toEqual([]);
    jest.advanceTimersByTime(100);
    old.exit(0, null);
    expect(h.pool.recycler.pendingReplacements()).toBe(0);
    const repl = h.worker(1);
    expect(repl.recycleId).toBe(id);
    expect(repl.overlapReplacement).toBe(false);
    expect(h.workers).toHaveLength(2);
    jest.advanceTimersByTime(100);
    repl.ready();
    expect(waiting.ranOn).toEqual([repl]);
    expect(h.of('RecycleCompleted')).toEqual([
      expect.objectContaining({
        recycleId: id,
        overlapped: false,
        newWorkerId: 2,
        readyMs: 200,
        oldExitMs: null,
        durationMs: 200,
      }),
    ]);
  });

  it('a replacement that fails to start completes the recycle as replacementFailed; demand starts the next', () => {
    const h = new PoolHarness(noOverlap).bootReady();
    const id = h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.worker(0).exit(0, null);
    h.worker(1).exit(1, null);
    expect(h.of('RecycleCompleted')).toEqual([expect.objectContaining({ recycleId: id, replacementFailed: true })]);
    expect(h.of('RecycleOverlapFailed')).toHaveLength(0);
    expect(h.workers).toHaveLength(3);
  });

  it('the pool stopped while the old worker drained: no replacement, cancelled', () => {
    const h = new PoolHarness(noOverlap).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.pool.stop('Admin');
    h.worker(0).exit(0, null);
    expect(h.workers).toHaveLength(1);
    expect(h.of('RecycleCompleted')).toEqual([expect.objectContaining({ cancelled: true, oldExitMs: 0 })]);
  });

  it('a replacement stopped with its pool: cancelled, not replacementFailed', () => {
    const h = new PoolHarness(noOverlap).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    h.worker(0).exit(0, null);
    h.pool.stop('Admin');
    h.worker(1).exit();
    const [done] = h.of('RecycleCompleted');
    expect(done).toMatchObject({ cancelled: true });
    expect(done?.replacementFailed).toBeUndefined();
  });
});

describe('web-garden stagger', () => {
  const garden = (time = 60_000) =>
    always({ processModel: { maxProcesses: 2 }, recycling: { periodicRestart: { time } } });

  it('one time- or request-based recycle at a time; others are not staggered', () => {
    const h = new PoolHarness(garden()).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    expect(h.pool.recycler.recycleWorker(a as never, 'Requests')).not.toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'Requests')).toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'Time')).toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'OnDemand')).not.toBeNull();
  });

  it('time-based recycles start at least time / maxProcesses apart', () => {
    const h = new PoolHarness(garden(60_000)).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    expect(h.pool.recycler.recycleWorker(a as never, 'Time')).not.toBeNull();
    h.worker(2).ready();
    a.exit(0, null); // that recycle is complete
    jest.advanceTimersByTime(29_999);
    expect(h.pool.recycler.recycleWorker(b as never, 'Time')).toBeNull();
    expect(h.pool.recycler.recycleWorker(b as never, 'Requests')).not.toBeNull(); // requests are not spaced
  });

  it('after the spacing a second time-based recycle may start', () => {
    const h = new PoolHarness(garden(60_000)).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    h.pool.recycler.recycleWorker(a as never, 'Time');
    h.worker(2).ready();
    a.exit(0, null);
    jest.advanceTimersByTime(30_000);
    expect(h.pool.recycler.recycleWorker(b as never, 'Time')).not.toBeNull();
  });

  it('a single-worker pool is never staggered', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { time: 60_000 } } })).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'Time');
    h.worker(1).ready();
    h.worker(0).exit(0, null);
    expect(h.pool.recycler.recycleWorker(h.worker(1) as never, 'Time')).not.toBeNull();
  });
});

describe('drain and shutdownTimeLimit', () => {
  it('a worker that does not exit within shutdownTimeLimit is killed, and that counts as a failure', () => {
    const h = new PoolHarness(always({ processModel: { shutdownTimeLimit: 2000 } })).bootReady();
    const w = h.worker(0);
    h.submit();
    h.pool.recycler.drain(w as never, 'idle');
    expect(w.state).toBe('Draining');
    expect(w.calls).not.toContain('shutdown');
    jest.advanceTimersByTime(1999);
    expect(h.of('ShutdownTimeout')).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(h.of('ShutdownTimeout')).toEqual([
      expect.objectContaining({ workerId: 1, pid: w.pid, inFlight: 1, limitMs: 2000 }),
    ]);
    expect(w.endReason).toBe('shutdown-timeout');
    expect(w.calls).toContain('kill shutdown-timeout');
    expect(h.of('RapidFailCount')).toEqual([expect.objectContaining({ reason: 'shutdown-timeout' })]);
  });

  it('the kill at shutdownTimeLimit is no failure when the host stops or the pool is removed', () => {
    for (const why of ['host-stop', 'pool-removed']) {
      const h = new PoolHarness(always({ processModel: { shutdownTimeLimit: 1000 } })).bootReady();
      h.pool.recycler.drain(h.worker(0) as never, why);
      jest.advanceTimersByTime(1000);
      expect(h.worker(0).calls).toContain('kill shutdown-timeout');
      expect(h.of('RapidFailCount')).toHaveLength(0);
    }
  });

  it('an exit before the limit cancels the kill; a drain is done once', () => {
    const h = new PoolHarness(always({ processModel: { shutdownTimeLimit: 1000 } })).bootReady();
    const w = h.worker(0);
    h.pool.recycler.drain(w as never, 'idle');
    h.pool.recycler.drain(w as never, 'recycle');
    expect(h.of('WorkerDraining')).toHaveLength(1);
    expect(w.endReason).toBe('idle');
    w.exit(0, null);
    jest.advanceTimersByTime(5000);
    expect(h.of('ShutdownTimeout')).toHaveLength(0);
    h.pool.recycler.drain(w as never, 'idle'); // exited: nothing
    expect(h.of('WorkerDraining')).toHaveLength(1);
  });

  it('a worker still starting is killed at once; an orphaned one keeps its state', () => {
    const h = new PoolHarness(always());
    h.pool.boot();
    const w = h.worker(0);
    h.pool.recycler.drain(w as never, 'pool-stop');
    expect(w.calls).toContain('kill pool-stop');
    expect(w.calls).not.toContain('shutdown');
    const o = new PoolHarness(always()).bootReady();
    const ow = o.worker(0);
    ow.state = 'Orphaned';
    o.pool.recycler.drain(ow as never, 'host-stop');
    expect(ow.state).toBe('Orphaned');
  });
});

import { overlappedRecycleCompletes } from './overlapped-recycle-completes';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

interface RecycleTimes {
  start: number;
  ready: number;
  oldExit: number;
  completed?: number | null;
}

/**
 * Worker 1 (pid 101) serves until a recycle at `start`; worker 2 (pid 102) becomes ready at `ready`, the old one
 * exits at `oldExit`. Requests every 50 ms go to `servedBy(ms)`.
 */
function recycle(t: RecycleTimes, servedBy: (ms: number) => number | undefined, durationMs = 20_000): RunBuilder {
  const run = new RunBuilder(durationMs).workerUp(0, pool, 1, 101);
  const old = { pool, workerId: 1, pid: 101 };
  run.event(t.start, 'RecycleStarted', { ...old, recycleId: 7, reason: 'admin', overlapped: true });
  run.workerUp(t.start + 5, pool, 2, 102, t.ready - t.start - 5, { recycleId: 7 });
  run.event(t.oldExit, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle', exitCode: 0 });
  if (t.completed !== null) {
    run.event(t.completed ?? t.oldExit, 'RecycleCompleted', {
      pool,
      recycleId: 7,
      reason: 'admin',
      workerId: 1,
      newWorkerId: 2,
      oldPid: 101,
      newPid: 102,
    });
  }
  return run.load(500, durationMs, 50, (ms) => ({ workerPid: servedBy(ms) }));
}

const good: RecycleTimes = { start: 10_000, ready: 10_500, oldExit: 10_800 };
const switchAtReady = (ms: number): number => (ms < good.ready ? 101 : 102);

describe('overlappedRecycleCompletes', () => {
  it('is valid when the new worker is ready before the old exits and traffic switches at ready', () => {
    const run = recycle(good, switchAtReady);
    run.request(10_480, { workerPid: 101, latencyMs: 200 }); // in flight on the old worker: may finish
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({
        recycleId: 7,
        reason: 'admin',
        oldPid: 101,
        newPid: 102,
        startToReadyMs: 500,
        readyToOldExitMs: 300,
        startToOldExitMs: 800,
        startToCompleteMs: 800,
        problems: [],
      }),
    ]);
  });

  it('is false for a non-overlapped recycle (old worker gone before the new one is ready)', () => {
    const run = recycle({ start: 10_000, ready: 10_900, oldExit: 10_200 }, (ms) => (ms < 10_200 ? 101 : 102));
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/not overlapped: the old worker exited 700 ms before/);
  });

  it('is false when the old worker still takes new requests after the new one is ready', () => {
    // 10 500 and 10 550 fall within the 50 ms grace; 10 600 and 10 650 do not.
    const v = overlappedRecycleCompletes.check(recycle(good, (ms) => (ms < 10_700 ? 101 : 102)).input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/old worker took 2 new request/);
  });

  it('is false when the new worker serves before it reports ready', () => {
    const v = overlappedRecycleCompletes.check(recycle(good, (ms) => (ms < 10_300 ? 101 : 102)).input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/new worker served 3 request\(s\) before it was ready/);
    expect(v.summary).not.toMatch(/waited/);
  });

  it('says "sent before ready, served after" when requests waited for the replacement (no overlap)', () => {
    // As with disallowOverlappingRotation: requests written 10 250–10 400 are answered by the new worker once it is
    // ready at 10 500 — they queued; the new worker did not serve early.
    const run = recycle(good, switchAtReady);
    for (const ms of [10_250, 10_300, 10_350, 10_400]) run.request(ms, { workerPid: 102, latencyMs: 10_520 - ms });
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/4 request\(s\) sent before the new worker was ready were served by it after/);
    expect(v.summary).not.toMatch(/served \d+ request\(s\) before it was ready/);
  });

  it('is false when the recycle never completes, failed to overlap or took too long', () => {
    const missing = recycle({ ...good, completed: null }, switchAtReady);
    expect(overlappedRecycleCompletes.check(missing.input(), {}).summary).toMatch(/no RecycleCompleted/);
    const overlapFailed = recycle(good, switchAtReady).event(10_600, 'RecycleOverlapFailed', {
      pool,
      pid: 101,
      recycleId: 7,
      reason: 'admin',
    });
    expect(overlappedRecycleCompletes.check(overlapFailed.input(), {}).valid).toBe(false);
    const slow = overlappedRecycleCompletes.check(recycle(good, switchAtReady).input(), { maxDurationMs: 500 });
    expect(slow.summary).toMatch(/took 800 ms \(max 500\)/);
  });

  it('is unknown when no recycle (or fewer than minRecycles) happened', () => {
    const none = new RunBuilder().workerUp(0, pool, 1, 101).load(500, 5_000, 50, () => ({ workerPid: 101 }));
    expect(overlappedRecycleCompletes.check(none.input(), {}).valid).toBe('unknown');
    const one = recycle(good, switchAtReady);
    expect(overlappedRecycleCompletes.check(one.input(), { minRecycles: 2 }).valid).toBe('unknown');
    expect(overlappedRecycleCompletes.check(one.input(), { pool: 'other' }).valid).toBe('unknown');
  });

  it('says what went wrong with which recycle, of which pool', () => {
    const run = recycle({ start: 10_000, ready: 10_900, oldExit: 10_200 }, (ms) => (ms < 10_200 ? 101 : 102));
    expect(overlappedRecycleCompletes.check(run.input(), { pool }).summary).toBe(
      '1 of 1 recycles of pool app went wrong; recycle 7: not overlapped: the old worker exited 700 ms before the new' +
        ' one was ready; the new worker served 13 request(s) before it was ready.',
    );
    const failed = recycle(good, switchAtReady).event(10_600, 'RecycleOverlapFailed', {
      pool,
      pid: 101,
      recycleId: 7,
      reason: 'admin',
    });
    expect(overlappedRecycleCompletes.check(failed.input(), {}).summary).toBe(
      '1 of 1 recycles went wrong; recycle 7: overlap failed (event 5093).',
    );
    expect(overlappedRecycleCompletes.check(recycle(good, switchAtReady).input(), { pool }).summary).toBe(
      'All 1 recycles of pool app overlapped and completed.',
    );
    expect(overlappedRecycleCompletes.check(run.input(), { pool: 'other' }).summary).toBe(
      'No recycle of pool other happened.',
    );
    expect(overlappedRecycleCompletes.check(recycle(good, switchAtReady).input(), { minRecycles: 2 }).summary).toBe(
      'Only 1 of 2 expected recycles happened.',
    );
  });

  it('accepts exact boundaries: old exit at the ready time, a duration of exactly maxDurationMs', () => {
    const run = recycle({ start: 10_000, ready: 10_500, oldExit: 10_500 }, switchAtReady);
    expect(overlappedRecycleCompletes.check(run.input(), { maxDurationMs: 500 }).valid).toBe(true);
    expect(overlappedRecycleCompletes.check(run.input(), { maxDurationMs: 499 }).summary).toMatch(
      /took 500 ms \(max 499\)/,
    );
  });

  it('measures the duration to the old exit when no RecycleCompleted came', () => {
    const run = recycle({ ...good, completed: null }, switchAtReady);
    const v = overlappedRecycleCompletes.check(run.input(), { maxDurationMs: 700 });
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({ problems: ['no RecycleCompleted', 'took 800 ms (max 700)'], startToCompleteMs: null }),
    ]);
  });

  it('finds the replacement by the pid RecycleCompleted names when its WorkerReady carries no recycleId', () => {
    const run = new RunBuilder(20_000).workerUp(0, pool, 1, 101);
    run.event(10_000, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'time', overlapped: true });
    run.workerUp(10_005, pool, 2, 102, 495);
    run.event(10_800, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle', exitCode: 0 });
    run.event(10_800, 'RecycleCompleted', { pool, recycleId: 3, reason: 'time', oldPid: 101, newPid: 102 });
    run.load(500, 20_000, 50, (ms) => ({ workerPid: ms < 10_500 ? 101 : 102 }));
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({ newPid: 102, startToReadyMs: 500, readyToOldExitMs: 300, oldExit: 'WorkerExited' }),
    ]);
  });

  it('takes the pids from the recycle events when RecycleCompleted does not name them', () => {
    const run = new RunBuilder(20_000).workerUp(0, pool, 1, 101);
    run.event(10_000, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'time', overlapped: true });
    run.workerUp(10_005, pool, 2, 102, 495, { recycleId: 3 });
    run.event(10_800, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle', exitCode: 0 });
    run.event(10_800, 'RecycleCompleted', { pool, recycleId: 3, reason: 'time' });
    run.load(500, 20_000, 50, (ms) => ({ workerPid: ms < 10_700 ? 101 : 102 }));
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.summary).toMatch(/old worker took 2 new request/);
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({
        oldPid: 101,
        newPid: 102,
        startToOldExitMs: 800,
        requestsOldAfterReady: [expect.objectContaining({ at: 10_600 }), expect.objectContaining({ at: 10_650 })],
      }),
    ]);
  });

  it('says when the new worker never became ready, and has no pids to attribute then', () => {
    const run = new RunBuilder(20_000).workerUp(0, pool, 1, 101);
    run.event(10_000, 'RecycleStarted', { recycleId: 3, pool, reason: 'time', overlapped: true });
    run.load(500, 20_000, 50, () => ({ workerPid: 101 }));
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({
        oldPid: null,
        newPid: null,
        startToReadyMs: null,
        startToOldExitMs: null,
        readyToOldExitMs: null,
        oldExit: null,
        problems: ['no RecycleCompleted', 'the new worker never became ready'],
      }),
    ]);
  });

  it('matches completions and replacements by pool and recycle id, and skips recycles a pool stop cancelled', () => {
    const run = recycle(good, switchAtReady);
    // Another pool's recycle with the same id, and a later recycle of this pool that a stop cancelled.
    run.event(10_000, 'RecycleStarted', { pool: 'other', pid: 201, recycleId: 7, reason: 'admin' });
    run.event(15_000, 'RecycleStarted', { pool, pid: 102, recycleId: 8, reason: 'admin', overlapped: true });
    run.event(15_100, 'RecycleCompleted', { pool, recycleId: 8, reason: 'admin', cancelled: true });
    const v = overlappedRecycleCompletes.check(run.input(), { pool });
    expect(v.valid).toBe(true);
    expect(v.details['recycles']).toBe(1);
    const all = overlappedRecycleCompletes.check(run.input(), {});
    expect(all.details).toMatchObject({ recycles: 2, failed: 1 });
    expect(all.summary).toMatch(/recycle 7: no RecycleCompleted; the new worker never became ready/);
  });

  it('attributes requests at the edges of the grace around the ready time', () => {
    // New worker ready at 10 500 (grace 50): sent at 10 450 is not "before ready"; sent at 10 449 and answered
    // at 10 449 is; sent at 10 440 and answered at 10 450 waited.
    const at = (sentMs: number, latencyMs: number) => {
      const run = recycle(good, switchAtReady);
      run.request(sentMs, { workerPid: 102, latencyMs });
      return overlappedRecycleCompletes.check(run.input(), {}).details['perRecycle'] as Record<string, unknown[]>[];
    };
    expect(at(10_450, 100)[0]?.['problems']).toEqual([]);
    expect(at(10_449, 0)[0]?.['requestsNewBeforeReady']).toHaveLength(1);
    expect(at(10_440, 9)[0]?.['requestsNewBeforeReady']).toHaveLength(1);
    expect(at(10_440, 10)[0]?.['requestsSentBeforeReadyServedAfter']).toHaveLength(1);
    expect(at(10_440, 10)[0]?.['requestsNewBeforeReady']).toHaveLength(0);
  });

  it('lists at most maxExamples requests per kind', () => {
    const v = overlappedRecycleCompletes.check(recycle(good, (ms) => (ms < 12_000 ? 101 : 102)).input(), {
      maxExamples: 2,
    });
    expect(v.summary).toMatch(/old worker took 28 new request/);
    expect((v.details['perRecycle'] as Record<string, unknown[]>[])[0]?.['requestsOldAfterReady']).toHaveLength(2);
  });

  it('pairs each recycle of a web garden with its own completion, replacement and overlap failure', () => {
    // recycleAll: workers 101 and 111 recycled at once; 8 completes first and its overlap failed once.
    const run = new RunBuilder(20_000).workerUp(0, pool, 1, 101).workerUp(0, pool, 2, 111);
    run.event(10_000, 'RecycleStarted', { pool, pid: 101, recycleId: 7, reason: 'admin', overlapped: true });
    run.event(10_000, 'RecycleStarted', { pool, pid: 111, recycleId: 8, reason: 'admin', overlapped: true });
    run.event(10_100, 'RecycleOverlapFailed', { pool, pid: 111, recycleId: 8, reason: 'admin' });
    run.workerUp(10_100, pool, 4, 112, 300, { recycleId: 8 }).workerUp(10_100, pool, 3, 102, 400, { recycleId: 7 });
    run.event(10_600, 'WorkerExited', { pool, pid: 111, reason: 'recycle' });
    run.event(10_600, 'RecycleCompleted', { pool, recycleId: 8, reason: 'admin', oldPid: 111, newPid: 112 });
    run.event(10_800, 'WorkerExited', { pool, pid: 101, reason: 'recycle' });
    run.event(10_800, 'RecycleCompleted', { pool, recycleId: 7, reason: 'admin', oldPid: 101, newPid: 102 });
    run.event(10_900, 'RecycleCompleted', { pool: 'other', recycleId: 7, reason: 'admin', cancelled: true });
    run.load(500, 20_000, 50);
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({ recycleId: 7, at: 10_000, newPid: 102, startToReadyMs: 500, startToCompleteMs: 800 }),
      expect.objectContaining({ recycleId: 8, newPid: 112, startToReadyMs: 400, startToCompleteMs: 600 }),
    ]);
    expect((v.details['perRecycle'] as { problems: string[] }[]).map((r) => r.problems)).toEqual([
      [],
      ['overlap failed (event 5093)'],
    ]);
  });

  it('takes a worker of the pool that became ready during the recycle for no replacement', () => {
    const run = recycle(good, switchAtReady).workerUp(10_100, pool, 5, 150, 100); // a demand start, ready at 10 200
    run.events.splice(
      run.events.findIndex((e) => e.type === 'RecycleCompleted'),
      1,
    );
    expect(overlappedRecycleCompletes.check(run.input(), {}).details['perRecycle']).toEqual([
      expect.objectContaining({ newPid: 102, startToReadyMs: 500 }),
    ]);
  });

  it('judges a replacement that never became ready though the old worker exited, and no unattributed request', () => {
    const run = new RunBuilder(20_000).workerUp(0, pool, 1, 101);
    run.event(10_000, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'time', overlapped: true });
    run.event(10_800, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle', exitCode: 0 });
    run.load(500, 20_000, 50);
    const v = overlappedRecycleCompletes.check(run.input(), {});
    expect(v.details['perRecycle']).toEqual([
      expect.objectContaining({
        readyToOldExitMs: null,
        startToOldExitMs: 800,
        problems: ['no RecycleCompleted', 'the new worker never became ready'],
      }),
    ]);
  });

  it('lists the requests the new worker served early, and those that waited for it', () => {
    const run = recycle(good, switchAtReady);
    run.request(10_300, { workerPid: 102, latencyMs: 10 }).request(10_350, { workerPid: 102, latencyMs: 200 });
    const [r] = overlappedRecycleCompletes.check(run.input(), {}).details['perRecycle'] as Record<string, unknown>[];
    expect(r?.['requestsNewBeforeReady']).toEqual([expect.objectContaining({ at: 10_300, workerPid: 102 })]);
    expect(r?.['requestsSentBeforeReadyServedAfter']).toEqual([expect.objectContaining({ at: 10_350 })]);
    const [none] = overlappedRecycleCompletes.check(run.input(), { maxExamples: 0 }).details['perRecycle'] as Record<
      string,
      unknown
    >[];
    expect([none?.['requestsNewBeforeReady'], none?.['requestsSentBeforeReadyServedAfter']]).toEqual([[], []]);
  });
});

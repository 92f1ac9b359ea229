import { labEventFromW3 } from '../targets/w3-events';
import { memoryRecycleBeforeLimit, oomLike } from './memory-recycle-before-limit';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** Worker pid 101 leaks from 2 s on. */
function leakRun(): RunBuilder {
  return new RunBuilder()
    .workerUp(0, pool, 1, 101)
    .mark(2_000, 'fault-injected', { fault: { kind: 'leak', rateKBps: 10_240 }, targetPid: 101, workerId: 1, pool });
}

/** What w3 reports when a worker passes its privateMemory limit (200 000 KB here). */
function memoryRecycle(run: RunBuilder, ms: number, privateMemoryKB = 204_900): RunBuilder {
  return run.event(ms, 'RecycleStarted', {
    pool,
    workerId: 1,
    pid: 101,
    recycleId: 1,
    reason: 'private-memory',
    overlapped: true,
    privateMemoryKB,
    limitKB: 200_000,
  });
}

const check = (run: RunBuilder, options: Record<string, unknown> = {}) =>
  memoryRecycleBeforeLimit.check(run.input(), options);

describe('memoryRecycleBeforeLimit', () => {
  it('is valid when the leaking worker is recycled for private memory and drains in peace', () => {
    const run = memoryRecycle(leakRun(), 12_000)
      .workerUp(12_010, pool, 2, 102)
      .event(12_500, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle', exitCode: 0, signal: null });
    const v = check(run, { limitKB: 512 * 1024 });
    expect(v.valid).toBe(true);
    expect(v.summary).toMatch(/private-memory at 204900 KB \(threshold 200000 KB\) 10000 ms after the leak/);
    expect(v.details).toMatchObject({ leakToRecycleMs: 10_000, recycledLeakingWorker: true, measuredKB: 204_900 });
  });

  it('is false when the recycled worker dies of SIGABRT while it drains (review: 900 MB over the limit passed)', () => {
    // The shape w3 really emits, mapped by the w3 adapter: no invented "oom" field, no stderr text.
    const run = memoryRecycle(leakRun(), 12_000, 1_100_000).workerUp(12_010, pool, 2, 102);
    const crash = labEventFromW3({
      t: run.at(12_300),
      type: 'WorkerCrashed',
      pool,
      workerId: 1,
      pid: 101,
      exitCode: null,
      signal: 'SIGABRT',
      reason: 'crash',
    });
    run.events.push(crash!);
    const v = check(run);
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/the recycled worker 101 died of SIGABRT while it drained/);
    expect(v.details['memoryRecycles']).toEqual([expect.objectContaining({ overLimitKB: 900_000 })]);
  });

  it('is false when the leaking worker dies before any recycle, whatever the signal or exit code', () => {
    for (const how of [{ signal: 'SIGKILL' }, { signal: 'SIGSEGV' }, { exitCode: 1 }, { exitCode: 134 }]) {
      const run = leakRun().crash(9_000, pool, 1, 101, how);
      const v = check(run);
      expect(v.valid).toBe(false);
      expect(v.summary).toMatch(/the leaking worker 101 (died of|died with exit code)/);
    }
  });

  it('is false when another worker dies out of memory before the first memory recycle', () => {
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .workerUp(0, pool, 2, 102)
      .crash(5_000, pool, 2, 102, { exitCode: 134, signal: null });
    memoryRecycle(run, 8_000);
    expect(check(run).summary).toMatch(
      /worker 102 died with exit code 134 \(out of memory\) before any memory recycle/,
    );
    // A crash that does not look like memory (exit 1) is not this checker's business.
    const other = memoryRecycle(
      new RunBuilder().workerUp(0, pool, 2, 102).crash(5_000, pool, 2, 102, { exitCode: 1 }),
      8_000,
    );
    expect(check(other).valid).toBe(true);
  });

  it('counts a kernel OOM kill the lab proved', () => {
    const run = leakRun().event(7_000, 'WorkerOomKilled', { pool, pid: 101, workerId: 1, oomKillCount: 1 }, 'lab');
    expect(check(run).summary).toMatch(/the leaking worker 101 OOM-killed by the kernel before a memory recycle/);
  });

  it('does not blame memory for a SIGKILL the lab sent itself', () => {
    const run = leakRun()
      .mark(5_000, 'fault-injected', { fault: 'signal:SIGKILL', signal: 'SIGKILL', targetPid: 101, pool })
      .crash(5_001, pool, 1, 101);
    memoryRecycle(run.workerUp(5_100, pool, 2, 102), 9_000);
    expect(check(run).valid).toBe(true);
  });

  it('is false when the recycle measured more than the hard limit', () => {
    const run = memoryRecycle(leakRun(), 12_000, 600_000);
    const v = check(run, { limitKB: 512 * 1024 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/saw 600000 KB, not below the 524288 KB limit/);
    expect(check(run, { limitKB: 600_001 }).valid).toBe(true);
  });

  it('is false when a leak was injected but no memory recycle happened (a time recycle does not count)', () => {
    const run = leakRun().event(30_000, 'RecycleStarted', {
      pool,
      workerId: 1,
      pid: 101,
      recycleId: 3,
      reason: 'time',
    });
    const v = check(run);
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/no memory recycle happened/);
  });

  it('is unknown with no leak and no memory recycle; a virtual-memory recycle counts', () => {
    expect(check(new RunBuilder().workerUp(0, pool, 1, 101)).valid).toBe('unknown');
    const run = leakRun().event(6_000, 'RecycleStarted', {
      pool,
      workerId: 1,
      pid: 101,
      recycleId: 2,
      reason: 'memory',
      memoryKB: 900_000,
      limitKB: 800_000,
    });
    expect(check(run).valid).toBe(true);
  });

  it('filters by pool', () => {
    const run = memoryRecycle(leakRun(), 12_000);
    expect(check(run, { pool: 'other' }).valid).toBe('unknown');
  });

  it('calls a death out of memory: a kernel OOM kill, a V8 abort, a SIGKILL the lab did not send', () => {
    const died = (signal: string | null, exitCode: number | null) =>
      ({ type: 'WorkerCrashed', t: 0, source: 'w3', pool, pid: 7, signal, exitCode, duringStartup: false }) as const;
    const none = new Set<number>();
    expect(oomLike({ type: 'WorkerOomKilled', t: 0, source: 'lab', pool, pid: 7 }, new Set([7]))).toBe(true);
    expect(
      [died('SIGABRT', null), died(null, 134), died('SIGKILL', null), died(null, 137)].map((e) => oomLike(e, none)),
    ).toEqual([true, true, true, true]);
    expect([died('SIGSEGV', null), died(null, 1), died(null, 135)].map((e) => oomLike(e, none))).toEqual([
      false,
      false,
      false,
    ]);
    expect([died('SIGKILL', null), died(null, 137)].map((e) => oomLike(e, new Set([7])))).toEqual([false, false]);
  });

  it('blames any worker the kernel OOM-killed or that aborted before the first memory recycle, not after it', () => {
    const run = new RunBuilder().workerUp(0, pool, 1, 101).workerUp(0, pool, 2, 102).workerUp(0, pool, 3, 103);
    run.event(4_000, 'WorkerOomKilled', { pool, pid: 102 }, 'lab');
    run.crash(8_000, pool, 3, 103, { signal: 'SIGABRT' });
    memoryRecycle(run, 8_000);
    run.crash(9_000, pool, 3, 104, { signal: 'SIGABRT' });
    const v = check(run);
    expect(v.summary).toBe(
      'Memory recycle too late: worker 102 OOM-killed by the kernel (out of memory) before any memory recycle.',
    );
    expect(v.details['deaths']).toEqual([expect.objectContaining({ at: 4_000, type: 'WorkerOomKilled', pid: 102 })]);
  });

  it('blames a recycled worker that dies the moment it is recycled', () => {
    const run = memoryRecycle(leakRun(), 12_000).crash(12_000, pool, 1, 101, { exitCode: 1 });
    expect(check(run).summary).toBe(
      'Memory recycle too late: the recycled worker 101 died with exit code 1 while it drained.',
    );
  });

  it('needs the measured memory strictly below the hard limit, measured as private or virtual memory', () => {
    expect(check(memoryRecycle(leakRun(), 12_000, 600_000), { limitKB: 600_000 }).valid).toBe(false);
    const virtual = leakRun().event(6_000, 'RecycleStarted', {
      pool,
      pid: 101,
      recycleId: 2,
      reason: 'memory',
      memoryKB: 900_000,
      limitKB: 800_000,
    });
    const v = check(virtual, { limitKB: 900_000 });
    expect(v.summary).toBe('Memory recycle too late: the recycle saw 900000 KB, not below the 900000 KB limit.');
    expect(v.details).toMatchObject({
      memoryRecycles: [expect.objectContaining({ overLimitKB: 100_000 })],
      measuredKB: 900_000,
      thresholdKB: 800_000,
      limitKB: 900_000,
    });
  });

  it('says what it saw when the recycle reports no measurement, and when no leak was injected', () => {
    const run = new RunBuilder().workerUp(0, pool, 1, 101);
    run.event(6_000, 'RecycleStarted', { pool, pid: 101, recycleId: 2, reason: 'private-memory' });
    const v = check(run, { limitKB: 1 });
    expect(v).toMatchObject({
      valid: true,
      summary: 'Worker recycled for private-memory, before any out-of-memory exit.',
      details: { leakMarks: 0, leakAt: null, leakToRecycleMs: null, recycledLeakingWorker: null, measuredKB: null },
    });
    expect(v.details['memoryRecycles']).toEqual([
      { at: 6_000, type: 'RecycleStarted', pool, pid: 101, recycleId: 2, reason: 'private-memory' },
    ]);
    run.event(7_000, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'memory', memoryKB: 5 });
    expect(check(run).summary).toBe('Worker recycled for private-memory, before any out-of-memory exit.');
    // A measurement without the limit it passed has no "over the limit" figure.
    expect(check(run).details['memoryRecycles']).toStrictEqual([
      { at: 6_000, type: 'RecycleStarted', pool, pid: 101, recycleId: 2, reason: 'private-memory' },
      { at: 7_000, type: 'RecycleStarted', pool, pid: 101, recycleId: 3, reason: 'memory', memoryKB: 5 },
    ]);
    expect(check(new RunBuilder()).summary).toBe('No leak was injected and no memory recycle happened.');
    const measuredOnly = new RunBuilder();
    measuredOnly.event(6_000, 'RecycleStarted', { pool, pid: 101, recycleId: 2, reason: 'memory', memoryKB: 5 });
    expect(check(measuredOnly).summary).toBe(
      'Worker recycled for memory at 5 KB (threshold ? KB), before any out-of-memory exit.',
    );
  });

  it('says whether the recycled worker was the leaking one', () => {
    const run = leakRun().workerUp(0, pool, 2, 102);
    run.event(6_000, 'RecycleStarted', { pool, pid: 102, recycleId: 2, reason: 'private-memory' });
    expect(check(run).details).toMatchObject({ recycledLeakingWorker: false, leakMarks: 1, leakAt: 2_000 });
    // Recycled later, after another worker's memory recycle: it was.
    run.event(7_000, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'private-memory' });
    expect(check(run).details).toMatchObject({ recycledLeakingWorker: true, leakToRecycleMs: 4_000 });
  });

  it('takes a leak mark without a pool as one of every pool', () => {
    const run = new RunBuilder().mark(2_000, 'fault-injected', { fault: 'leak', targetPid: 101 });
    expect(check(run, { pool }).summary).toBe('A memory leak was injected but no memory recycle happened.');
    const other = new RunBuilder().mark(2_000, 'fault-injected', { fault: 'leak', targetPid: 101, pool: 'x' });
    expect(check(other, { pool }).valid).toBe('unknown');
    expect(check(other).valid).toBe(false);
  });

  it('takes only leak faults as leaks, of the pool asked for', () => {
    const hang = new RunBuilder().mark(2_000, 'fault-injected', { fault: { kind: 'hang' }, targetPid: 101, pool });
    expect(check(hang)).toMatchObject({ valid: 'unknown', details: { leakMarks: 0 } });
    const mine = new RunBuilder().mark(2_000, 'fault-injected', { fault: 'leak', targetPid: 101, pool });
    expect(check(mine, { pool }).summary).toBe('A memory leak was injected but no memory recycle happened.');
  });

  it('shows how far over its threshold a recycle was only when it reports both the measure and the threshold', () => {
    const run = new RunBuilder();
    run.event(6_000, 'RecycleStarted', { pool, pid: 101, recycleId: 2, reason: 'private-memory', limitKB: 200_000 });
    expect(check(run).details['memoryRecycles']).toStrictEqual([
      { at: 6_000, type: 'RecycleStarted', pool, pid: 101, recycleId: 2, reason: 'private-memory', limitKB: 200_000 },
    ]);
  });

  it('does not call a crash a death while draining when its pid came back in a worker recycled later', () => {
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .crash(3_000, pool, 1, 101, { exitCode: 1 })
      .workerUp(3_100, pool, 2, 101);
    run.event(8_000, 'RecycleStarted', {
      pool,
      workerId: 2,
      pid: 101,
      recycleId: 1,
      reason: 'private-memory',
      privateMemoryKB: 204_900,
      limitKB: 200_000,
    });
    expect(check(run)).toMatchObject({ valid: true, details: { deaths: [] } });
  });

  it('lists every problem it found', () => {
    const run = leakRun().workerUp(0, pool, 2, 102);
    run.event(4_000, 'WorkerOomKilled', { pool, pid: 102 }, 'lab');
    run.crash(9_000, pool, 1, 101, { signal: 'SIGABRT' });
    expect(check(run).summary).toBe(
      'Memory recycle too late: worker 102 OOM-killed by the kernel (out of memory) before any memory recycle; ' +
        'the leaking worker 101 died of SIGABRT before a memory recycle.',
    );
  });
});

import { labEventFromW3 } from '../targets/w3-events';
import { memoryRecycleBeforeLimit } from './memory-recycle-before-limit';
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
});

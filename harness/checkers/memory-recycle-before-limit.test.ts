import { isOomExit, memoryRecycleBeforeLimit } from './memory-recycle-before-limit';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** Worker pid 101 leaks from 2 s on. */
function leakRun(): RunBuilder {
  return new RunBuilder()
    .workerUp(0, pool, 1, 101)
    .mark(2_000, 'fault-injected', { fault: { kind: 'leak', rateKBps: 10_240 }, targetPid: 101, workerId: 1 });
}

const memoryRecycle = (run: RunBuilder, ms: number, extra: Record<string, unknown> = {}): RunBuilder =>
  run.event(ms, 'RecycleStarted', {
    pool, workerId: 1, pid: 101, recycleId: 1, reason: 'PrivateMemory', eventId: 5117, ...extra,
  });

describe('memoryRecycleBeforeLimit', () => {
  it('is valid when the leaking worker is recycled for private memory before any OOM', () => {
    const run = memoryRecycle(leakRun(), 12_000, { privateMemoryKB: 204_900 })
      .workerUp(12_010, pool, 2, 102)
      .event(12_500, 'WorkerExited', { pool, workerId: 1, pid: 101 });
    const v = memoryRecycleBeforeLimit.check(run.input(), { limitKB: 512 * 1024 });
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ leakToRecycleMs: 10_000, recycledLeakingWorker: true, measuredKB: 204_900 });
  });

  it('is false when the worker was OOM-killed before the recycle', () => {
    const oomKill = { pool, workerId: 1, pid: 101, signal: 'SIGKILL', reason: 'oom' };
    const run = leakRun().event(9_000, 'WorkerCrashed', oomKill);
    memoryRecycle(run, 12_000);
    const v = memoryRecycleBeforeLimit.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/before the memory recycle/);
  });

  it('is false when the recycled worker runs out of memory while draining', () => {
    const run = memoryRecycle(leakRun(), 12_000).event(12_300, 'WorkerCrashed', {
      pool, workerId: 1, pid: 101, signal: 'SIGABRT', reason: 'FATAL ERROR: Reached heap limit Allocation failed',
    });
    expect(memoryRecycleBeforeLimit.check(run.input(), {}).summary).toMatch(/while draining/);
  });

  it('is false when a leak was injected but no memory recycle happened, or it came above the limit', () => {
    const noRecycle = leakRun().event(30_000, 'RecycleStarted', { pool, workerId: 1, pid: 101, reason: 'Time' });
    expect(memoryRecycleBeforeLimit.check(noRecycle.input(), {}).valid).toBe(false);
    const above = memoryRecycle(leakRun(), 12_000, { privateMemoryKB: 600_000 });
    expect(memoryRecycleBeforeLimit.check(above.input(), { limitKB: 512 * 1024 }).valid).toBe(false);
  });

  it('is unknown when nothing memory-related happened', () => {
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .event(5_000, 'WorkerCrashed', { pool, pid: 101, exitCode: 1 });
    expect(memoryRecycleBeforeLimit.check(run.input(), {}).valid).toBe('unknown');
  });

  it('recognises OOM exits', () => {
    const at = { t: 0, pool };
    expect(isOomExit({ ...at, type: 'WorkerCrashed', signal: 'SIGKILL', reason: 'oom' })).toBe(true);
    expect(isOomExit({ ...at, type: 'WorkerCrashed', reason: 'JavaScript heap out of memory' })).toBe(true);
    expect(isOomExit({ ...at, type: 'WorkerCrashed', signal: 'SIGKILL', reason: 'signal' })).toBe(false);
    expect(isOomExit({ ...at, type: 'WorkerExited', reason: 'oom' })).toBe(false);
  });
});

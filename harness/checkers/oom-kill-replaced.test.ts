import { oomKillReplaced } from './oom-kill-replaced';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** Worker pid 101 leaks from 2 s; the kernel kills it at 3 s (SIGKILL). */
function leakingRun(): RunBuilder {
  return new RunBuilder(20_000)
    .workerUp(0, pool, 1, 101)
    .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101, workerId: 1, pool })
    .crash(3_000, pool, 1, 101);
}

describe('oomKillReplaced', () => {
  it('is valid when the OOM kill is proven and the manager replaced the worker in time', () => {
    const run = leakingRun()
      .workerUp(3_010, pool, 2, 102)
      .mark(3_400, 'oom-killed', { targetPid: 101, replacementPid: 102, kernelOomKill: true });
    const v = oomKillReplaced.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ faults: [{ targetPid: 101, oomKillProven: true, replacedAfterMs: 310 }] });
  });

  it('accepts the lab WorkerOomKilled event as the proof', () => {
    const run = leakingRun().workerUp(3_010, pool, 2, 102).event(3_000, 'WorkerOomKilled', { pool, pid: 101 }, 'lab');
    expect(oomKillReplaced.check(run.input(), {}).valid).toBe(true);
  });

  it('is false when the kill is proven and the manager never reports it (review: it answered unknown)', () => {
    const run = new RunBuilder(20_000)
      .workerUp(0, pool, 1, 101)
      .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101, workerId: 1, pool })
      .event(3_000, 'WorkerOomKilled', { pool, pid: 101 }, 'lab');
    const v = oomKillReplaced.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/manager never reported it \(pids 101\)/);
  });

  it('is false when the killed worker is never replaced, or too late', () => {
    expect(oomKillReplaced.check(leakingRun().input(), {}).valid).toBe(false);
    const late = leakingRun().workerUp(9_000, pool, 2, 102).mark(9_400, 'oom-killed', { targetPid: 101 });
    const v = oomKillReplaced.check(late.input(), { withinMs: 2_000 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/not replaced within 2000 ms/);
  });

  it('does not count a sibling that was already running (and merely became ready again) as the replacement', () => {
    // Worker 102 started before the crash; its WorkerReady after the crash is not a replacement.
    const run = leakingRun()
      .event(2_900, 'WorkerStarting', { pool, workerId: 2, pid: 102 })
      .event(3_050, 'WorkerReady', { pool, workerId: 2, pid: 102 });
    run.mark(3_400, 'oom-killed', { targetPid: 101 });
    expect(oomKillReplaced.check(run.input(), {}).valid).toBe(false);
  });

  it('is unknown without an OOM fault, or when the kill was not shown to be the kernel', () => {
    expect(oomKillReplaced.check(new RunBuilder().input(), {}).valid).toBe('unknown');
    const noProof = leakingRun().workerUp(3_010, pool, 2, 102);
    expect(oomKillReplaced.check(noProof.input(), {}).valid).toBe('unknown');
    const disproven = leakingRun()
      .workerUp(3_010, pool, 2, 102)
      .mark(3_400, 'oom-killed', { targetPid: 101, kernelOomKill: false });
    expect(oomKillReplaced.check(disproven.input(), {}).valid).toBe('unknown');
    const noCrash = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 });
    expect(oomKillReplaced.check(noCrash.input(), {}).valid).toBe('unknown');
  });

  it('names the slowest replacement, and accepts one exactly withinMs after the crash', () => {
    const run = leakingRun().workerUp(3_010, pool, 2, 102).mark(3_400, 'oom-killed', { targetPid: 101 });
    run.mark(5_000, 'fault-injected', { fault: { kind: 'oom' }, targetPid: 102 });
    run.crash(6_000, pool, 2, 102).workerUp(6_100, pool, 3, 103, 900);
    run.event(6_000, 'WorkerOomKilled', { pool, pid: 102 }, 'lab');
    const v = oomKillReplaced.check(run.input(), { withinMs: 1_000 });
    expect(v).toMatchObject({
      valid: true,
      summary: '2 OOM-killed worker(s), each replaced (slowest after 1000 ms).',
    });
    expect(v.details).toStrictEqual({
      withinMs: 1_000,
      faults: [
        {
          targetPid: 101,
          faultAt: 2_000,
          oomKillProven: true,
          managerReport: expect.objectContaining({ at: 3_000, type: 'WorkerCrashed', pid: 101 }),
          crash: expect.objectContaining({ at: 3_000, type: 'WorkerCrashed', pid: 101 }),
          replacement: expect.objectContaining({ at: 3_310, type: 'WorkerReady', pid: 102 }),
          replacedAfterMs: 310,
        },
        {
          targetPid: 102,
          faultAt: 5_000,
          oomKillProven: true,
          managerReport: expect.objectContaining({ at: 6_000, pid: 102 }),
          crash: expect.objectContaining({ at: 6_000, pid: 102 }),
          replacement: expect.objectContaining({ at: 7_000, pid: 103 }),
          replacedAfterMs: 1_000,
        },
      ],
    });
    expect(oomKillReplaced.check(run.input(), { withinMs: 999 }).summary).toBe(
      '1 OOM-killed worker(s) were not replaced within 999 ms (pids 102).',
    );
  });

  it('takes as proof only an oom-killed mark or event of that pid from the fault on', () => {
    const before = leakingRun().workerUp(3_010, pool, 2, 102).mark(1_000, 'oom-killed', { targetPid: 101 });
    expect(oomKillReplaced.check(before.input(), {}).valid).toBe('unknown');
    const otherPid = leakingRun().workerUp(3_010, pool, 2, 102).mark(3_400, 'oom-killed', { targetPid: 102 });
    expect(oomKillReplaced.check(otherPid.input(), {}).valid).toBe('unknown');
    const early = leakingRun().workerUp(3_010, pool, 2, 102).event(1_999, 'WorkerOomKilled', { pool, pid: 101 });
    expect(oomKillReplaced.check(early.input(), {}).valid).toBe('unknown');
    const atFault = leakingRun().workerUp(3_010, pool, 2, 102).event(2_000, 'WorkerOomKilled', { pool, pid: 101 });
    expect(oomKillReplaced.check(atFault.input(), {}).valid).toBe(true);
    const markAtFault = leakingRun().workerUp(3_010, pool, 2, 102).mark(2_000, 'oom-killed', { targetPid: 101 });
    expect(oomKillReplaced.check(markAtFault.input(), {}).valid).toBe(true);
    const otherEvent = leakingRun().workerUp(3_010, pool, 2, 102).event(3_000, 'WorkerOomKilled', { pool, pid: 9 });
    expect(oomKillReplaced.check(otherEvent.input(), {}).valid).toBe('unknown');
  });

  it('needs the manager to report that pid after the fault, as a crash, and a replacement started after it', () => {
    const proven = (run: RunBuilder) => run.mark(3_400, 'oom-killed', { targetPid: 101 });
    // The manager reported another pid's crash only, or the crash before the fault.
    const other = proven(
      new RunBuilder(20_000)
        .workerUp(0, pool, 1, 101)
        .crash(1_000, pool, 1, 101)
        .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 })
        .crash(3_000, pool, 5, 105)
        .workerUp(3_010, pool, 2, 102),
    );
    expect(oomKillReplaced.check(other.input(), {}).summary).toBe(
      'The kernel OOM-killed 1 worker(s) and the manager never reported it (pids 101).',
    );
    // Reported as an orderly exit: no crash, so the manager did not see a kill.
    const exited = proven(
      new RunBuilder(20_000)
        .workerUp(0, pool, 1, 101)
        .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 })
        .event(3_000, 'WorkerExited', { pool, pid: 101, reason: 'recycle' })
        .workerUp(3_010, pool, 2, 102),
    );
    const v = oomKillReplaced.check(exited.input(), {});
    expect(v.summary).toBe(
      '1 leaking worker(s) were not shown to be OOM-killed (no crash, or no proof of the kernel kill:' +
        ' is there a memory quota below the leak?).',
    );
    expect(v.details['faults']).toEqual([
      expect.objectContaining({ managerReport: expect.objectContaining({ type: 'WorkerExited' }), crash: null }),
    ]);
    // A worker that started at the moment of the crash replaces it; one of another pool does not.
    const sameMs = proven(leakingRun().workerUp(3_000, pool, 2, 102));
    expect(oomKillReplaced.check(sameMs.input(), {}).valid).toBe(true);
    const otherPool = proven(leakingRun().workerUp(3_010, 'other', 2, 102));
    expect(oomKillReplaced.check(otherPool.input(), {}).summary).toMatch(/not replaced within 30000 ms \(pids 101\)/);
  });

  it('judges only OOM fault steps, and says when there was none', () => {
    const run = new RunBuilder(20_000)
      .workerUp(0, pool, 1, 101)
      .mark(1_000, 'fault-injected', { fault: { kind: 'leak' }, targetPid: 101 })
      .mark(1_500, 'fault-injected', { fault: 'signal:SIGKILL', signal: 'SIGKILL', targetPid: 101 })
      .crash(1_501, pool, 1, 101);
    expect(oomKillReplaced.check(run.input(), {})).toStrictEqual({
      valid: 'unknown',
      summary: 'No OOM fault was injected (scenario step `oom`).',
      details: {},
    });
    run.mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 102 }).workerUp(1_600, pool, 2, 102);
    run.crash(3_000, pool, 2, 102).workerUp(3_010, pool, 3, 103).mark(3_400, 'oom-killed', { targetPid: 102 });
    const v = oomKillReplaced.check(run.input(), {});
    expect(v).toMatchObject({ valid: true, details: { faults: [{ targetPid: 102 }] } });
  });

  it('names every worker the manager did not report, and takes a report at the moment of the fault', () => {
    const run = new RunBuilder(20_000)
      .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 })
      .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 102 })
      .event(2_500, 'WorkerOomKilled', { pool, pid: 101 }, 'lab')
      .event(2_500, 'WorkerOomKilled', { pool, pid: 102 }, 'lab');
    expect(oomKillReplaced.check(run.input(), {}).summary).toBe(
      'The kernel OOM-killed 2 worker(s) and the manager never reported it (pids 101, 102).',
    );
    const sameMs = leakingRun().crash(2_000, pool, 1, 101).workerUp(2_010, pool, 2, 102);
    sameMs.mark(2_400, 'oom-killed', { targetPid: 101 });
    expect(oomKillReplaced.check(sameMs.input(), {}).details).toMatchObject({
      faults: [{ crash: expect.objectContaining({ at: 2_000 }), replacedAfterMs: 310 }],
    });
  });

  it('takes as the replacement a worker ready from the crash on, not an earlier worker that had the same pid', () => {
    // pid 102 served and exited before the kill; the kernel gave the pid to the replacement later.
    const run = new RunBuilder(20_000)
      .workerUp(0, pool, 2, 102, 500)
      .event(1_000, 'WorkerExited', { pool, workerId: 2, pid: 102, reason: 'recycle' })
      .workerUp(1_000, pool, 1, 101)
      .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 })
      .crash(3_000, pool, 1, 101)
      .event(3_000, 'WorkerStarting', { pool, workerId: 3, pid: 102 })
      .event(3_000, 'WorkerReady', { pool, workerId: 3, pid: 102 })
      .mark(3_400, 'oom-killed', { targetPid: 101 });
    expect(oomKillReplaced.check(run.input(), {}).details).toMatchObject({
      faults: [{ replacement: expect.objectContaining({ at: 3_000 }), replacedAfterMs: 0 }],
    });
  });
});

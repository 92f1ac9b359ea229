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
});

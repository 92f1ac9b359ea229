import { oomKillReplaced } from './oom-kill-replaced';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** Worker pid 101 leaks from 2 s; the kernel kills it at 3 s (SIGKILL). */
function leakingRun(): RunBuilder {
  return new RunBuilder(20_000)
    .workerUp(0, pool, 1, 101)
    .mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101, workerId: 1, pool })
    .event(3_000, 'WorkerCrashed', { pool, workerId: 1, pid: 101, signal: 'SIGKILL', eventId: 5009 });
}

describe('oomKillReplaced', () => {
  it('is valid when the OOM kill is proven and the manager replaced the worker in time', () => {
    const run = leakingRun().workerUp(3_010, pool, 2, 102).mark(3_400, 'oom-killed', { targetPid: 101, replacementPid: 102 });
    const v = oomKillReplaced.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ faults: [{ targetPid: 101, oomKillProven: true, replacedAfterMs: 310 }] });
  });

  it('is false when the killed worker is never replaced, or too late', () => {
    expect(oomKillReplaced.check(leakingRun().input(), {}).valid).toBe(false);
    const late = leakingRun().workerUp(9_000, pool, 2, 102).mark(9_400, 'oom-killed', { targetPid: 101 });
    const v = oomKillReplaced.check(late.input(), { withinMs: 2_000 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/not replaced within 2000 ms/);
  });

  it('is unknown without an OOM fault, or when the kill was not shown to be the kernel', () => {
    expect(oomKillReplaced.check(new RunBuilder().input(), {}).valid).toBe('unknown');
    const noProof = leakingRun().workerUp(3_010, pool, 2, 102);
    expect(oomKillReplaced.check(noProof.input(), {}).valid).toBe('unknown');
    const noCrash = new RunBuilder().workerUp(0, pool, 1, 101).mark(2_000, 'fault-injected', { fault: 'oom', targetPid: 101 });
    expect(oomKillReplaced.check(noCrash.input(), {}).valid).toBe('unknown');
  });
});

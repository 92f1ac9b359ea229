// When fault steps the lab did not carry out make a run unknown, and when a failed check still makes it FAIL.
import type { CheckResult, Validity } from '../checkers';
import { faultsTookEffect } from '../checkers/faults-took-effect';
import { RunBuilder } from '../checkers/test-support/run-builder';
import { unperformedVerdict } from './unperformed-faults';

const pool = 'app';

const checkResult = (name: string, valid: Validity): CheckResult => ({
  name,
  verdict: { valid, summary: name, details: {} },
});

function planned(steps: Record<string, unknown>[]): RunBuilder {
  return new RunBuilder(10_000)
    .workerUp(-500, pool, 1, 101)
    .mark(0, 'fault-plan', { steps: steps.map((s, i) => ({ step: i, firings: 1, optional: false, ...s })) });
}

const stepMark = (run: RunBuilder, ms: number, step: number, extra: Record<string, unknown>) =>
  run.mark(ms, 'fault-step', {
    step,
    firing: 1,
    attemptedAt: run.at(ms - 2),
    status: 'performed',
    workers: [],
    ...extra,
  });

describe('unperformedVerdict', () => {
  it('makes the run unknown for a step that failed or never fired, naming it', () => {
    const failed = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    stepMark(failed, 2_000, 0, { action: 'signal', status: 'failed', error: 'refused' });
    expect(unperformedVerdict(failed.input())).toMatchObject({
      valid: 'unknown',
      summary: expect.stringMatching(
        /1 fault firing\(s\) were not carried out: faults\[0\] \(signal, firing 1\): failed — refused/,
      ),
    });
    const never = planned([{ action: 'start-pool', pool }]);
    expect(unperformedVerdict(never.input())?.valid).toBe('unknown');
  });

  it('leaves a step carried out but never shown by the target to the checks (faultsTookEffect: unknown)', () => {
    const unshown = planned([{ action: 'recycle', pool }]);
    stepMark(unshown, 2_000, 0, { action: 'recycle', pool });
    expect(unperformedVerdict(unshown.input())).toBeNull();
    expect(faultsTookEffect.check(unshown.input(), {}).valid).toBe('unknown');
  });

  it('lets a failed check stand when the only missing steps never fired (their trigger came too late)', () => {
    // A recycle chained on the previous one completing: the target's slow, non-overlapped recycle never completed
    // in time, and overlappedRecycleCompletes already failed on the first.
    const run = planned([
      { action: 'recycle', pool },
      { action: 'recycle', pool },
    ]);
    stepMark(run, 1_000, 0, { action: 'recycle', pool });
    const failedCheck = checkResult('overlappedRecycleCompletes', false);
    expect(unperformedVerdict(run.input(), [failedCheck])).toBeNull();
    // Without a failed check it stays unknown: nothing proves the target right or wrong.
    expect(unperformedVerdict(run.input(), [checkResult('noFailedRequests', true)])?.valid).toBe('unknown');
    expect(unperformedVerdict(run.input(), [checkResult('noFailedRequests', 'unknown')])?.valid).toBe('unknown');
  });

  it('keeps a run with a step that failed unknown even when a check failed: the lab may be the cause', () => {
    const run = planned([{ action: 'heal-startup-fault', pool }]);
    stepMark(run, 1_000, 0, { action: 'heal-startup-fault', pool, status: 'failed', error: 'admin socket gone' });
    expect(unperformedVerdict(run.input(), [checkResult('noFailedRequests', false)])?.valid).toBe('unknown');
  });
});

// Which checks a run judges (runCheckSpecs) and what an unknown verdict for unperformed faults carries: the
// scenario's expectations for this target, options defaulting to none, and faultsTookEffect added once when the
// scenario has fault steps.
import { RunBuilder } from '../checkers/test-support/run-builder';
import { runCheckSpecs, unperformedVerdict } from './unperformed-faults';

describe('runCheckSpecs', () => {
  const expectations = [
    { check: 'noFailedRequests', options: { minRequests: 10 } },
    { check: 'latencyBudget', targets: ['nginx'] },
    { check: 'connectionsSurvive', targets: ['w3', 'nginx'] },
  ];

  it('keeps the checks meant for this target, each with its options (none when the scenario gives none)', () => {
    expect(runCheckSpecs(expectations, false, 'w3')).toEqual([
      { name: 'noFailedRequests', options: { minRequests: 10 } },
      { name: 'connectionsSurvive', options: {} },
    ]);
    expect(runCheckSpecs(expectations, false, 'nginx').map((s) => s.name)).toEqual([
      'noFailedRequests',
      'latencyBudget',
      'connectionsSurvive',
    ]);
  });

  it('adds faultsTookEffect when the scenario has fault steps, unless the scenario names it itself', () => {
    expect(runCheckSpecs(expectations, true, 'w3').map((s) => s.name)).toEqual([
      'noFailedRequests',
      'connectionsSurvive',
      'faultsTookEffect',
    ]);
    expect(runCheckSpecs(expectations, true, 'w3').at(-1)).toEqual({ name: 'faultsTookEffect', options: {} });
    const own = [{ check: 'faultsTookEffect', options: { allow: 1 } }];
    expect(runCheckSpecs(own, true, 'w3')).toEqual([{ name: 'faultsTookEffect', options: { allow: 1 } }]);
    const mixed = [{ check: 'noFailedRequests' }, ...own];
    expect(runCheckSpecs(mixed, true, 'w3').map((s) => s.name)).toEqual(['noFailedRequests', 'faultsTookEffect']);
    expect(runCheckSpecs([], false, 'w3')).toEqual([]);
  });
});

describe('unperformedVerdict', () => {
  it('lists each fault that was not carried out in its details', () => {
    const run = new RunBuilder(10_000).mark(0, 'fault-plan', {
      steps: [
        { step: 0, action: 'start-pool', pool: 'app', firings: 1, optional: false },
        { step: 1, action: 'recycle', pool: 'app', firings: 1, optional: false },
      ],
    });
    const v = unperformedVerdict(run.input());
    expect(v?.summary).toMatch(
      /^The run did not test what its scenario says: 2 fault firing\(s\).*\(start-pool.*; .*\(recycle/,
    );
    expect(v?.details).toEqual({
      unperformed: [
        expect.stringMatching(/^faults\[0\] \(start-pool/),
        expect.stringMatching(/^faults\[1\] \(recycle/),
      ],
    });
  });

  it('stays unknown when one step failed, even if the others only never fired and a check failed', () => {
    const run = new RunBuilder(10_000).mark(0, 'fault-plan', {
      steps: [
        { step: 0, action: 'recycle', pool: 'app', firings: 1, optional: false },
        { step: 1, action: 'start-pool', pool: 'app', firings: 1, optional: false },
      ],
    });
    run.mark(1000, 'fault-step', {
      step: 0,
      firing: 1,
      action: 'recycle',
      pool: 'app',
      attemptedAt: run.at(998),
      status: 'failed',
      error: 'refused',
      workers: [],
    });
    const failedCheck = { name: 'noFailedRequests', verdict: { valid: false as const, summary: 'x', details: {} } };
    expect(unperformedVerdict(run.input(), [failedCheck])?.valid).toBe('unknown');
  });
});

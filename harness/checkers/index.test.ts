import {
  CheckerConfigError,
  checkerNames,
  checkers,
  combine,
  combineValidity,
  runChecks,
  validateCheckSpecs,
} from './index';
import { RunBuilder } from './test-support/run-builder';
import type { Verdict } from './types';

const v = (valid: Verdict['valid']): Verdict => ({ valid, summary: '', details: {} });

describe('checker registry', () => {
  it('registers the public names used in scenario expect lists', () => {
    expect(checkerNames).toEqual([
      'connectionsSurvive',
      'noFailedRequests',
      'rapidFailProtectionTriggers',
      'overlappedRecycleCompletes',
      'hangDetectedWithin',
      'memoryRecycleBeforeLimit',
      'queuedRequestsServed',
      'latencyBudget',
      'oomKillReplaced',
      'faultsTookEffect',
      'eventsSeen',
    ]);
    for (const name of checkerNames) expect(checkers[name]?.name).toBe(name);
  });

  it('runs the specs in order', () => {
    const run = new RunBuilder().load(0, 5_000, 100).socket(1);
    const results = runChecks(run.input(), [
      { name: 'noFailedRequests', options: { minRequests: 50 } },
      { name: 'connectionsSurvive', options: { allowAnnouncedClose: false } },
      { name: 'hangDetectedWithin', options: { withinMs: 1_000 } },
    ]);
    expect(results.map((r) => [r.name, r.verdict.valid])).toEqual([
      ['noFailedRequests', true],
      ['connectionsSurvive', true],
      ['hangDetectedWithin', 'unknown'],
    ]);
    expect(combine(results)).toMatchObject({ valid: 'unknown', details: { unknown: ['hangDetectedWithin'] } });
  });

  it('rejects unknown checkers and bad options with a code and a path', () => {
    const input = new RunBuilder().input();
    expect(() => runChecks(input, [{ name: 'noFailedRequest' }])).toThrow(
      expect.objectContaining({ code: 'LAB_ERR_UNKNOWN_CHECKER', path: 'expect[0].name' }),
    );
    let err: unknown;
    try {
      validateCheckSpecs([
        { name: 'latencyBudget' },
        { name: 'rapidFailProtectionTriggers', options: { pool: 'a', maxCrashes: 'five' } },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckerConfigError);
    expect(err).toMatchObject({ code: 'LAB_ERR_CHECKER_OPTIONS', path: 'expect[1].options.maxCrashes' });
    expect(() => validateCheckSpecs([{ name: 'latencyBudget', options: { p99: 1, p999: 2 } }])).toThrow(/p999/);
    expect(validateCheckSpecs([{ name: 'noFailedRequests' }])[0]).toMatchObject({ maxFailed: 0, maxInfo: 0 });
  });

  it('turns a crashing checker into an unknown verdict', () => {
    const broken = { ...new RunBuilder().input(), history: undefined } as unknown as Parameters<typeof runChecks>[0];
    const [result] = runChecks(broken, [{ name: 'connectionsSurvive' }]);
    expect(result?.verdict.valid).toBe('unknown');
    expect(result?.verdict.details['error']).toEqual(expect.any(String));
  });

  it('combines like Jepsen compose: false > unknown > true', () => {
    expect(combineValidity([true, 'unknown', false])).toBe(false);
    expect(combineValidity([true, 'unknown'])).toBe('unknown');
    expect(combineValidity([true, true])).toBe(true);
    expect(combineValidity([])).toBe(true);
    expect(combine([v(true), v(false)])).toMatchObject({ valid: false, details: { failed: ['#2'] } });
    expect(combine([{ name: 'a', verdict: v(true) }]).summary).toBe('All 1 checks valid.');
  });
});

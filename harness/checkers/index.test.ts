import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import {
  CheckerConfigError,
  checkerNames,
  checkers,
  checkLabel,
  combine,
  combineValidity,
  registerChecker,
  runChecks,
  validateCheckSpecs,
} from './index';
import { defineChecker, verdict } from './shared';
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
    // A name every object has as a property is unknown too (it used to crash on `optionsSchema` of a function).
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(() => runChecks(input, [{ name }])).toThrow(
        expect.objectContaining({ code: 'LAB_ERR_UNKNOWN_CHECKER', path: 'expect[0].name' }),
      );
    }
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

  it('names each result by its label and keeps the options the scenario gave', () => {
    const run = new RunBuilder().load(0, 5_000, 100).socket(1);
    const results = runChecks(run.input(), [
      { name: 'noFailedRequests', options: { phase: 'a' } },
      { name: 'noFailedRequests' },
      { name: 'connectionsSurvive' },
    ]);
    expect(results.map((r) => [r.name, r.label, r.options])).toEqual([
      ['noFailedRequests', 'noFailedRequests[phase=a]', { phase: 'a' }],
      ['noFailedRequests', 'noFailedRequests', {}],
      ['connectionsSurvive', 'connectionsSurvive', {}],
    ]);
    for (const r of results) expect(r.durationMs).toEqual(expect.any(Number));
    expect(checkLabel({ name: 'a', label: 'a[x=1]' })).toBe('a[x=1]');
    expect(checkLabel({ name: 'a' })).toBe('a');
  });

  it('says what is wrong with a spec and where', () => {
    expect(() => validateCheckSpecs([{ name: 'noFailedRequests' }, { name: 'nope' }], 'phases[1].expect')).toThrow(
      expect.objectContaining({
        message: `phases[1].expect[1]: unknown checker "nope" (known: ${checkerNames.join(', ')})`,
        path: 'phases[1].expect[1].name',
      }),
    );
    let err: CheckerConfigError | undefined;
    try {
      validateCheckSpecs([{ name: 'noFailedRequests', options: { maxFailed: -1 } }]);
    } catch (e) {
      err = e as CheckerConfigError;
    }
    expect(err?.message).toMatch(/^expect\[0\]\.options\.maxFailed: invalid options for noFailedRequests: /);
    // Its class name leads the line a stack trace or a log prints.
    expect(String(err)).toMatch(/^CheckerConfigError: expect\[0\]\.options\.maxFailed: /);
    expect(err?.cause).toBeInstanceOf(z.ZodError);
    expect(() => validateCheckSpecs([{ name: 'noFailedRequests', options: { maxFaild: 1 } }])).toThrow(
      expect.objectContaining({ path: 'expect[0].options' }),
    );
  });

  it('turns a thrown non-Error into an unknown verdict too, and names the error', () => {
    const crash = defineChecker('crashesWithText', z.object({}), () => {
      throw 'no data'; // eslint-disable-line @typescript-eslint/only-throw-error
    });
    registerChecker(crash);
    const [result] = runChecks(new RunBuilder().input(), [{ name: 'crashesWithText' }]);
    expect(result?.verdict).toEqual({
      valid: 'unknown',
      summary: 'The checker crashed: no data',
      details: { error: 'no data' },
    });
    const boom = defineChecker('crashesWithError', z.object({}), () => {
      throw new Error('boom');
    });
    registerChecker(boom);
    expect(runChecks(new RunBuilder().input(), [{ name: 'crashesWithError' }])[0]?.verdict.summary).toBe(
      'The checker crashed: boom',
    );
  });

  it('times each check: durationMs is how long its checker ran, whether it answered or crashed', () => {
    const spin = (ms: number): void => {
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        // busy: a checker that takes 5 ms of CPU
      }
    };
    registerChecker(
      defineChecker('takesFiveMs', z.object({}), () => {
        spin(5);
        return verdict(true, 'done');
      }),
    );
    registerChecker(
      defineChecker('crashesAfterFiveMs', z.object({}), () => {
        spin(5);
        throw new Error('late');
      }),
    );
    const t0 = performance.now();
    const results = runChecks(new RunBuilder().input(), [{ name: 'takesFiveMs' }, { name: 'crashesAfterFiveMs' }]);
    const elapsed = performance.now() - t0;
    expect(results.map((r) => r.verdict.summary)).toEqual(['done', 'The checker crashed: late']);
    for (const r of results) {
      expect(r.durationMs).toBeGreaterThanOrEqual(5);
      expect(r.durationMs).toBeLessThanOrEqual(elapsed);
    }
  });

  it('registers camelCase names once, never over a built-in or another checker', () => {
    const mine = defineChecker('myCheck9', z.object({ n: z.number() }), (_input, o) => verdict(true, `n=${o.n}`));
    registerChecker(mine);
    registerChecker(mine); // the same object again: a no-op
    expect(checkerNames.filter((n) => n === 'myCheck9')).toHaveLength(1);
    expect(runChecks(new RunBuilder().input(), [{ name: 'myCheck9', options: { n: 3 } }])[0]?.verdict.summary).toBe(
      'n=3',
    );
    expect(() => validateCheckSpecs([{ name: 'myCheck9', options: {} }])).toThrow(CheckerConfigError);
    const other = defineChecker('myCheck9', z.object({}), () => verdict(true, ''));
    expect(() => registerChecker(other)).toThrow(
      expect.objectContaining({
        code: 'LAB_ERR_CHECKER_NAME',
        message: 'checker name "myCheck9" is taken: another checker was registered under it',
        path: 'myCheck9',
      }),
    );
    const builtIn = defineChecker('eventsSeen', z.object({}), () => verdict(true, ''));
    expect(() => registerChecker(builtIn)).toThrow(
      'checker name "eventsSeen" is taken: a built-in checker has that name',
    );
    for (const bad of ['Bad Name', 'MyCheck', '9lives', 'my-check', 'my check', 'xMy_check', 'my_check', '']) {
      expect(() => registerChecker(defineChecker(bad, z.object({}), () => verdict(true, '')))).toThrow(
        expect.objectContaining({
          code: 'LAB_ERR_CHECKER_NAME',
          message: `checker name "${bad}": use camelCase letters and digits`,
        }),
      );
    }
    registerChecker(defineChecker('a', z.object({}), () => verdict(true, '')));
    expect(checkers['a']).toBeDefined();
  });

  it('summarises a combination by the names of the checks that failed or could not decide', () => {
    const named = (name: string, valid: Verdict['valid'], label?: string) => ({
      name,
      ...(label ? { label } : {}),
      verdict: v(valid),
    });
    expect(combine([named('a', true), named('b', false, 'b[x=1]'), named('c', 'unknown'), named('d', false)])).toEqual({
      valid: false,
      summary: 'Failed: b[x=1], d (1 valid, 2 failed, 1 unknown).',
      details: { checks: 4, failed: ['b[x=1]', 'd'], unknown: ['c'] },
    });
    expect(combine([v(true), v('unknown'), v('unknown')]).summary).toBe(
      'Undecided: #2, #3 (1 valid, 0 failed, 2 unknown).',
    );
    expect(combine([])).toEqual({
      valid: true,
      summary: 'All 0 checks valid.',
      details: { checks: 0, failed: [], unknown: [] },
    });
  });
});

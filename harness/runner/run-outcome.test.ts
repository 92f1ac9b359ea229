// The outcome of a run and the exit code of a set of runs (run-outcome.ts): every verdict maps to its outcome and
// word, a not-supported run is never a pass or a failure, and a failure outranks an unknown, which outranks a pass.
import type { Validity } from '../checkers';
import { exitCodeOfOutcomes, NOT_SUPPORTED_EXIT_CODE, outcomeOf, outcomeWord } from './run-outcome';

const verdict = (valid: Validity) => ({ valid, summary: 's', details: {} });

describe('outcomeOf', () => {
  it('follows the verdict: true is a pass, false a failure, anything else unknown', () => {
    expect(outcomeOf({ verdict: verdict(true) })).toBe('pass');
    expect(outcomeOf({ verdict: verdict(false) })).toBe('fail');
    expect(outcomeOf({ verdict: verdict('unknown') })).toBe('unknown');
  });

  it('a run that never started is not supported, whatever its verdict says', () => {
    expect(outcomeOf({ verdict: verdict(true), notSupported: { missing: ['faults'] } })).toBe('not-supported');
    expect(outcomeOf({ verdict: verdict(false), notSupported: { missing: [] } })).toBe('not-supported');
  });
});

it('outcomeWord: the console word of each outcome', () => {
  expect(['pass', 'fail', 'unknown', 'not-supported'].map((o) => outcomeWord(o as never))).toEqual([
    'PASS',
    'FAIL',
    'UNKNOWN',
    '—',
  ]);
});

describe('exitCodeOfOutcomes', () => {
  it('1 for any failure, else 2 for any unknown, else 0 for any pass', () => {
    expect(exitCodeOfOutcomes(['pass', 'unknown', 'fail'])).toBe(1);
    expect(exitCodeOfOutcomes(['fail'])).toBe(1);
    expect(exitCodeOfOutcomes(['pass', 'unknown'])).toBe(2);
    expect(exitCodeOfOutcomes(['unknown', 'not-supported'])).toBe(2);
    expect(exitCodeOfOutcomes(['pass'])).toBe(0);
  });

  it('3 when nothing was supported, 2 when there was no run at all', () => {
    expect(NOT_SUPPORTED_EXIT_CODE).toBe(3);
    expect(exitCodeOfOutcomes(['not-supported'])).toBe(3);
    expect(exitCodeOfOutcomes([])).toBe(2);
  });
});

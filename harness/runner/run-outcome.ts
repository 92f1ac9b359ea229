// The outcome of one run as a whole, beside the verdict of its checks: pass / fail / unknown come from the
// verdict; "not-supported" means the run never started because the target lacks a capability the scenario
// requires (shown as "—"). It is not a check result and never counts as a pass or a failure.
//
// Exit codes of a set of runs (`w3lab run`, `w3lab matrix`): 1 when any run failed, else 2 when any run is
// unknown, else 0 when at least one run passed, else 3 (nothing was supported: nothing was tested).
import type { Verdict } from '../checkers';
import type { Capability } from '../targets/capabilities';

export type RunOutcome = 'pass' | 'fail' | 'unknown' | 'not-supported';

export const NOT_SUPPORTED_EXIT_CODE = 3;

export interface NotSupported {
  missing: Capability[];
}

export function outcomeOf(r: { verdict: Verdict; notSupported?: NotSupported }): RunOutcome {
  if (r.notSupported) return 'not-supported';
  return r.verdict.valid === true ? 'pass' : r.verdict.valid === false ? 'fail' : 'unknown';
}

/** The console / table word of an outcome. */
export function outcomeWord(o: RunOutcome): string {
  return o === 'pass' ? 'PASS' : o === 'fail' ? 'FAIL' : o === 'unknown' ? 'UNKNOWN' : '—';
}

export function exitCodeOfOutcomes(outcomes: readonly RunOutcome[]): number {
  if (outcomes.includes('fail')) return 1;
  if (outcomes.includes('unknown')) return 2;
  if (outcomes.includes('pass')) return 0;
  return outcomes.length === 0 ? 2 : NOT_SUPPORTED_EXIT_CODE;
}

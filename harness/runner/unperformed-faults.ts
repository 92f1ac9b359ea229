// A run whose fault steps did not happen did not test what its scenario says: its checks may pass (a crash scenario
// without its crash is a steady state), so its verdict is unknown, with the reason. "Did not happen" is judged from
// the evidence (checkers/fault-evidence.ts): a firing that failed (the target refused it, lacked the capability, the
// pool was gone), never fired (an `after:` trigger that never came), or was never shown by the target (no
// WorkerCrashed for the SIGKILLed pid, no RecycleCompleted after the recycle request). Steps with `optional: true`
// do not count. Read from marks and events only, so `w3lab report` re-derives the same verdict from a run folder.
import type { CheckInput, CheckSpec, Verdict } from '../checkers';
import { describeEvidence, faultEvidence, missingFaults } from '../checkers/fault-evidence';

/** Unknown, naming each missing fault, when a required fault step did not take effect; null otherwise. */
export function unperformedVerdict(input: CheckInput): Verdict | null {
  const missing = missingFaults(faultEvidence(input));
  if (missing.length === 0) return null;
  const reasons = missing.map(describeEvidence);
  return {
    valid: 'unknown',
    summary: `The run did not test what its scenario says: ${missing.length} fault firing(s) did not take effect: ${reasons.join('; ')}.`,
    details: { unperformed: reasons },
  };
}

/** The checks of a run: the scenario's for this target, plus faultsTookEffect when it has fault steps. */
export function runCheckSpecs(
  expect: readonly { check: string; options?: Record<string, unknown>; targets?: readonly string[] }[],
  hasFaults: boolean,
  target: string,
): CheckSpec[] {
  const specs = expect.filter((e) => !e.targets || e.targets.includes(target)).map((e) => ({ name: e.check, options: e.options ?? {} }));
  if (hasFaults && !specs.some((s) => s.name === 'faultsTookEffect')) specs.push({ name: 'faultsTookEffect', options: {} });
  return specs;
}

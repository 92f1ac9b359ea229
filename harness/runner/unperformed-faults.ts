// A run whose fault steps the lab did not carry out did not test what its scenario says: its checks may pass (a
// crash scenario without its crash is a steady state), so its verdict is unknown, with the reason. That is a firing
// that failed (the target refused it, lacked the capability, the pool was gone) or never fired (an `after:`
// trigger that never came) — judged from the evidence (checkers/fault-evidence.ts). One exception: when every
// firing the lab attempted was carried out and a check failed, the run FAILs — the target broke a property in what
// did happen, and a later step whose trigger never came (a recycle chained on the previous one completing) cannot
// undo that; a firing that *failed* keeps the run unknown whatever the checks say, since a fault the lab could not
// deliver or heal may itself be the cause. A firing carried out but never shown by the target (no RecycleCompleted
// after a recycle request) is the target's doing: faultsTookEffect answers unknown for it. Steps with
// `optional: true` do not count. Read from marks and events only, so `w3lab report` re-derives the same verdict.
import type { CheckInput, CheckResult, CheckSpec, Verdict } from '../checkers';
import { describeEvidence, faultEvidence, missingFaults } from '../checkers/fault-evidence';

/**
 * Unknown, naming each missing fault, when a required fault step was not carried out; null otherwise (the checks
 * decide), and null when only never-fired steps are missing and one of `checks` failed.
 */
export function unperformedVerdict(input: CheckInput, checks: readonly CheckResult[] = []): Verdict | null {
  const missing = missingFaults(faultEvidence(input)).filter(
    (e) => e.status === 'failed' || e.status === 'not-performed',
  );
  if (missing.length === 0) return null;
  const failedStep = missing.some((e) => e.status === 'failed');
  if (!failedStep && checks.some((c) => c.verdict.valid === false)) return null;
  const reasons = missing.map(describeEvidence);
  return {
    valid: 'unknown',
    summary:
      'The run did not test what its scenario says: ' +
      `${missing.length} fault firing(s) were not carried out: ${reasons.join('; ')}.`,
    details: { unperformed: reasons },
  };
}

/** The checks of a run: the scenario's for this target, plus faultsTookEffect when it has fault steps. */
export function runCheckSpecs(
  expect: readonly { check: string; options?: Record<string, unknown>; targets?: readonly string[] }[],
  hasFaults: boolean,
  target: string,
): CheckSpec[] {
  const specs = expect
    .filter((e) => !e.targets || e.targets.includes(target))
    .map((e) => ({ name: e.check, options: e.options ?? {} }));
  if (hasFaults && !specs.some((s) => s.name === 'faultsTookEffect'))
    specs.push({ name: 'faultsTookEffect', options: {} });
  return specs;
}

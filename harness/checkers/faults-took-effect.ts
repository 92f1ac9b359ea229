// Checker faultsTookEffect: the run's fault steps happened — each planned firing was performed and, where the target
// can show it, confirmed by the target's own event (fault-evidence.ts says which event confirms which action).
// Unknown when a step failed, never fired or was never shown to take effect: the other checks then judged a run
// without its fault, and may pass for the wrong reason. Steps marked `optional: true` are reported, not required.
// The runner adds this check to every run that has fault steps.
import { z } from 'zod';
import { countBy, defineChecker, verdict } from './shared';
import { describeEvidence, faultEvidence, missingFaults } from './fault-evidence';

export const faultsTookEffectOptions = z.strictObject({});

export const faultsTookEffect = defineChecker('faultsTookEffect', faultsTookEffectOptions, (input) => {
  const evidence = faultEvidence(input);
  const details = { firings: evidence.length, byStatus: countBy(evidence, (e) => e.status), evidence };
  if (evidence.length === 0) return verdict('unknown', 'No fault step was planned or performed in this run.', details);
  const missing = missingFaults(evidence);
  if (missing.length > 0) {
    const list = missing.slice(0, 5).map(describeEvidence).join('; ');
    return verdict(
      'unknown',
      `${missing.length} of ${evidence.length} fault firing(s) did not take effect: ${list}.`,
      details,
    );
  }
  const confirmed = evidence.filter((e) => e.status === 'confirmed').length;
  const performed = evidence.filter((e) => e.status === 'performed').length;
  const optionalMissed = evidence.length - confirmed - performed;
  const parts = [
    `${confirmed} confirmed by the target`,
    ...(performed ? [`${performed} performed (no event could show them)`] : []),
    ...(optionalMissed ? [`${optionalMissed} optional not taken`] : []),
  ];
  return verdict(
    true,
    `All ${evidence.length - optionalMissed} required fault firing(s) took effect: ${parts.join(', ')}.`,
    details,
  );
});

// Running checkers over recorded data from code, with expectations spelled as in a scenario file
// (`{ check: 'noFailedRequests', options: { maxFailed: 0 } }`): for a history recorded elsewhere, or re-judging
// a stored run with other options. Bad names or options throw CheckerConfigError before any checker runs.
import { combine, runChecks, type CheckInput, type CheckResult, type Verdict } from '../checkers';
import { checkSpec } from '../scenarios/schema';
import { ScenarioError } from '../scenarios/load-scenario';
import type { ExpectInput } from './session';

export function check(input: CheckInput, specs: readonly ExpectInput[]): { verdict: Verdict; checks: CheckResult[] } {
  const parsed = specs.map((s, i) => {
    const r = checkSpec.safeParse(s);
    if (!r.success) {
      const issues = r.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`);
      throw new ScenarioError(`invalid expectation [${i}]: ${issues.join('; ')}`);
    }
    return { name: r.data.check, options: r.data.options };
  });
  const checks = runChecks(input, parsed);
  return { verdict: combine(checks), checks };
}

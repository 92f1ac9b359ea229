// The checker registry: the public names scenario files use in `expect:`, validation of their options, running a
// list of checks over one run's history and events, and Jepsen-style composition (false > unknown > true).
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { connectionsSurvive } from './connections-survive';
import { eventsSeen } from './events-seen';
import { faultsTookEffect } from './faults-took-effect';
import { CheckerConfigError } from './errors';
import { hangDetectedWithin } from './hang-detected-within';
import { latencyBudget } from './latency-budget';
import { memoryRecycleBeforeLimit } from './memory-recycle-before-limit';
import { noFailedRequests } from './no-failed-requests';
import { oomKillReplaced } from './oom-kill-replaced';
import { overlappedRecycleCompletes } from './overlapped-recycle-completes';
import { queuedRequestsServed } from './queued-requests-served';
import { rapidFailProtectionTriggers } from './rapid-fail-protection-triggers';
import { checkLabels } from './labels';
import type { SchemaChecker } from './shared';
import type { CheckInput, Validity, Verdict } from './types';

export type { Checker, CheckInput, Validity, Verdict } from './types';
export { CheckerConfigError, type CheckerErrorCode } from './errors';
export { checkLabels, describeOptions } from './labels';
export type { SchemaChecker, TimeRef } from './shared';
export {
  connectionsSurvive,
  eventsSeen,
  faultsTookEffect,
  hangDetectedWithin,
  latencyBudget,
  memoryRecycleBeforeLimit,
  noFailedRequests,
  oomKillReplaced,
  overlappedRecycleCompletes,
  queuedRequestsServed,
  rapidFailProtectionTriggers,
};

/** The registry: the built-in checkers, and those added with registerChecker(). */
export const checkers: Readonly<Record<string, SchemaChecker<z.ZodType>>> = {
  connectionsSurvive,
  noFailedRequests,
  rapidFailProtectionTriggers,
  overlappedRecycleCompletes,
  hangDetectedWithin,
  memoryRecycleBeforeLimit,
  queuedRequestsServed,
  latencyBudget,
  oomKillReplaced,
  faultsTookEffect,
  eventsSeen,
};

export const checkerNames: readonly string[] = Object.keys(checkers);
const BUILT_IN = new Set(checkerNames);

/**
 * Adds a checker to the registry under `checker.name`, so scenarios can name it in `expect:`. Its options are
 * validated by its optionsSchema like a built-in's (use defineChecker to make one). Names are camelCase; a
 * built-in cannot be replaced; registering the same checker object again is a no-op.
 */
/** The checker of that name, or undefined: never a property every object has (a check named "constructor"). */
export function checkerNamed(name: string): SchemaChecker<z.ZodType> | undefined {
  return Object.prototype.hasOwnProperty.call(checkers, name) ? checkers[name] : undefined;
}

export function registerChecker(checker: SchemaChecker<z.ZodType>): void {
  const name = checker.name;
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) {
    throw new CheckerConfigError(
      'LAB_ERR_CHECKER_NAME',
      `checker name "${name}": use camelCase letters and digits`,
      name,
    );
  }
  const existing = checkerNamed(name);
  if (existing === checker) return;
  if (existing) {
    const why = BUILT_IN.has(name) ? 'a built-in checker has that name' : 'another checker was registered under it';
    throw new CheckerConfigError('LAB_ERR_CHECKER_NAME', `checker name "${name}" is taken: ${why}`, name);
  }
  (checkers as Record<string, SchemaChecker<z.ZodType>>)[name] = checker;
  (checkerNames as string[]).push(name);
}

export interface CheckSpec {
  name: string;
  options?: Record<string, unknown>;
}

export interface CheckResult {
  name: string;
  /** Distinct display name when the checker is used more than once: `noFailedRequests[phase=load]`. */
  label?: string;
  /** The options the scenario gave (not the defaults). */
  options?: Record<string, unknown>;
  verdict: Verdict;
  /** How long the checker took over the recorded data (ms; JUnit reports it as the testcase's time). */
  durationMs?: number;
}

/**
 * Checks every spec names a known checker with valid options, so a scenario is rejected before the run rather than
 * after it. Returns the parsed options (defaults applied). `at` prefixes the error path.
 */
export function validateCheckSpecs(specs: readonly CheckSpec[], at = 'expect'): Record<string, unknown>[] {
  return resolveSpecs(specs, at).map((r) => r.parsed);
}

/** The checker each spec names and its parsed options; throws CheckerConfigError for the first bad spec. */
function resolveSpecs(
  specs: readonly CheckSpec[],
  at: string,
): { checker: SchemaChecker<z.ZodType>; parsed: Record<string, unknown> }[] {
  return specs.map((spec, i) => {
    const checker = checkerNamed(spec.name);
    if (!checker) {
      throw new CheckerConfigError(
        'LAB_ERR_UNKNOWN_CHECKER',
        `${at}[${i}]: unknown checker "${spec.name}" (known: ${checkerNames.join(', ')})`,
        `${at}[${i}].name`,
      );
    }
    const parsed = checker.optionsSchema.safeParse(spec.options ?? {});
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      // Stryker disable next-line OptionalChaining,ArrayDeclaration: a failed parse has at least one issue
      const issuePath = first?.path ?? [];
      const path = [`${at}[${i}].options`, ...issuePath.map(String)].join('.');
      throw new CheckerConfigError(
        'LAB_ERR_CHECKER_OPTIONS',
        `${path}: invalid options for ${spec.name}: ${z.prettifyError(parsed.error)}`,
        path,
        { cause: parsed.error },
      );
    }
    return { checker, parsed: parsed.data as Record<string, unknown> };
  });
}

/**
 * Runs the checks in order. A bad spec throws CheckerConfigError before any check runs; a checker that throws
 * yields an unknown verdict carrying the error (like Jepsen's check-safe), so one bug cannot hide other verdicts.
 */
export function runChecks(input: CheckInput, specs: readonly CheckSpec[]): CheckResult[] {
  const resolved = resolveSpecs(specs, 'expect');
  const labels = checkLabels(specs);
  return specs.map((spec, i) => {
    const { checker } = resolved[i]!;
    const named = { name: spec.name, label: labels[i]!, options: spec.options ?? {} };
    const t0 = performance.now();
    const took = (): number => Math.round((performance.now() - t0) * 1000) / 1000;
    try {
      const verdict = checker.check(input, named.options);
      return { ...named, verdict, durationMs: took() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const verdict = {
        valid: 'unknown' as const,
        summary: `The checker crashed: ${message}`,
        details: { error: message },
      };
      return { ...named, verdict, durationMs: took() };
    }
  });
}

/** The name people read for a check: its distinct label when it has one (labels.ts). */
export const checkLabel = (c: { name: string; label?: string }): string => c.label ?? c.name;

/** Jepsen's compose priority: any false wins, then any unknown; no verdicts at all is valid. */
export function combineValidity(values: readonly Validity[]): Validity {
  if (values.includes(false)) return false;
  if (values.includes('unknown')) return 'unknown';
  return true;
}

/** Merges verdicts (or named check results) into one verdict whose details count and name the outcomes. */
export function combine(results: readonly (Verdict | CheckResult)[]): Verdict {
  const named = results.map((r, i) =>
    'verdict' in r ? { name: checkLabel(r), verdict: r.verdict } : { name: `#${i + 1}`, verdict: r },
  );
  const names = (v: Validity): string[] => named.filter((r) => r.verdict.valid === v).map((r) => r.name);
  const failed = names(false);
  const unknown = names('unknown');
  const valid = combineValidity(named.map((r) => r.verdict.valid));
  const passed = named.length - failed.length - unknown.length;
  const counts = `${passed} valid, ${failed.length} failed, ${unknown.length} unknown`;
  const summary =
    valid === false
      ? `Failed: ${failed.join(', ')} (${counts}).`
      : valid === 'unknown'
        ? `Undecided: ${unknown.join(', ')} (${counts}).`
        : `All ${named.length} checks valid.`;
  return { valid, summary, details: { checks: named.length, failed, unknown } };
}

// Jest helpers (require('w3lab/jest')): useTarget() brings a target up before the tests of a file and stops it
// after them; the toPassChecks() matcher passes when a result's verdict is valid and otherwise prints each check
// that failed or could not decide, with its reason, and where the report is. Requiring this module adds the
// matcher to Jest's `expect` when there is one.
import type { ScenarioResult, SuiteRunResult } from '../api/run';
import { startTarget, type LabSession, type TargetOptions } from '../api/session';

declare const beforeAll: (fn: () => Promise<void>, timeoutMs?: number) => void;
declare const afterAll: (fn: () => Promise<void>, timeoutMs?: number) => void;
declare const expect: { extend?: (matchers: Record<string, unknown>) => void } | undefined;

export interface UseTargetOptions extends TargetOptions {
  /** How long bringing the target up may take (default 60 s; a loaded CI machine is slow). */
  setupTimeoutMs?: number;
  /** How long stopping it may take (default 60 s). */
  teardownTimeoutMs?: number;
}

export interface TargetHandle {
  /** The running session (throws when used outside the tests of the file, e.g. at module level). */
  readonly session: LabSession;
  /** Shortcut for session.url. */
  readonly url: string;
}

/**
 * Registers beforeAll (start the target) and afterAll (heal, stop it, write the suite files) for the current test
 * file or describe block, and returns a handle whose `session` the tests use.
 */
export function useTarget(options: UseTargetOptions = {}): TargetHandle {
  let session: LabSession | null = null;
  const { setupTimeoutMs = 60_000, teardownTimeoutMs = 60_000, ...targetOptions } = options;
  beforeAll(async () => {
    session = await startTarget(targetOptions);
  }, setupTimeoutMs);
  afterAll(async () => {
    await session?.stop();
  }, teardownTimeoutMs);
  return {
    get session(): LabSession {
      if (!session)
        throw new Error('useTarget: the target is not running (use the session inside a test, after beforeAll)');
      return session;
    },
    get url(): string {
      return this.session.url;
    },
  };
}

type Judged = Pick<ScenarioResult, 'valid' | 'checks' | 'summary'> & {
  files?: { report?: string };
  dir?: string;
  scenario?: string;
};

const WORD = (v: unknown): string => (v === true ? 'PASS' : v === false ? 'FAIL' : 'UNKNOWN');

function describeRun(r: Judged, indent = '  '): string[] {
  const lines = r.checks
    .filter((c) => c.verdict.valid !== true)
    .map((c) => `${indent}${WORD(c.verdict.valid).padEnd(8)}${c.name}: ${c.verdict.summary.split('\n')[0]}`);
  if (lines.length === 0 && r.valid !== true) lines.push(`${indent}${WORD(r.valid).padEnd(8)}${r.summary}`);
  const report = r.files?.report ?? (r.dir ? `${r.dir}/report.html` : undefined);
  if (report) lines.push(`${indent}report: ${report}`);
  return lines;
}

function isSuite(x: unknown): x is SuiteRunResult {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as SuiteRunResult).results) &&
    typeof (x as SuiteRunResult).exitCode === 'number'
  );
}

function isJudged(x: unknown): x is Judged {
  return typeof x === 'object' && x !== null && 'valid' in x && Array.isArray((x as Judged).checks);
}

/**
 * expect(result).toPassChecks(): passes when the verdict of a scenario result (runScenario, session.check) is
 * valid, or every run of a suite result (runScenarios) passed. The failure message names each check that failed or
 * could not decide, its reason, and the report to open.
 */
export function toPassChecks(
  this: { isNot?: boolean } | void,
  received: unknown,
): { pass: boolean; message: () => string } {
  if (isSuite(received)) {
    const pass = received.exitCode === 0 && received.results.every((r) => r.valid === true);
    const bad = received.results.filter((r) => r.valid !== true);
    const n = received.results.length;
    return {
      pass,
      message: () =>
        pass
          ? `expected the suite not to pass, but all ${n} scenario(s) passed\n  report: ${received.files.index}`
          : [
              `expected every scenario to pass; ${bad.length} of ${n} did not (exit code ${received.exitCode}):`,
              ...bad.flatMap((r) => [`  ${r.scenario}:`, ...describeRun(r, '    ')]),
              `  suite report: ${received.files.index}`,
            ].join('\n'),
    };
  }
  if (!isJudged(received)) {
    return {
      pass: false,
      message: () => 'toPassChecks expects the result of runScenario, runScenarios or session.check()',
    };
  }
  const pass = received.valid === true;
  const name = received.scenario ? ` of ${received.scenario}` : '';
  return {
    pass,
    message: () =>
      pass
        ? [
            `expected the checks${name} not to pass, but all ${received.checks.length} passed`,
            ...describeRun(received),
          ].join('\n')
        : [`expected the checks${name} to pass: ${received.summary}`, ...describeRun(received)].join('\n'),
  };
}

export const matchers = { toPassChecks };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** Passes when the w3lab result's verdict is valid (every check passed). */
      toPassChecks(): R;
    }
  }
}

if (typeof expect !== 'undefined' && typeof expect?.extend === 'function') expect.extend(matchers);

// `w3lab report RUN_DIR`: re-reads a stored run, re-runs the checkers of the scenario recorded in run.json
// (scenarioConfig.expect, honouring each expectation's `targets` filter) over the stored history and events, and
// rewrites results.json (stats recomputed), summary.md, report.html and junit.xml. The verdict follows the runner's
// rules: a run that errored or was interrupted stays unknown. Exit code 0 / 1 / 2 like `run`.
import fs from 'node:fs';
import path from 'node:path';
import type { MarkRecord } from '../history/types';
import { runCheckSpecs, unperformedVerdict } from '../runner/unperformed-faults';
import { CheckerConfigError, combine, runChecks, type CheckResult, type CheckSpec, type Verdict } from '../checkers';
import { computeStats, type RunStats } from '../results/stats';
import { renderSummary } from '../results/summary';
import { writeHtmlReport } from './html-report';
import { writeRunJunit } from './junit';
import { loadRun, RunFolderError, type LoadedRun } from './run-files';
import { asText } from '../history/as-text';
import { matrixOfRun, readMatrix } from '../results/matrix-folder';
import { SUITE_FILE } from '../results/store';
import { readSuite } from '../suite/suite-folder';

export interface RerunResult {
  dir: string;
  scenario: string;
  target: string;
  verdict: Verdict;
  checks: CheckResult[];
  stats: RunStats;
  files: string[];
  exitCode: 0 | 1 | 2;
}

interface StoredExpectation {
  check?: unknown;
  options?: unknown;
  targets?: unknown;
}

/** The check specs a stored scenario asks for on the run's target. */
export function specsFromRun(run: LoadedRun): CheckSpec[] {
  const expect = (run.info.scenarioConfig as { expect?: unknown } | undefined)?.expect;
  if (!Array.isArray(expect))
    throw new RunFolderError(`${run.dir}/run.json: scenarioConfig.expect is missing, so the checks cannot be re-run`);
  const stored = (expect as StoredExpectation[]).map((e, i) => {
    if (typeof e.check !== 'string')
      throw new RunFolderError(`${run.dir}/run.json: scenarioConfig.expect[${i}].check is not a name`);
    const targets = Array.isArray(e.targets) ? e.targets.map(String) : undefined;
    return { check: e.check, options: (e.options ?? {}) as Record<string, unknown>, ...(targets ? { targets } : {}) };
  });
  const faults = (run.info.scenarioConfig as { faults?: unknown } | undefined)?.faults;
  return runCheckSpecs(stored, Array.isArray(faults) && faults.length > 0, run.info.target);
}

function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** The stored fault-step errors, or (for an older results.json) the fault-error marks in the history. */
function faultErrorsOf(run: LoadedRun): string[] {
  if (run.results?.faultErrors) return run.results.faultErrors;
  return run.history
    .filter((r): r is MarkRecord => r.kind === 'mark' && r.name === 'fault-error')
    .map((m) => `step ${asText(m['step'], '?')} (${asText(m['action'], '?')}): ${asText(m['error'])}`);
}

export function rerunReport(runDir: string): RerunResult {
  const run = loadRun(runDir);
  // A run of a matrix or a suite: reading its matrix.json or suite.json settles one whose process died.
  const matrix = matrixOfRun(run.dir);
  if (matrix) readMatrix(matrix);
  else if (fs.existsSync(path.join(path.dirname(run.dir), SUITE_FILE))) readSuite(path.dirname(run.dir));
  const specs = specsFromRun(run);
  let checks: CheckResult[];
  const input = { history: run.history, events: run.events, start: run.start, end: run.end };
  try {
    checks = runChecks(input, specs);
  } catch (err) {
    if (err instanceof CheckerConfigError)
      throw new RunFolderError(`${run.dir}/run.json: ${err.message}`, { cause: err });
    throw err;
  }
  const error = run.results?.error ?? null;
  let verdict = unperformedVerdict(input, checks) ?? combine(checks);
  if (error) verdict = { valid: 'unknown', summary: `The run did not complete: ${error}`, details: { error } };
  else if (run.info.status === 'interrupted')
    verdict = { valid: 'unknown', summary: 'The run was interrupted.', details: {} };
  else if (run.info.status === 'killed' || run.info.status === 'running') {
    const why =
      run.info.status === 'killed' ? 'was killed before it finished (its lab process died)' : 'has not finished';
    verdict = {
      valid: 'unknown',
      summary: `The run ${why}: the checks judged what it recorded until then (${combine(checks).summary})`,
      details: { partial: true },
    };
  }
  const stats = computeStats(run.history, run.events, run.start, run.end);
  const faultErrors = faultErrorsOf(run);
  const { scenario, target } = run.info;
  const file = (name: string): string => path.join(run.dir, name);
  writeAtomic(
    file('results.json'),
    JSON.stringify({ valid: verdict.valid, summary: verdict.summary, checks, stats, faultErrors, error }, null, 2) +
      '\n',
  );
  writeAtomic(
    file('summary.md'),
    renderSummary({
      scenario,
      description: run.info.description ?? '',
      target,
      runtime: run.info.runtime ?? '?',
      seed: run.info.seed ?? 0,
      dir: run.dir,
      verdict,
      checks,
      stats,
      faultErrors,
    }),
  );
  writeAtomic(
    file('run.json'),
    JSON.stringify({ ...run.info, valid: verdict.valid, reportedAt: new Date().toISOString() }, null, 2) + '\n',
  );
  const reports = writeRunReports(run.dir);
  return {
    dir: run.dir,
    scenario,
    target,
    verdict,
    checks,
    stats,
    files: [file('results.json'), file('summary.md'), reports.html, reports.junit],
    exitCode: verdict.valid === true ? 0 : verdict.valid === false ? 1 : 2,
  };
}

/** report.html and junit.xml of a finished run folder (the runner calls this at the end of every run). */
export function writeRunReports(runDir: string): { html: string; junit: string } {
  return { html: writeHtmlReport(runDir), junit: writeRunJunit(runDir) };
}

const WORD = { true: 'PASS', false: 'FAIL', unknown: 'UNKNOWN' } as const;

export function renderRerun(r: RerunResult): string {
  return [
    `${r.scenario} [${r.target}]: ${WORD[String(r.verdict.valid) as keyof typeof WORD]} — ${r.verdict.summary}`,
    ...r.checks.map(
      (c) => `  ${WORD[String(c.verdict.valid) as keyof typeof WORD].padEnd(8)} ${c.name}: ${c.verdict.summary}`,
    ),
    ...r.files.map((f) => `  wrote ${f}`),
  ].join('\n');
}

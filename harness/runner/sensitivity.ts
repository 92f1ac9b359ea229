// The sensitivity table, measured: each bundled scenario against w3 (expected PASS, with every fault step carried
// out) and against its sabotage (harness/scenarios/sabotage.ts, expected FAIL), one run each. The README's table is
// this module's markdown from a real run (`npm run sensitivity`).
import path from 'node:path';
import type { Logger } from 'pino';
import { listScenarioFiles, loadScenario, ScenarioError } from '../scenarios/load-scenario';
import { isOneOf, SABOTAGES, sabotaged, type Sabotage } from '../scenarios/sabotage';
import { runScenario, type RunResult } from './run-scenario';

export type Seen = 'PASS' | 'FAIL' | 'UNKNOWN';

export interface SensitivityRow {
  scenario: string;
  variant: 'w3' | 'sabotage';
  /** What was switched ('—' for w3 as the scenario configures it). */
  sabotage: string;
  expected: 'PASS' | 'FAIL';
  seen: Seen;
  /** The checks that failed (or, for UNKNOWN, could not decide), by their distinct labels. */
  checks: string[];
  /** Set when the row is as expected: PASS with every fault step shown, or FAIL through an expected check. */
  ok: boolean;
  /** Why a row is not ok, in words. */
  why: string;
  dir: string;
  durationMs: number;
}

export interface SensitivityOptions {
  outDir: string;
  log: Logger;
  /** Only these scenarios (by name); all bundled ones when absent. */
  only?: readonly string[];
  /** Also run each scenario against w3 as configured (default true). */
  withBaseline?: boolean;
}

const word = (r: RunResult): Seen =>
  r.verdict.valid === true ? 'PASS' : r.verdict.valid === false ? 'FAIL' : 'UNKNOWN';

/** The checks behind the verdict: the failed ones of a FAIL, the undecided ones of an UNKNOWN. */
function notPassing(r: RunResult): string[] {
  const wanted = r.verdict.valid === false ? false : 'unknown';
  return r.checks.filter((c) => c.verdict.valid === wanted).map((c) => c.label ?? c.name);
}

function scenarioFile(name: string): string {
  const file = listScenarioFiles().find((f) => path.basename(f, '.yaml') === name);
  if (!file) throw new Error(`no bundled scenario ${name}`);
  return file;
}

/** One scenario against w3 as configured: PASS, and the faults it injects all shown by w3 (faultsTookEffect). */
export async function runBaseline(name: string, o: SensitivityOptions): Promise<SensitivityRow> {
  const file = scenarioFile(name);
  const outDir = path.join(o.outDir, 'w3');
  const r = await runScenario({ scenario: loadScenario(file), scenarioFile: file, target: 'w3', outDir, log: o.log });
  const seen = word(r);
  const faults = r.checks.find((c) => c.name === 'faultsTookEffect');
  const faultsShown = faults === undefined || faults.verdict.valid === true;
  const why = seen !== 'PASS' ? r.verdict.summary : faultsShown ? '' : `faultsTookEffect: ${faults.verdict.summary}`;
  return {
    scenario: name,
    variant: 'w3',
    sabotage: '—',
    expected: 'PASS',
    seen,
    checks: notPassing(r),
    ok: seen === 'PASS' && faultsShown,
    why,
    dir: r.dir,
    durationMs: r.durationMs,
  };
}

/** One scenario against its sabotage: FAIL (not unknown), through at least one of the checks the sabotage breaks. */
export async function runSabotage(s: Sabotage, o: SensitivityOptions): Promise<SensitivityRow> {
  const file = scenarioFile(s.scenario);
  const sc = sabotaged(loadScenario(file), s);
  const outDir = path.join(o.outDir, 'sabotage');
  const r = await runScenario({ scenario: sc, scenarioFile: file, target: s.target, outDir, log: o.log });
  const seen = word(r);
  const checks = notPassing(r);
  const through = seen === 'FAIL' && checks.some((c) => isOneOf(c, s.failing));
  const why = through ? '' : seen === 'FAIL' ? `failed, but not through ${s.failing.join(' or ')}` : r.verdict.summary;
  return {
    scenario: s.scenario,
    variant: 'sabotage',
    sabotage: `${s.target}: ${s.sabotage}`,
    expected: 'FAIL',
    seen,
    checks,
    ok: through,
    why,
    dir: r.dir,
    durationMs: r.durationMs,
  };
}

/** Throws a ScenarioError naming every name in `only` that is no bundled scenario (a typo is not an empty table). */
export function assertBundled(only: readonly string[]): void {
  const names = listScenarioFiles().map((f) => path.basename(f, '.yaml'));
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0)
    throw new ScenarioError(`no bundled scenario ${unknown.join(', ')} (scenarios: ${names.join(', ')})`);
}

/** Every bundled scenario (or `only`, checked by assertBundled first), in order: against w3, then its sabotages. */
export async function runSensitivity(o: SensitivityOptions): Promise<SensitivityRow[]> {
  assertBundled(o.only ?? []);
  const rows: SensitivityRow[] = [];
  for (const file of listScenarioFiles()) {
    const name = path.basename(file, '.yaml');
    if (o.only && !o.only.includes(name)) continue;
    if (o.withBaseline !== false) rows.push(await runBaseline(name, o));
    for (const s of SABOTAGES.filter((x) => x.scenario === name)) rows.push(await runSabotage(s, o));
  }
  return rows;
}

export function renderSensitivityMarkdown(rows: readonly SensitivityRow[]): string {
  const seen = (r: SensitivityRow): string => (r.ok ? r.seen : `**${r.seen}** (${r.why.replace(/\|/g, '\\|')})`);
  const line = (r: SensitivityRow): string =>
    `| ${r.scenario} | ${r.variant === 'w3' ? 'w3 (as configured)' : r.sabotage} | ${r.expected} | ${seen(r)} | ` +
    `${r.checks.join(', ') || '—'} | ${(r.durationMs / 1000).toFixed(1)} s |`;
  return [
    '| scenario | target | expected | seen | checks behind the verdict | run |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(line),
  ].join('\n');
}

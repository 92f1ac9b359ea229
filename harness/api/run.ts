// The public way to run scenarios from code: a scenario object (the YAML format as a JavaScript value) or a file
// path in, a typed result out — the same validation, the same run folder and the same suite files as `w3lab run`.
// Results go to ./w3lab-results of the current directory unless `out` says otherwise; nothing is printed.
import path from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CheckResult, Validity } from '../checkers';
import { DEFAULT_RESULTS_DIR } from '../results/store';
import type { RunStats } from '../results/stats';
import { outcomeOf, type RunOutcome } from '../runner/run-outcome';
import type { RunResult } from '../runner/run-scenario';
import { loadScenario, parseScenario } from '../scenarios/load-scenario';
import type { Scenario, scenarioSchema } from '../scenarios/schema';
import { runSuite, type SuiteScenario } from '../suite/run-suite';
import type { Shard } from '../suite/shard';
import type { SuiteInfo } from '../suite/suite-folder';
import { getTarget } from '../targets/registry';
import type { RuntimeKind } from '../targets/types';

/** A scenario as written in YAML, as a JavaScript value: durations as ms or strings ("2s"), defaults optional. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

export interface RunOptions {
  /** Results folder (default ./w3lab-results in the current directory); each call makes a suite folder in it. */
  out?: string;
  /** Overrides the scenario's target (default: the scenario's, else w3). */
  target?: string;
  runtime?: RuntimeKind;
  seed?: number;
  /** For a scenario object: the folder its relative module paths (`./app.js`) resolve against (default: the
   *  current directory). A file's own folder is used for a file. */
  baseDir?: string;
  /** The harness log (default: silent). */
  log?: Logger;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** What one scenario run gave. `checks` holds each expectation's verdict, in the scenario's order. */
export interface ScenarioResult {
  scenario: string;
  target: string;
  /** pass / fail / unknown, or not-supported when the target lacks what the scenario requires. */
  outcome: RunOutcome;
  /** The verdict: false when any check failed, else "unknown" when any could not decide, else true. */
  valid: Validity;
  summary: string;
  checks: CheckResult[];
  stats: RunStats;
  /** Set when the run did not complete (the target did not start, ...): the verdict is then unknown. */
  error?: string;
  durationMs: number;
  /** The run folder and its main files. */
  dir: string;
  files: { report: string; junit: string; results: string; summary: string };
  /** The suite folder this run was written in (index.html, junit.xml, summary.md). */
  suiteDir: string;
}

export interface SuiteRunResult {
  dir: string;
  files: { index: string; junit: string; summary: string };
  info: SuiteInfo;
  results: ScenarioResult[];
  interrupted: boolean;
  /** What `w3lab run` would exit with: 0 pass, 1 a check failed, 2 unknown or interrupted, 3 nothing supported. */
  exitCode: number;
}

/** A ScenarioError (code LAB_ERR_SCENARIO) names the file or "scenario object", the path and the reason. */
export function toSuiteScenario(input: ScenarioInput | Scenario | string, baseDir = process.cwd()): SuiteScenario {
  if (typeof input === 'string') {
    const file = path.resolve(input);
    return { scenario: loadScenario(file), file };
  }
  const scenario = parseScenario(input, 'scenario object');
  // Module paths are resolved against the folder of `file`; this name is never read.
  return {
    scenario,
    file: path.join(path.resolve(baseDir), `${scenario.name}.scenario`),
    source: `scenario object "${scenario.name}"`,
  };
}

function publicResult(r: RunResult, suiteDir: string): ScenarioResult {
  const file = (name: string): string => path.join(r.dir, name);
  return {
    scenario: r.scenario,
    target: r.target,
    outcome: outcomeOf(r),
    valid: r.verdict.valid,
    summary: r.verdict.summary,
    checks: r.checks,
    stats: r.stats,
    ...(r.error ? { error: r.error } : {}),
    durationMs: r.durationMs,
    dir: r.dir,
    files: {
      report: file('report.html'),
      junit: file('junit.xml'),
      results: file('results.json'),
      summary: file('summary.md'),
    },
    suiteDir,
  };
}

/** Runs several scenarios as one suite (optionally one shard of it). Scenarios are all validated first. */
export async function runScenarios(
  inputs: readonly (ScenarioInput | Scenario | string)[],
  o: RunOptions & { shard?: Shard } = {},
): Promise<SuiteRunResult> {
  const scenarios = inputs.map((i) => toSuiteScenario(i, o.baseDir));
  // An unknown target: TargetError before anything runs.
  for (const s of scenarios) getTarget(o.target ?? s.scenario.target);
  const runtime = o.runtime ?? 'process';
  const suite = await runSuite(scenarios, {
    out: path.resolve(o.out ?? DEFAULT_RESULTS_DIR()),
    target: o.target,
    runtime,
    seed: o.seed,
    shard: o.shard,
    log: o.log ?? pino({ level: 'silent' }),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  return {
    dir: suite.dir,
    files: { index: suite.files.index, junit: suite.files.junit, summary: suite.files.summary },
    info: suite.info,
    results: suite.results.map((r) => publicResult(r, suite.dir)),
    interrupted: suite.interrupted,
    exitCode: suite.exitCode,
  };
}

/** Runs one scenario (an object in the YAML format, or a file path) and returns its typed result. */
export async function runScenario(
  input: ScenarioInput | Scenario | string,
  o: RunOptions = {},
): Promise<ScenarioResult> {
  const suite = await runScenarios([input], o);
  const result = suite.results[0];
  if (!result) throw new Error('the run was interrupted before it started');
  return result;
}

// Running a list of scenarios as one suite: a new suite folder in the results folder, each scenario run into it in
// order (or only this shard's slice), the suite's reports written at the end — also after an interruption. Used by
// `w3lab run` and by the public API; neither prints anything here. Every scenario is checked before the suite folder
// exists (names unique, preflight on its target, the optional packages its phases need), so a bad one leaves no
// half-written suite and `latest` untouched.
import path from 'node:path';
import type { Logger } from 'pino';
import { requirePackage } from '../optional-package';
import { preflight } from '../runner/preflight';
import { runScenario, type RunResult } from '../runner/run-scenario';
import { ScenarioError } from '../scenarios/load-scenario';
import type { Scenario } from '../scenarios/schema';
import type { RuntimeKind } from '../targets/types';
import { SuiteFolder, type SuiteFiles, type SuiteInfo } from './suite-folder';
import { selectShard, type Shard } from './shard';

export interface SuiteScenario {
  scenario: Scenario;
  /** The file it came from (module paths in its config resolve against its folder); for an object, any path in
   *  the folder those paths are relative to. */
  file: string;
  /** How messages name it when `file` is not a real file (a scenario object); default: `file`. */
  source?: string;
}

export interface RunSuiteOptions {
  /** The results folder; the suite gets its own folder inside it. */
  out: string;
  target?: string;
  runtime?: RuntimeKind;
  seed?: number;
  shard?: Shard;
  /** The harness log, or a function making it once the suite folder exists (the CLI writes lab.log into it). */
  log: Logger | ((suiteDir: string) => Logger);
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  /** Called after each scenario with its result. */
  onRun?: (result: RunResult) => void;
}

export interface SuiteResult {
  dir: string;
  files: SuiteFiles;
  info: SuiteInfo;
  results: RunResult[];
  /** The scenarios this run (or shard) took, in order. */
  selected: SuiteScenario[];
  interrupted: boolean;
  /** 0 / 1 / 2 / 3 as `w3lab run` exits; an empty shard is 0 (the other shards cover the suite). */
  exitCode: number;
}

/**
 * Throws before anything is written: a ScenarioError when two scenarios share a name (it is their run folder's name,
 * their JUnit test suite's and what `compare` and `merge` match runs by), a PreflightError for the first scenario
 * its target would refuse, a MissingPackageError for a `client: autocannon` phase without autocannon installed.
 * Every scenario counts, not only this shard's: each shard of a CI job sees the same list.
 */
export function validateSuite(scenarios: readonly SuiteScenario[], target?: string): void {
  const byName = new Map<string, string>();
  for (const { scenario, file, source = file } of scenarios) {
    const first = byName.get(scenario.name);
    if (first !== undefined) {
      const where = first === source ? `${source} is given twice` : `${first} and ${source} both use it`;
      throw new ScenarioError(`name: scenario name "${scenario.name}" must be unique in a suite (${where})`);
    }
    byName.set(scenario.name, source);
  }
  for (const { scenario, file, source = file } of scenarios) {
    preflight(scenario, file, target ?? scenario.target, source);
    // An optional package a phase needs: said now, not as an undecided run once the target is up.
    const i = scenario.workload.findIndex((p) => p.client === 'autocannon');
    if (i >= 0) requirePackage('autocannon', `${source}: workload.${i}.client autocannon`);
  }
}

export async function runSuite(scenarios: readonly SuiteScenario[], o: RunSuiteOptions): Promise<SuiteResult> {
  validateSuite(scenarios, o.target);
  const selected = o.shard
    ? selectShard(scenarios, o.shard, (s) => `${s.scenario.name}\u0000${path.resolve(s.file)}`)
    : [...scenarios];
  const suite = new SuiteFolder(path.resolve(o.out), {
    shard: o.shard ?? null,
    runtime: o.runtime ?? 'process',
    scenarios: selected.map((s) => s.scenario.name),
  });
  const results: RunResult[] = [];
  const log = (typeof o.log === 'function' ? o.log(suite.dir) : o.log).child({ suite: suite.info.suiteId });
  for (const { scenario, file } of selected) {
    if (o.signal?.aborted) break;
    const result = await runScenario({
      scenario,
      scenarioFile: file,
      target: o.target,
      runtime: o.runtime,
      seed: o.seed,
      outDir: suite.dir,
      log,
      signal: o.signal,
      onProgress: o.onProgress,
    });
    results.push(result);
    suite.add(result);
    o.onRun?.(result);
  }
  const interrupted = o.signal?.aborted === true;
  const files = suite.finish(interrupted ? 'interrupted' : 'finished', (msg) => log.warn(msg));
  return { dir: suite.dir, files, info: suite.info, results, selected, interrupted, exitCode: suite.info.exitCode };
}

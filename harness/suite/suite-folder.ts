// A suite: the scenarios one `w3lab run` (or one shard of it, or a merge of shards) ran, in one folder of the
// results folder: <results>/<suite id>/ holding one run folder per scenario and the suite's own files —
// suite.json (what ran, each run's outcome), junit.xml (every run's checks), index.html (a page linking each run's
// report) and summary.md (for a CI job summary). <results>/latest points at the newest suite. suite.json is written
// first (the store then puts runs inside the folder) and rewritten after every run, so an interrupted suite still
// says what it did. A suite whose `w3lab run` was SIGKILLed never finishes its file: the next reader (list, report
// of one of its runs, merge: readSuite) that finds it running with its owner gone marks it killed, once, with the
// run the kill cut and the scenarios never run, and writes the reports the suite never wrote.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { replaceLink, SUITE_FILE, type RunInfo } from '../results/store';
import { ownerAlive, runOwner, settleRunStatus, type RunOwner } from '../results/run-status';
import { exitCodeOfOutcomes, outcomeOf, type RunOutcome } from '../runner/run-outcome';
import type { RunResult } from '../runner/run-scenario';
import { isRunDir, loadRun } from '../report/run-files';
import { renderJunit } from '../report/junit';
import { renderSuiteIndex } from './suite-index';
import { renderSuiteSummary } from './suite-summary';
import type { Shard } from './shard';

export interface SuiteRun {
  scenario: string;
  target: string;
  /** The run folder, relative to the suite folder. */
  dir: string;
  outcome: RunOutcome;
  /** The checks' verdict summary (or why the run did not start). */
  summary: string;
  durationMs: number;
  checks: { name: string; valid: true | false | 'unknown'; summary: string }[];
  requests: number;
  failed: number;
  error?: string;
}

export interface SuiteInfo {
  suiteId: string;
  /** Random: tells a suite reached twice (a link, a copied artifact) from two suites with the same id. */
  uid: string;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'finished' | 'interrupted' | 'killed';
  /** The process running the suite (absent in suites written before it was recorded). */
  owner?: RunOwner;
  /** The scenarios the suite (or shard) was to run, in order (absent in older suites and merges). */
  scenarios?: string[];
  /** Killed: when a later list, report or merge noticed; the run the kill cut short; the scenarios never run. */
  killedNoticedAt?: string;
  cut?: { scenario: string; dir: string }[];
  notRun?: string[];
  /** This suite is shard `index` of `total` (w3lab run --shard), or null. */
  shard: Shard | null;
  /** For a merged suite: the suites it was made from. */
  mergedFrom?: { suiteId: string; shard: Shard | null; dir: string }[];
  runtime?: string;
  runs: SuiteRun[];
  counts: Record<RunOutcome, number>;
  exitCode: number;
}

export const SUITE_FILES = ['index.html', 'junit.xml', 'summary.md', SUITE_FILE] as const;

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function countOutcomes(runs: readonly { outcome: RunOutcome }[]): Record<RunOutcome, number> {
  const counts: Record<RunOutcome, number> = { pass: 0, fail: 0, unknown: 0, 'not-supported': 0 };
  for (const r of runs) counts[r.outcome]++;
  return counts;
}

export function suiteRunOf(result: RunResult, suiteDir: string): SuiteRun {
  return {
    scenario: result.scenario,
    target: result.target,
    dir: path.relative(suiteDir, result.dir) || '.',
    outcome: outcomeOf(result),
    summary: result.verdict.summary,
    durationMs: result.durationMs,
    checks: result.checks.map((c) => ({ name: c.name, valid: c.verdict.valid, summary: c.verdict.summary })),
    requests: result.stats.requests,
    failed: result.stats.fail,
    ...(result.error ? { error: result.error } : {}),
  };
}

export class SuiteFolder {
  readonly dir: string;
  readonly info: SuiteInfo;

  /** Creates <root>/<suite id>/ (the UTC start time; `-shard-2of4` for a shard; `-2` ... when taken). */
  constructor(
    readonly root: string,
    o: { shard?: Shard | null; runtime?: string; label?: string; started?: Date; scenarios?: string[] } = {},
  ) {
    const started = o.started ?? new Date();
    const base =
      stamp(started) + (o.label ? `-${o.label}` : '') + (o.shard ? `-shard-${o.shard.index}of${o.shard.total}` : '');
    fs.mkdirSync(root, { recursive: true });
    let dir = path.join(root, base);
    for (let i = 2; ; i++) {
      try {
        fs.mkdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        dir = path.join(root, `${base}-${i}`);
      }
    }
    this.dir = dir;
    this.info = {
      suiteId: path.basename(dir),
      uid: crypto.randomUUID(),
      startedAt: started.toISOString(),
      status: 'running',
      owner: runOwner(),
      ...(o.scenarios ? { scenarios: o.scenarios } : {}),
      shard: o.shard ?? null,
      ...(o.runtime ? { runtime: o.runtime } : {}),
      runs: [],
      counts: countOutcomes([]),
      exitCode: exitCodeOfOutcomes([]),
    };
    this.save();
    linkLatest(root, dir);
  }

  add(result: RunResult): void {
    this.addRun(suiteRunOf(result, this.dir));
  }

  addRun(run: SuiteRun): void {
    this.info.runs.push(run);
    this.info.counts = countOutcomes(this.info.runs);
    this.info.exitCode = exitCodeOfOutcomes(this.info.runs.map((r) => r.outcome));
    this.save();
  }

  /** Writes the suite's reports; returns their paths. A run folder that cannot be read is left out of the JUnit
   *  file with a warning rather than losing the suite's reports. */
  finish(status: 'finished' | 'interrupted', warn: (msg: string) => void = () => undefined): SuiteFiles {
    this.info.status = status;
    this.info.finishedAt = new Date().toISOString();
    // Interrupted: undecided whatever ran. An empty shard: nothing to decide here, the other shards cover the suite.
    if (status === 'interrupted') this.info.exitCode = 2;
    else if (this.info.shard && this.info.runs.length === 0) this.info.exitCode = 0;
    this.save();
    return writeSuiteReports(this.dir, this.info, warn);
  }

  private save(): void {
    saveSuite(this.dir, this.info);
  }
}

function saveSuite(dir: string, info: SuiteInfo): void {
  const file = path.join(dir, SUITE_FILE);
  const tmp = `${file}.${process.pid}.tmp`; // per process: two readers settling one suite never share it
  fs.writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export interface SuiteFiles {
  dir: string;
  index: string;
  junit: string;
  summary: string;
}

export function writeSuiteReports(
  dir: string,
  info: SuiteInfo,
  warn: (msg: string) => void = () => undefined,
): SuiteFiles {
  const loaded = [];
  for (const r of info.runs) {
    const runDir = path.join(dir, r.dir);
    if (!isRunDir(runDir)) continue;
    try {
      loaded.push(loadRun(runDir));
    } catch (err) {
      warn(`${runDir}: left out of the suite's junit.xml: ${(err as Error).message}`);
    }
  }
  const files = {
    dir,
    index: path.join(dir, 'index.html'),
    junit: path.join(dir, 'junit.xml'),
    summary: path.join(dir, 'summary.md'),
  };
  fs.writeFileSync(files.junit, renderJunit(loaded));
  const present = (run: SuiteRun): string[] =>
    ['report.html', 'summary.md', 'results.json', 'junit.xml'].filter((f) => fs.existsSync(path.join(dir, run.dir, f)));
  fs.writeFileSync(files.index, renderSuiteIndex(info, present));
  fs.writeFileSync(files.summary, renderSuiteSummary(info));
  return files;
}

/** suite.json of a suite folder, settled (settleSuiteStatus); null when there is none. */
export function readSuite(dir: string): SuiteInfo | null {
  const file = path.join(dir, SUITE_FILE);
  if (!fs.existsSync(file)) return null;
  return settleSuiteStatus(dir, JSON.parse(fs.readFileSync(file, 'utf8')) as SuiteInfo);
}

/** The suite as it stands, marked killed (suite.json rewritten, its reports written) when it says running and its
 *  owner is gone. A suite without an owner (written before owners were recorded) is left as it is. */
export function settleSuiteStatus(dir: string, info: SuiteInfo): SuiteInfo {
  if (info?.status !== 'running' || info.owner === undefined || ownerAlive(info.owner)) return info;
  const runs = Array.isArray(info.runs) ? info.runs : [];
  const named = new Set(runs.map((r) => path.resolve(dir, String(r.dir))));
  const cut: { scenario: string; dir: string }[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const run = path.join(dir, e.name);
    if (!e.isDirectory() || named.has(run) || !fs.existsSync(path.join(run, 'run.json'))) continue;
    let scenario = e.name; // a run.json cut mid-write still names a run the kill cut
    try {
      const stored = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as RunInfo;
      if (typeof settleRunStatus(run, stored).scenario === 'string') scenario = stored.scenario;
    } catch {
      /* unreadable: named by its folder */
    }
    cut.push({ scenario, dir: e.name });
  }
  const started = new Set([...runs.map((r) => r.scenario), ...cut.map((c) => c.scenario)]);
  const notRun = (info.scenarios ?? []).filter((sc) => !started.has(sc));
  const killed: SuiteInfo = { ...info, runs, status: 'killed', killedNoticedAt: new Date().toISOString(), cut, notRun };
  killed.exitCode = 2; // as for an interrupted suite: what ran is no verdict on the whole
  try {
    saveSuite(dir, killed);
    writeSuiteReports(dir, killed);
  } catch {
    /* a read-only folder still reports the right status */
  }
  return killed;
}

/** <root>/latest → the suite (relative, so a copied or downloaded results folder keeps working; atomic: two suites
 *  starting at once never leave `latest` missing). */
export function linkLatest(root: string, dir: string): void {
  replaceLink(path.join(root, 'latest'), dir);
}

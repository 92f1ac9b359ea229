// The results store. A results folder (default ./w3lab-results in the current directory, or --out) holds one folder
// per suite run (harness/suite/): <results>/<suite id>/<scenario>/ with run.json written first, then history.jsonl
// and events.jsonl as the run goes, results.json and summary.md at the end; <results>/latest links the newest suite.
// `w3lab matrix` groups its runs the same way under its own folder (harness/results/matrix-folder.ts):
// <results>/matrix/<time>/<target>/<scenario>/, touching no `latest` of the results folder. A run started outside
// either (the runner's runScenario with a plain folder: `npm run sensitivity`, tests) gets
// <folder>/<scenario>/<UTC time>/ and <folder>/<scenario>/latest; it never moves <folder>/latest, which in a results
// folder is the newest suite's (what CI takes junit.xml and index.html from).
// A crash or Ctrl-C still leaves run.json and the partial history. Which runs a results folder holds: run-list.ts.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../../targets/w3/util/compiled-path';

/** Where results go by default: beside the user, never inside the installed package. */
export const DEFAULT_RESULTS_DIR = (): string => path.resolve('w3lab-results');

/** A folder holding this file is a suite folder: runs are written straight into it, one folder per scenario. */
export const SUITE_FILE = 'suite.json';

/** A folder holding this file is a matrix folder; each of its target folders (<matrix>/<target>/) takes runs the way
 *  a suite folder does. */
export const MATRIX_FILE = 'matrix.json';

/** The folder of a results folder that holds its matrices (<results>/matrix/<time>/). */
export const MATRICES_DIR = 'matrix';

/** The id a run folder directly inside `root` adds to its name to make a run id, when `root` groups runs: the suite
 *  id, or `<target>-matrix-<time>` for a matrix's target folder. Null for a plain folder. */
function groupIdOf(root: string): string | null {
  if (fs.existsSync(path.join(root, SUITE_FILE))) return path.basename(root);
  const matrix = path.dirname(root);
  if (fs.existsSync(path.join(matrix, MATRIX_FILE))) return `${path.basename(root)}-matrix-${path.basename(matrix)}`;
  return null;
}

export interface RunInfo {
  runId: string;
  scenario: string;
  target: string;
  runtime: string;
  seed: number;
  startedAt: string;
  /** killed: the lab process died mid-run (noticed by a later `list` or `report`, run-status.ts). */
  status: 'running' | 'finished' | 'interrupted' | 'error' | 'killed';
  versions: { node: string; w3lab: string; git: string | null };
  scenarioFile: string;
  scenarioConfig: unknown;
  [k: string]: unknown;
}

/** The commit of w3lab itself, when it runs from a git checkout (an installed package has none: null, not the
 *  commit of whatever repository it was installed into). */
export function gitSha(): string | null {
  const root = repoRoot();
  if (!fs.existsSync(path.join(root, '.git'))) return null;
  try {
    const stdio: ['ignore', 'pipe', 'ignore'] = ['ignore', 'pipe', 'ignore'];
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio }).trim();
  } catch {
    return null;
  }
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export class RunFolder {
  readonly dir: string;
  readonly runId: string;

  constructor(
    readonly root: string,
    readonly scenario: string,
    started = new Date(),
  ) {
    const group = groupIdOf(root);
    if (group !== null) {
      // Inside a suite or a matrix's target folder: <scenario>, or <scenario>-2 ... when the scenario runs again.
      const dir = freeFolder((i) => path.join(root, i === 1 ? scenario : `${scenario}-${i}`));
      this.dir = dir;
      this.runId = `${path.basename(dir)}-${group}`;
      return;
    }
    // Two runs in the same second (a scenario run twice quickly) get distinct folders.
    const dir = freeFolder((i) => path.join(root, scenario, i === 1 ? stamp(started) : `${stamp(started)}-${i}`));
    this.dir = dir;
    this.runId = `${scenario}-${path.basename(dir)}`;
    replaceLink(path.join(root, scenario, 'latest'), dir);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    const tmp = this.file(`.${name}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    fs.renameSync(tmp, this.file(name));
  }

  writeText(name: string, text: string): void {
    fs.writeFileSync(this.file(name), text);
  }
}

let links = 0;

/**
 * Points the link `at` at `to` (relatively, so a copied results folder keeps working), atomically: a new link is
 * made beside it and renamed over it, so a reader never finds `at` missing and two runs linking at once both
 * succeed, the last one winning (removing the old link first let a reader see none, and the slower of two writers
 * fail with EEXIST and keep the older target). A filesystem without symlinks still has the runs: no error.
 */
export function replaceLink(at: string, to: string): void {
  const tmp = path.join(path.dirname(at), `.${path.basename(at)}-${process.pid}-${++links}.tmp`);
  try {
    fs.symlinkSync(path.relative(path.dirname(at), to), tmp);
    fs.renameSync(tmp, at);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** Creates and returns the first candidate folder that does not exist yet (mkdir is the test: no race between two
 *  runs starting at once). */
export function freeFolder(candidate: (i: number) => string): string {
  for (let i = 1; ; i++) {
    const dir = candidate(i);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

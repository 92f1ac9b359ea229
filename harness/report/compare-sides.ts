// One side of `w3lab compare` (and the source of `w3lab baseline save`): a run folder, a results folder (the newest
// run of each scenario) or a saved baseline's name, resolved to scenario → run folder. A results folder's matrices
// are left out (their runs are of peer targets); a matrix named as such is taken, one target at a time.
import fs from 'node:fs';
import path from 'node:path';
import { isRunDir, RunFolderError } from './run-files';
import { MATRICES_DIR } from '../results/store';
import { isMatrixDir, matricesOf, matrixRunDirs } from '../results/matrix-folder';
import { matrixRunsOf } from '../results/run-list';

/** Saved baselines live beside the results folder, not in it: results are thrown away, baselines are committed. */
export const defaultBaselinesDir = (): string => path.resolve('w3lab-baselines');

/** The matrix folder `dir` is, or is inside (a target folder, a run), or null. Also true of <results>/matrix. */
function matrixContext(dir: string): string | null {
  const real = fs.realpathSync(dir);
  if (path.basename(real) === MATRICES_DIR && matricesOf(path.dirname(real)).length) return real;
  for (let d = real, i = 0; i < 3; d = path.dirname(d), i++) if (isMatrixDir(d)) return d;
  return null;
}

interface FoundRun {
  dir: string;
  scenario: string;
  target: string;
  startedAt: string;
}

/**
 * Run folders below `root` (not following into saved baselines unless asked for one), newest per scenario. A
 * results folder's matrices are left out: their runs are of peer targets, and "the newest run of worker-crash" must
 * not be nginx's. They are taken only when `root` is a matrix (or its target folder, or a run of it); a scenario
 * that ran there on several targets is then ambiguous, and the error says which target folder to name.
 */
function runsUnder(root: string): { runs: Map<string, string>; skipped: string[] } {
  const matrix = matrixContext(root);
  const skip = matrix ? new Map<string, string>() : matrixRunsOf(root);
  const skipped: string[] = [];
  const found: FoundRun[] = [];
  const seen = new Set<string>();
  const add = (dir: string, real: string): void => {
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as {
      scenario?: string;
      target?: string;
      startedAt?: string;
    };
    found.push({
      dir: real,
      scenario: String(info.scenario ?? path.basename(path.dirname(dir))),
      target: String(info.target ?? '?'),
      startedAt: String(info.startedAt ?? ''),
    });
  };
  const walk = (dir: string, depth: number): void => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    if (!matrix && depth > 0 && isMatrixDir(real)) return;
    if (isRunDir(dir)) {
      if (skip.has(real)) skipped.push(real);
      else add(dir, real);
      return;
    }
    if (depth >= 3) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'baselines' || e.name.startsWith('.')) continue;
      const sub = path.join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && fs.existsSync(sub) && fs.statSync(sub).isDirectory()))
        walk(sub, depth + 1);
    }
  };
  walk(root, 0);
  // A matrix written before matrices kept their runs inside names them in matrix.json instead.
  if (matrix && isMatrixDir(fs.realpathSync(root)))
    for (const d of matrixRunDirs(root)) if (isRunDir(d) && !seen.has(fs.realpathSync(d))) add(d, fs.realpathSync(d));
  if (!matrix) skipped.push(...[...skip.keys()].filter((d) => !seen.has(d) && isRunDir(d)));
  if (matrix) refuseSeveralTargets(root, found);
  const newest = new Map<string, FoundRun>();
  for (const f of found) {
    const prev = newest.get(f.scenario);
    if (!prev || f.startedAt > prev.startedAt) newest.set(f.scenario, f);
  }
  return { runs: new Map([...newest].map(([k, v]) => [k, v.dir])), skipped };
}

function refuseSeveralTargets(root: string, found: FoundRun[]): void {
  const targets = new Map<string, Set<string>>();
  for (const f of found) targets.set(f.scenario, (targets.get(f.scenario) ?? new Set()).add(f.target));
  const several = [...targets].filter(([, t]) => t.size > 1);
  if (several.length === 0) return;
  const [scenario, ts] = several[0]!;
  const names = [...ts].sort();
  throw new RunFolderError(
    `${root}: ${scenario} ran on ${names.join(', ')} in this matrix: name one target's folder ` +
      `(e.g. ${path.join(root, names.includes('w3') ? 'w3' : names[0]!)}) or one run folder`,
  );
}

/** Scenario → run folder for one side of the comparison. */
export function resolveSide(arg: string, baselinesDir = defaultBaselinesDir()): Map<string, string> {
  const candidates = [path.resolve(arg), path.join(baselinesDir, arg)];
  const dir = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isDirectory());
  if (!dir)
    throw new RunFolderError(
      `${arg}: no such run folder, results folder or baseline (looked in ${candidates.join(', ')})`,
    );
  const { runs, skipped } = runsUnder(dir);
  if (runs.size === 0 && skipped.length > 0) {
    // Where they can be taken from: a target folder of a matrix (or, in the older layout, the run folder itself).
    const first = skipped.sort()[0]!;
    const example = isMatrixDir(path.dirname(path.dirname(first))) ? path.dirname(first) : first;
    throw new RunFolderError(
      `${arg}: the only runs in ${dir} are w3lab matrix runs (${skipped.length}), taken only when named: ` +
        `a matrix's target folder (e.g. ${example}) or a run folder`,
    );
  }
  if (runs.size === 0) throw new RunFolderError(`${arg}: no runs (run.json) found in ${dir}`);
  return runs;
}

// Which runs a results folder holds, for `w3lab list`, `baseline save` and `compare`. Three layouts live side by
// side: suites (<results>/<suite>/<scenario>/), matrices (<results>/matrix/<time>/<target>/<scenario>/) and the
// per-scenario layout of older versions (<results>/<scenario>/<time>/), which older matrices wrote too, naming those
// runs in their matrix.json. A matrix's run is marked with its matrix folder: a matrix runs the peers, so its runs
// are no candidates for "the newest run" of a results folder.
import fs from 'node:fs';
import path from 'node:path';
import { settleRunStatus } from './run-status';
import { MATRICES_DIR, type RunInfo } from './store';
import { matricesOf, matrixRunDirs } from './matrix-folder';
import { readSuite } from '../suite/suite-folder';

export interface ListedRun {
  dir: string;
  info: Partial<RunInfo>;
  verdict?: unknown;
  /** The matrix folder this run belongs to (`w3lab matrix`), absent for a suite's or a lone run. */
  matrix?: string;
}

/** Folders of a results folder that hold no scenario's runs. */
const NOT_SCENARIOS = new Set(['latest', 'bench', 'baselines', MATRICES_DIR]);
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

const realOrSelf = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** Every run of every matrix of a results folder (real path → its matrix folder), in either layout. */
export function matrixRunsOf(results: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of matricesOf(results)) {
    for (const dir of matrixRunDirs(m)) out.set(realOrSelf(dir), m);
    // Runs matrix.json does not name yet (the matrix was killed before it saved them) are still the matrix's.
    for (const target of subdirs(m)) for (const run of subdirs(target)) out.set(realOrSelf(run), m);
  }
  return out;
}

const subdirs = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => path.join(dir, e.name));

function listed(dir: string, matrix: string | undefined): ListedRun {
  try {
    const info = settleRunStatus(dir, readJson(path.join(dir, 'run.json')) as Partial<RunInfo>);
    const resultsFile = path.join(dir, 'results.json');
    const verdict = fs.existsSync(resultsFile) ? (readJson(resultsFile) as { valid?: unknown }).valid : undefined;
    return { dir, info, verdict, ...(matrix ? { matrix } : {}) };
  } catch {
    return { dir, info: {}, ...(matrix ? { matrix } : {}) };
  }
}

/** A suite folder's suite.json read once, which settles a suite whose `w3lab run` was killed (suite-folder.ts). */
function settledSuite(dir: string): void {
  try {
    readSuite(dir);
  } catch {
    /* a suite.json that does not parse is merge's to report; its runs are still listed */
  }
}

/** Past runs, newest first: <results>/<X>/<Y>/run.json (a suite's runs, or older per-scenario runs) and every
 *  matrix's runs, each marked with its matrix. */
export function listRuns(root: string): ListedRun[] {
  if (!fs.existsSync(root)) return [];
  const inMatrix = matrixRunsOf(root);
  const out: ListedRun[] = [];
  for (const x of fs.readdirSync(root)) {
    const xdir = path.join(root, x);
    // Hidden names: a link being replaced (store.ts replaceLink) is not a second copy of a suite.
    if (NOT_SCENARIOS.has(x) || x.startsWith('.') || !fs.statSync(xdir).isDirectory()) continue;
    settledSuite(xdir);
    for (const y of fs.readdirSync(xdir)) {
      const dir = path.join(xdir, y);
      if (y === 'latest' || !fs.existsSync(path.join(dir, 'run.json'))) continue;
      out.push(listed(dir, inMatrix.get(realOrSelf(dir))));
    }
  }
  const seen = new Set(out.map((r) => realOrSelf(r.dir)));
  for (const [dir, matrix] of inMatrix) {
    if (!seen.has(dir) && fs.existsSync(path.join(dir, 'run.json'))) out.push(listed(dir, matrix));
  }
  return out.sort((a, b) => String(b.info.startedAt ?? '').localeCompare(String(a.info.startedAt ?? '')));
}

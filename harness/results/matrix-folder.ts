// A matrix folder: <results>/matrix/<UTC time>/ holds one `w3lab matrix` — matrix.json (written when the matrix
// starts and after every run, so an interrupted matrix still says what it did), matrix.md, matrix.html, lab.log and
// its runs, one folder per target: <matrix>/<target>/<scenario>/ (<scenario>-2 ... with --repeat). Cells name their
// runs relative to the matrix folder, so a copied folder keeps its links. <results>/matrix/latest links the newest
// matrix; <results>/latest is left to suites, so a matrix of peers never becomes what `latest`, `baseline save` or
// `compare` take from a results folder (run-list.ts). Matrices written before this layout put their runs in
// <results>/<scenario>/<time>/ and named them by absolute path: matrixRunDirs reads both.
import fs from 'node:fs';
import path from 'node:path';
import { freeFolder, MATRICES_DIR, MATRIX_FILE, replaceLink } from './store';
import { writeMatrix, type Matrix } from './matrix';
import { settleMatrixStatus } from './matrix-status';

export const isMatrixDir = (dir: string): boolean => fs.existsSync(path.join(dir, MATRIX_FILE));

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export class MatrixFolder {
  readonly dir: string;

  /** Creates <results>/matrix/<time>/ (`-2` ... when taken) with a first matrix.json, and links matrix/latest. */
  constructor(
    readonly results: string,
    first: Matrix,
  ) {
    const at = stamp(new Date(first.startedAt));
    this.dir = freeFolder((i) => path.join(results, MATRICES_DIR, i === 1 ? at : `${at}-${i}`));
    this.save(first);
    replaceLink(path.join(results, MATRICES_DIR, 'latest'), this.dir);
  }

  /** Where runScenario writes this target's runs: the folder exists before the first run, under a matrix.json. */
  targetDir(target: string): string {
    const dir = path.join(this.dir, target);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** matrix.json, matrix.md and matrix.html as they stand (each written whole; a reader never sees half a file). */
  save(m: Matrix): void {
    const rel = {
      ...m,
      cells: m.cells.map((c) => ({ ...c, runs: c.runs.map((r) => ({ ...r, dir: this.rel(r.dir) })) })),
    };
    writeMatrix(rel, this.dir);
  }

  private rel(dir: string): string {
    return path.isAbsolute(dir) ? path.relative(this.dir, dir) || '.' : dir;
  }
}

/** matrix.json of a matrix folder, settled (a running matrix whose process is gone is marked killed:
 *  matrix-status.ts); null when it cannot be read. */
export function readMatrix(dir: string): Matrix | null {
  let m: unknown;
  try {
    m = JSON.parse(fs.readFileSync(path.join(dir, MATRIX_FILE), 'utf8'));
  } catch {
    return null;
  }
  const shaped = shapedMatrix(m);
  return shaped ? settleMatrixStatus(dir, shaped) : null;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const strings = (x: unknown): string[] | undefined =>
  Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : undefined;

/** A matrix.json edited or damaged by hand: not an object is no matrix; lists that are not lists are read as
 *  absent (scenarios, targets) or empty (cells, a cell's runs), so no reader trips over them. */
function shapedMatrix(m: unknown): Matrix | null {
  if (!isObject(m)) return null;
  const cells = (Array.isArray(m['cells']) ? m['cells'] : []).filter(isObject).map((c) => ({
    ...c,
    runs: (Array.isArray(c['runs']) ? c['runs'] : []).filter(isObject),
  }));
  const { scenarios, targets, ...rest } = m;
  return {
    ...rest,
    ...(strings(scenarios) ? { scenarios: strings(scenarios) } : {}),
    ...(strings(targets) ? { targets: strings(targets) } : {}),
    cells,
  } as unknown as Matrix;
}

/** The matrix folder a run folder of the current layout sits in (<matrix>/<target>/<run>), or null. */
export function matrixOfRun(runDir: string): string | null {
  const matrix = path.dirname(path.dirname(path.resolve(runDir)));
  return isMatrixDir(matrix) ? matrix : null;
}

/** The run folders a matrix's matrix.json names, absolute (relative ones are relative to the matrix folder). */
export function matrixRunDirs(matrixDir: string): string[] {
  const m = readMatrix(matrixDir);
  const cells = Array.isArray(m?.cells) ? m.cells : [];
  return cells.flatMap((c) => (Array.isArray(c.runs) ? c.runs : []).map((r) => path.resolve(matrixDir, String(r.dir))));
}

/** The matrix folders of a results folder (not through the `latest` link), oldest first. */
export function matricesOf(results: string): string[] {
  const dir = path.join(results, MATRICES_DIR);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isMatrixDir(path.join(dir, e.name)))
    .map((e) => path.join(dir, e.name))
    .sort();
}

// The status of a matrix folder whose lab process is gone, as run-status.ts does for a run. matrix.json says
// "running" from the start and is rewritten after every run and at the end; a `w3lab matrix` that was SIGKILLed
// never rewrites it. The next reader (list, report, compare, baseline: everything reads matrix.json through
// readMatrix) that finds it running with its owner gone marks it killed, once, and records what the kill left: the
// runs it had finished stay in `cells`, the run it cut short (a run folder of a target that matrix.json does not
// name) goes to `cut` (its run.json settled killed too), and the cells that never got their runs to `notRun`.
import fs from 'node:fs';
import path from 'node:path';
import { writeMatrix, type Matrix, type MatrixCutRun, type MatrixNotRun } from './matrix';
import { ownerAlive, settleRunStatus } from './run-status';

const readJson = (file: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
};

/** Run folders of the matrix's target folders that matrix.json does not name: started, never recorded as done. */
function cutRuns(m: Matrix, dir: string): MatrixCutRun[] {
  const named = new Set(m.cells.flatMap((c) => c.runs.map((r) => path.resolve(dir, r.dir))));
  const out: MatrixCutRun[] = [];
  for (const target of m.targets) {
    const tdir = path.join(dir, target);
    if (!fs.existsSync(tdir)) continue;
    for (const name of fs.readdirSync(tdir).sort()) {
      const run = path.join(tdir, name);
      const info = readJson(path.join(run, 'run.json'));
      if (named.has(run) || info === null) continue;
      settleRunStatus(run, info);
      const scenario = typeof info['scenario'] === 'string' ? info['scenario'] : name;
      out.push({ scenario, target, dir: path.relative(dir, run) });
    }
  }
  return out;
}

/** The cells short of their planned runs (scenarios × targets × repeat), counting a cut run as started. */
export function notRunOf(m: Matrix, cut: readonly MatrixCutRun[] = []): MatrixNotRun[] {
  const out: MatrixNotRun[] = [];
  for (const scenario of m.scenarios) {
    for (const target of m.targets) {
      const ran = m.cells.find((c) => c.scenario === scenario && c.target === target)?.runs.length ?? 0;
      const started = ran + cut.filter((c) => c.scenario === scenario && c.target === target).length;
      const missing = (m.repeat ?? 1) - started;
      if (missing > 0) out.push({ scenario, target, runs: missing });
    }
  }
  return out;
}

/** matrix.json of `dir` as it stands, marked killed (and rewritten, with matrix.md and matrix.html) when it says
 *  running and its owner is gone. One without an owner (written before owners were recorded) is left as it is. */
export function settleMatrixStatus(dir: string, m: Matrix): Matrix {
  if (m.status !== 'running' || m.owner === undefined || ownerAlive(m.owner)) return m;
  const cells = Array.isArray(m.cells) ? m.cells : [];
  const shaped = { ...m, cells, scenarios: m.scenarios ?? [], targets: m.targets ?? [] };
  const cut = cutRuns(shaped, dir);
  const settled: Matrix = {
    ...shaped,
    status: 'killed',
    killedNoticedAt: new Date().toISOString(),
    cut,
    notRun: notRunOf(shaped, cut),
  };
  try {
    writeMatrix(settled, dir);
  } catch {
    /* a read-only folder still reports the right status */
  }
  return settled;
}

// Where `w3lab matrix` puts its runs, and what the other commands make of them. The matrix here is real (the CLI's
// matrixCommand) but instant: idle-demand-start needs idle shutdown and demand start, which no peer has, so every
// cell is "not supported" and gets its run folder without starting anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cleanLeftovers } from './clean';
import { matrixCommand } from './matrix-command';
import { saveBaseline } from '../report/baseline';
import { compare } from '../report/compare';
import { rerunReport } from '../report/report-command';
import { RunFolder } from '../results/store';
import { listRuns } from '../results/run-list';
import { runOwner } from '../results/run-status';
import type { Matrix } from '../results/matrix';
import { runScenario } from '../runner/run-scenario';
import { loadScenario, resolveScenarioFiles } from '../scenarios/load-scenario';
import { SuiteFolder } from '../suite/suite-folder';
import { findSuites } from '../suite/merge';
import { createLogger } from '../../targets/w3/util/logger';
import { repoRoot } from '../../targets/w3/util/compiled-path';

const SCENARIO = 'idle-demand-start';
let root: string;
let quiet: jest.SpyInstance[];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-matrix-layout-'));
  quiet = [jest.spyOn(process.stdout, 'write'), jest.spyOn(process.stderr, 'write')].map((s) =>
    s.mockImplementation(() => true),
  );
});
afterEach(() => {
  quiet.forEach((s) => s.mockRestore());
  fs.rmSync(root, { recursive: true, force: true });
});

const readJson = <T>(...p: string[]): T => JSON.parse(fs.readFileSync(path.join(...p), 'utf8')) as T;
const matrixDirs = (out: string): string[] =>
  fs
    .readdirSync(path.join(out, 'matrix'))
    .filter((d) => d !== 'latest')
    .sort()
    .map((d) => path.join(out, 'matrix', d));

/** A passing w3 run of SCENARIO in a suite of `out`, started a minute ago (as `w3lab run` would leave it). */
function w3Suite(out: string): string {
  const suite = new SuiteFolder(out, { started: new Date(Date.now() - 60_000) });
  const run = new RunFolder(suite.dir, SCENARIO);
  const startedAt = new Date(Date.now() - 60_000).toISOString();
  run.writeJson('run.json', { runId: run.runId, scenario: SCENARIO, target: 'w3', runtime: 'process', startedAt });
  run.writeJson('results.json', { valid: true, summary: 'all checks passed', checks: [] });
  return run.dir;
}

test('baseline save after a matrix takes the w3 suite run, not the newer run of a peer target', async () => {
  const out = path.join(root, 'w3lab-results');
  const w3Run = w3Suite(out);
  expect(await matrixCommand([SCENARIO], { targets: 'nginx,pm2', out })).toBe(3);
  // Forced, the pre-fix code took the newest run whatever its target: a "w3" baseline of PM2.
  const forced = saveBaseline('forced', out, path.join(root, 'baselines'), { force: true });
  expect(forced.scenarios).toEqual([{ scenario: SCENARIO, from: fs.realpathSync(w3Run) }]);
  const saved = saveBaseline('nightly', out, path.join(root, 'baselines'));
  expect(saved.scenarios).toEqual([{ scenario: SCENARIO, from: fs.realpathSync(w3Run) }]);
  const kept = JSON.parse(fs.readFileSync(path.join(saved.dir, SCENARIO, 'run.json'), 'utf8')) as { target: string };
  expect(kept.target).toBe('w3');
});

test('a matrix keeps its runs, files and log in <out>/matrix/<time>/; <out>/latest stays the suite', async () => {
  const out = path.join(root, 'w3lab-results');
  w3Suite(out);
  const suiteLatest = fs.readlinkSync(path.join(out, 'latest'));
  expect(await matrixCommand([SCENARIO], { targets: 'nginx,pm2', repeat: '2', out })).toBe(3);
  expect(await matrixCommand([SCENARIO], { targets: 'haproxy', out })).toBe(3);
  expect(fs.readlinkSync(path.join(out, 'latest'))).toBe(suiteLatest);
  const [first, second] = matrixDirs(out);
  expect(fs.realpathSync(path.join(out, 'matrix', 'latest'))).toBe(fs.realpathSync(second!));
  // Nothing of the matrix outside its folder: the results folder holds the suite, `latest` and `matrix` only.
  expect(fs.readdirSync(out).sort()).toEqual([path.basename(suiteLatest), 'latest', 'matrix']);
  expect(fs.readdirSync(first!).sort()).toEqual(['lab.log', 'matrix.html', 'matrix.json', 'matrix.md', 'nginx', 'pm2']);
  const m = readJson<Matrix>(first!, 'matrix.json');
  expect(m.status).toBe('finished');
  expect(m.cells.map((c) => [c.target, c.runs.map((r) => r.dir)])).toEqual([
    ['nginx', ['nginx/idle-demand-start', 'nginx/idle-demand-start-2']],
    ['pm2', ['pm2/idle-demand-start', 'pm2/idle-demand-start-2']],
  ]);
  // `w3lab merge` joins suites: the matrices beside the suite are passed by.
  expect(findSuites([out]).map((f) => f.dir)).toEqual([path.join(out, path.basename(suiteLatest))]);
  const info = readJson<{ runId: string; target: string }>(first!, 'pm2', 'idle-demand-start-2', 'run.json');
  expect(info).toMatchObject({ target: 'pm2', runId: `idle-demand-start-2-pm2-matrix-${path.basename(first!)}` });
});

test('baseline save and compare take a matrix run only from the matrix named, one target at a time', async () => {
  const out = path.join(root, 'w3lab-results');
  const baselines = path.join(root, 'baselines');
  expect(await matrixCommand([SCENARIO], { targets: 'nginx,pm2', out })).toBe(3);
  const [matrix] = matrixDirs(out);
  // Only matrix runs in the results folder: refused, saying where a matrix's runs can be taken from.
  expect(() => saveBaseline('b', out, baselines, { force: true })).toThrow(
    `are w3lab matrix runs (2), taken only when named: a matrix's target folder (e.g. ${matrix}/nginx)`,
  );
  // The matrix itself: ambiguous, the error names a target folder to take.
  expect(() => saveBaseline('b', matrix, baselines, { force: true })).toThrow(
    /idle-demand-start ran on nginx, pm2 in this matrix: name one target's folder/,
  );
  const saved = saveBaseline('b', path.join(out, 'matrix', 'latest', 'pm2'), baselines, { force: true });
  expect(saved.scenarios).toEqual([{ scenario: SCENARIO, from: fs.realpathSync(path.join(matrix!, 'pm2', SCENARIO)) }]);
  // A suite run in the results folder is compared with the baseline; the matrix beside it is not a candidate.
  const w3Run = w3Suite(out);
  const report = compare('b', out, { baselinesDir: baselines });
  expect(report.scenarios.map((c) => [c.baseline.target, c.run.dir])).toEqual([['pm2', fs.realpathSync(w3Run)]]);
  expect(report.warnings.join('\n')).toMatch(/baseline ran against pm2 and the run against w3/);
});

/** The older layout: runScenario (and `w3lab matrix`) wrote <out>/<scenario>/<time>/ and the matrix named its runs
 *  by absolute path in <out>/matrix/<time>/matrix.json. */
async function olderResults(out: string): Promise<{ lone: string; peer: string; matrix: string }> {
  const [file] = resolveScenarioFiles([SCENARIO]);
  const scenario = loadScenario(file!);
  const log = createLogger({ level: 'silent', name: 'test' });
  const plain = { scenario, scenarioFile: file!, runtime: 'process' as const, outDir: out, log };
  const lone = await runScenario({ ...plain, target: 'gunicorn' });
  const peer = await runScenario({ ...plain, target: 'nginx' });
  const matrix = path.join(out, 'matrix', '2026-11-30T160440Z');
  fs.mkdirSync(matrix, { recursive: true });
  const cell = { scenario: SCENARIO, target: 'nginx', runs: [{ outcome: 'not-supported', dir: peer.dir }] };
  fs.writeFileSync(
    path.join(matrix, 'matrix.json'),
    JSON.stringify({ startedAt: '2026-11-30T16:04:40Z', cells: [cell] }),
  );
  return { lone: lone.dir, peer: peer.dir, matrix };
}

test('an older-layout results folder still lists and reports; its matrix runs stay out of baselines', async () => {
  const out = path.join(root, 'old-results');
  const old = await olderResults(out);
  const runs = listRuns(out);
  expect(runs.map((r) => [r.dir, r.matrix])).toEqual([
    [old.peer, old.matrix],
    [old.lone, undefined],
  ]);
  expect(rerunReport(old.lone).files.length).toBeGreaterThan(0);
  const baselines = path.join(root, 'baselines');
  const fromResults = saveBaseline('r', out, baselines, { force: true });
  expect(fromResults.scenarios).toEqual([{ scenario: SCENARIO, from: fs.realpathSync(old.lone) }]);
  const fromMatrix = saveBaseline('m', old.matrix, baselines, { force: true });
  expect(fromMatrix.scenarios).toEqual([{ scenario: SCENARIO, from: fs.realpathSync(old.peer) }]);
});

test("w3lab list shows the suites' runs and one line per matrix, older layout included", async () => {
  const out = path.join(root, 'w3lab-results');
  const old = await olderResults(out);
  w3Suite(out);
  expect(await matrixCommand([SCENARIO], { targets: 'nginx,pm2', out })).toBe(3);
  // Two matrices still "running": one whose process is this test, one whose process is gone (it was SIGKILLed).
  const gone = spawnSync(process.execPath, ['-e', '0']).pid;
  const owners = { '2026-11-30T170000Z': runOwner(), '2026-11-30T170100Z': { ...runOwner(), pid: gone } };
  for (const [at, owner] of Object.entries(owners)) {
    const m = { status: 'running', owner, startedAt: at, scenarios: [SCENARIO], targets: ['w3'], cells: [] };
    fs.mkdirSync(path.join(out, 'matrix', at));
    fs.writeFileSync(path.join(out, 'matrix', at, 'matrix.json'), JSON.stringify(m));
  }
  const bin = path.join(repoRoot(), 'bin', 'w3lab.js');
  const r = spawnSync(process.execPath, [bin, 'list', '--out', out], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  const recent = r.stdout.slice(r.stdout.indexOf('Recent runs:'), r.stdout.indexOf('Recent matrices'));
  expect(
    recent
      .split('\n')
      .filter((l) => l.includes(SCENARIO))
      .map((l) => l.split(/\s+/)[3]),
  ).toEqual(['gunicorn', 'w3']); // newest first: the w3 run started a minute ago
  expect(recent).not.toContain(old.peer);
  const matrices = r.stdout.slice(r.stdout.indexOf('Recent matrices')).split('\n').slice(1).filter(Boolean);
  expect(matrices).toEqual([
    expect.stringMatching(/finished +1 scenario\(s\) × nginx,pm2: 2 run\(s\) \(2 not-supported\) .*matrix\//),
    expect.stringMatching(/^ {2}2026-11-30T170100Z +killed +1 scenario\(s\) × w3: 0 run\(s\) /),
    expect.stringMatching(/^ {2}2026-11-30T170000Z +running +1 scenario\(s\) × w3: 0 run\(s\) /),
    expect.stringMatching(/2026-11-30T16:04:40Z .*1 run\(s\) \(1 not-supported\) .*2026-11-30T160440Z$/),
  ]);
});

test('w3lab clean takes a killed matrix run from its results or matrix folder, not from another matrix', async () => {
  // A fake /proc: one process left by a killed matrix's nginx run (nothing real is killed here).
  const out = path.join(root, 'w3lab-results');
  const matrix = path.join(out, 'matrix', '2026-11-30T160440Z');
  const proc = path.join(root, 'proc', '4242');
  fs.mkdirSync(proc, { recursive: true });
  fs.writeFileSync(path.join(proc, 'cmdline'), 'nginx\0-g\0daemon off;\0');
  const env = [
    `W3LAB_RUN_ID=worker-crash-nginx-matrix-x`,
    `W3LAB_RUN_DIR=${matrix}/nginx/worker-crash`,
    'W3LAB_OWNER=x',
  ];
  fs.writeFileSync(path.join(proc, 'environ'), env.join('\0') + '\0');
  const killedIn = async (dir: string): Promise<number[]> => {
    const killed: number[] = [];
    const procRoot = path.dirname(proc);
    const deps = {
      procRoot,
      uid: fs.statSync(proc).uid,
      ownerState: () => 'gone' as const,
      kill: (p: number) => killed.push(p),
    };
    await cleanLeftovers({ scope: { dir } }, { ...deps, listContainers: async () => [] });
    return killed;
  };
  expect(await killedIn(out)).toEqual([4242]);
  expect(await killedIn(matrix)).toEqual([4242]);
  expect(await killedIn(path.join(out, 'matrix', '2026-11-30T170000Z'))).toEqual([]);
});

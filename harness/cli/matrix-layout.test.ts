// Where `w3lab matrix` puts its runs, and what the other commands make of them. The matrix here is real (the CLI's
// matrixCommand) but instant: idle-demand-start needs idle shutdown and demand start, which no peer has, so every
// cell is "not supported" and gets its run folder without starting anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { matrixCommand } from './matrix-command';
import { saveBaseline } from '../report/baseline';
import { RunFolder } from '../results/store';
import { SuiteFolder } from '../suite/suite-folder';

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

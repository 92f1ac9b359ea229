// The `latest` links of a results folder. <out>/latest is the newest suite's — what CI takes junit.xml and
// index.html from — so a lone run of the runner (runScenario with a plain folder, as `npm run sensitivity` does)
// links only <out>/<scenario>/latest and never moves it to a run folder. And a link is replaced atomically: with
// two processes replacing it at once (two runs, two matrices into one --out), a reader never finds it missing and
// no writer fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../targets/w3/util/logger';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { runScenario } from '../runner/run-scenario';
import { loadScenario, resolveScenarioFiles } from '../scenarios/load-scenario';
import { SuiteFolder } from '../suite/suite-folder';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-latest-link-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test("a lone run into a results folder links <out>/<scenario>/latest and leaves the suite's latest", async () => {
  const out = path.join(root, 'w3lab results');
  const suite = new SuiteFolder(out);
  const [file] = resolveScenarioFiles(['idle-demand-start']);
  const log = createLogger({ level: 'silent', name: 'test' });
  // nginx lacks idle shutdown: a not-supported run, its folder written without starting anything.
  const r = await runScenario({
    scenario: loadScenario(file!),
    scenarioFile: file!,
    target: 'nginx',
    outDir: out,
    log,
  });
  expect(path.dirname(path.dirname(r.dir))).toBe(out);
  expect(fs.realpathSync(path.join(out, 'latest'))).toBe(fs.realpathSync(suite.dir));
  expect(fs.realpathSync(path.join(out, 'idle-demand-start', 'latest'))).toBe(fs.realpathSync(r.dir));
  expect(fs.readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
});

/** Replaces <dir>/latest `n` times, reading it after each; prints how often it was missing and failed. */
const CHILD = `
const { replaceLink } = require(${JSON.stringify(path.join(repoRoot(), 'dist', 'harness', 'results', 'store.js'))});
const fs = require('node:fs');
const path = require('node:path');
const [dir, to, n] = process.argv.slice(1);
const at = path.join(dir, 'latest');
let missing = 0;
for (let i = 0; i < Number(n); i++) {
  replaceLink(at, path.join(dir, to));
  try { fs.readlinkSync(at); } catch { missing++; }
}
process.stdout.write(JSON.stringify({ missing }));
`;

function child(dir: string, to: string): Promise<{ missing: number }> {
  const p = spawn(process.execPath, ['-e', CHILD, dir, to, '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  p.stdout.on('data', (d: Buffer) => (text += d.toString()));
  return new Promise((resolve, reject) =>
    p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`child exited ${code}`)))),
  );
}

test('two processes replacing one link at once: it is never missing, and it ends at one of their targets', async () => {
  const dir = path.join(root, 'race');
  for (const d of ['a', 'b']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const seen = await Promise.all([child(dir, 'a'), child(dir, 'b')]);
  expect(seen).toEqual([{ missing: 0 }, { missing: 0 }]);
  expect(['a', 'b']).toContain(fs.readlinkSync(path.join(dir, 'latest')));
  expect(fs.readdirSync(dir).sort()).toEqual(['a', 'b', 'latest']); // no temporary link left behind
}, 120_000);

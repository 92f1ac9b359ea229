// A user trying to break the results layout from the command line: --out naming a file, `report` given a folder
// that is no run folder, `list` on a missing or odd folder, a matrix naming a target or scenario twice or a target
// list with no target, a matrix.json damaged by hand — each a clear error (exit 254, nothing started, nothing
// written) or a plain answer, never an internal error (255). And runs started at once into one --out (a path with
// a space) each get their suite, all finish, `list` shows every one and `latest` is one of them.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-results-misuse-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
}
const result = (r: ReturnType<typeof cli>) => ({ status: r.status, stderr: r.stderr.trim() });

/** nginx lacks idle shutdown: idle-demand-start against it is "not supported", written without starting anything. */
const NOT_SUPPORTED = ['idle-demand-start', '--target', 'nginx'];

test('--out naming a file: run, matrix and list exit 254 saying so, and write nothing', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  for (const args of [
    ['run', ...NOT_SUPPORTED, '--out', file],
    ['run', ...NOT_SUPPORTED, '--out', path.join(file, 'sub')],
    ['matrix', 'idle-demand-start', '--targets', 'nginx', '--out', file],
    ['list', '--out', file],
  ]) {
    const r = cli(args);
    expect({ args, ...result(r) }).toEqual({
      args,
      status: 254,
      stderr: expect.stringMatching(/^w3lab: --out .*a-file.*: .*a-file is a file, not a folder$/),
    });
  }
  expect(fs.readFileSync(file, 'utf8')).toBe('x');
});

test('report on what is no run folder names what it is; list on a missing or empty folder says no runs', () => {
  const results = path.join(dir, 'results');
  expect(cli(['run', ...NOT_SUPPORTED, '--out', results]).status).toBe(3);
  const suite = fs.realpathSync(path.join(results, 'latest'));
  const hint = `not a run folder: name one of its runs, e.g. ${suite}/idle-demand-start`;
  expect(result(cli(['report', results]))).toEqual({
    status: 254,
    stderr: `w3lab: ${results}: a results folder, ${hint}`,
  });
  expect(result(cli(['report', suite]))).toEqual({ status: 254, stderr: `w3lab: ${suite}: a suite folder, ${hint}` });
  const file = path.join(dir, 'report-file');
  fs.writeFileSync(file, '');
  expect(result(cli(['report', file]))).toEqual({ status: 254, stderr: `w3lab: ${file}: not a folder` });
  fs.mkdirSync(path.join(dir, 'empty'));
  for (const out of [path.join(dir, 'missing'), path.join(dir, 'empty')]) {
    const r = cli(['list', '--out', out]);
    expect({ status: r.status, tail: r.stdout.trim().split('\n').pop() }).toEqual({ status: 0, tail: 'No runs yet.' });
  }
  expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
});

test('a matrix with an unknown or repeated target or scenario, or no target, exits 254 before anything starts', () => {
  const out = path.join(dir, 'matrix-usage');
  const cases: [string[], RegExp][] = [
    [['idle-demand-start', '--targets', 'w3,lighttpd'], /--targets: unknown target\(s\) lighttpd; known: w3, /],
    [['idle-demand-start', '--targets', ' , '], /--targets: no target given; known: w3, /],
    [['idle-demand-start', '--targets', 'nginx,pm2,nginx'], /--targets: nginx named twice/],
    [['idle-demand-start', 'idle-demand-start', '--targets', 'nginx'], /idle-demand-start named twice.*--repeat/],
    [['no-such-scenario', '--targets', 'nginx'], /no scenario "no-such-scenario"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(['matrix', ...args, '--out', out]);
    expect({ args, ...result(r) }).toEqual({ args, status: 254, stderr: expect.stringMatching(message) });
  }
  expect(fs.existsSync(out)).toBe(false);
});

test('a matrix.json damaged by hand: list still answers, naming the matrix it cannot read', () => {
  const out = path.join(dir, 'damaged');
  const damaged: [string, string][] = [
    ['2026-12-01T000000Z', '{"cells": 5, "scenarios": "x", "targets": 3, "status": "finished"}'],
    ['2026-12-01T000100Z', '[1, 2]'],
    ['2026-12-01T000200Z', '{"cells": [null, {"runs": 7}], "targets": ["w3"]}'],
  ];
  for (const [at, text] of damaged) {
    fs.mkdirSync(path.join(out, 'matrix', at), { recursive: true });
    fs.writeFileSync(path.join(out, 'matrix', at, 'matrix.json'), text);
  }
  const r = cli(['list', '--out', out]);
  expect(result(r)).toEqual({ status: 0, stderr: '' });
  const lines = r.stdout.slice(r.stdout.indexOf('Recent matrices')).split('\n').slice(1).filter(Boolean);
  expect(lines).toEqual([
    expect.stringMatching(/finished +\? scenario\(s\) × w3: 0 run\(s\) .*000200Z$/),
    expect.stringMatching(/000100Z \(matrix.json unreadable\)$/),
    expect.stringMatching(/finished +\? scenario\(s\) × \?: 0 run\(s\) .*000000Z$/),
  ]);
});

test('four runs at once into one --out: four suites, all finished, all listed, latest one of them', async () => {
  const out = path.join(dir, 'parallel results');
  const runs = [1, 2, 3, 4].map(
    () =>
      new Promise<number | null>((resolve) =>
        spawn(process.execPath, [BIN, 'run', ...NOT_SUPPORTED, '--out', out], { stdio: 'ignore' }).once(
          'exit',
          resolve,
        ),
      ),
  );
  expect(await Promise.all(runs)).toEqual([3, 3, 3, 3]); // 3: not supported, each run complete
  const suites = fs.readdirSync(out).filter((n) => n !== 'latest');
  expect(suites).toHaveLength(4);
  for (const s of suites) {
    const info = JSON.parse(fs.readFileSync(path.join(out, s, 'suite.json'), 'utf8')) as { status: string; runs: [] };
    expect({ s, status: info.status, runs: info.runs.length }).toEqual({ s, status: 'finished', runs: 1 });
  }
  expect(suites).toContain(fs.readlinkSync(path.join(out, 'latest')));
  const listed = cli(['list', '--out', out])
    .stdout.split('\n')
    .filter((l) => l.includes('idle-demand-start  '));
  expect(listed.filter((l) => l.includes(out))).toHaveLength(4);
}, 120_000);

// A matrix whose process died is settled by whoever reads its matrix.json next — here `w3lab report` on one of its
// runs (the real SIGKILL through the CLI and `list`: harness/cli/matrix-killed.test.ts) — and only such a matrix.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rerunReport } from '../report/report-command';
import type { Matrix } from './matrix';
import { readMatrix } from './matrix-folder';
import { notRunOf } from './matrix-status';
import { runOwner } from './run-status';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-matrix-status-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const deadOwner = (): Matrix['owner'] => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return { pid: Number(r.stdout), startedAt: 1, host: os.hostname() };
};

const run = (dir: string) => ({
  outcome: 'pass' as const,
  dir,
  requests: 1,
  failed: 0,
  info: 0,
  dropped: 0,
  p99Ms: 1,
  recycleMs: null,
  recoveryMs: null,
  durationMs: 1,
  summary: 'ok',
});

/** A matrix of a, b × w3, pm2 with --repeat 2, "running": a × w3 done twice, a × pm2 once and its second run cut. */
function matrixFolder(name: string, owner: Matrix['owner'] | undefined): string {
  const dir = path.join(root, 'matrix', name);
  const runDir = (target: string, folder: string, status: string): void => {
    fs.mkdirSync(path.join(dir, target, folder), { recursive: true });
    const info = { scenario: 'a', target, status, owner, startedAt: '2026-12-01T00:00:00Z' };
    const expect = [{ check: 'noFailedRequests' }];
    fs.writeFileSync(
      path.join(dir, target, folder, 'run.json'),
      JSON.stringify({ ...info, scenarioConfig: { expect, faults: [] } }),
    );
    fs.writeFileSync(path.join(dir, target, folder, 'history.jsonl'), '');
  };
  runDir('w3', 'a', 'finished');
  runDir('w3', 'a-2', 'finished');
  runDir('pm2', 'a', 'finished');
  runDir('pm2', 'a-2', 'running');
  const m: Matrix = {
    command: 'w3lab matrix a b --targets w3,pm2 --repeat 2',
    status: 'running',
    ...(owner ? { owner } : {}),
    repeat: 2,
    startedAt: '2026-12-01T00:00:00Z',
    durationMs: 1,
    machine: 'test',
    scenarios: ['a', 'b'],
    targets: ['w3', 'pm2'],
    cells: [
      { scenario: 'a', target: 'w3', runs: [run('w3/a'), run('w3/a-2')] },
      { scenario: 'a', target: 'pm2', runs: [run('pm2/a')] },
    ],
  };
  fs.writeFileSync(path.join(dir, 'matrix.json'), JSON.stringify(m));
  return dir;
}

test('`report` on a run of a killed matrix settles the matrix: killed, the cut run, the cells never run', () => {
  const dir = matrixFolder('killed', deadOwner());
  rerunReport(path.join(dir, 'w3', 'a'));
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'matrix.json'), 'utf8')) as Matrix;
  expect(m).toMatchObject({ status: 'killed', killedNoticedAt: expect.any(String) });
  expect(m.cut).toEqual([{ scenario: 'a', target: 'pm2', dir: 'pm2/a-2' }]);
  expect(m.notRun).toEqual([
    { scenario: 'b', target: 'w3', runs: 2 },
    { scenario: 'b', target: 'pm2', runs: 2 },
  ]);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'pm2', 'a-2', 'run.json'), 'utf8')).status).toBe('killed');
  const md = fs.readFileSync(path.join(dir, 'matrix.md'), 'utf8');
  expect(md).toContain('never ran: b × w3 (2 runs), b × pm2 (2 runs)');
  expect(fs.readFileSync(path.join(dir, 'matrix.html'), 'utf8')).toContain('cut by the kill: a × pm2 (pm2/a-2)');
});

test('a matrix whose process lives, or that records no owner, is left as it is', () => {
  for (const [name, owner] of [
    ['live', runOwner()],
    ['no-owner', undefined],
  ] as const) {
    const dir = matrixFolder(name, owner);
    const before = fs.readFileSync(path.join(dir, 'matrix.json'), 'utf8');
    expect(readMatrix(dir)?.status).toBe('running');
    expect(fs.readFileSync(path.join(dir, 'matrix.json'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(dir, 'matrix.md'))).toBe(false);
  }
});

test('the cells never run: planned runs (scenarios × targets × repeat) less those made or cut', () => {
  const m = { scenarios: ['a'], targets: ['w3', 'nginx'], cells: [] } as unknown as Matrix;
  expect(notRunOf(m)).toEqual([
    { scenario: 'a', target: 'w3', runs: 1 },
    { scenario: 'a', target: 'nginx', runs: 1 },
  ]);
  const cut = [{ scenario: 'a', target: 'w3', dir: 'w3/a' }];
  expect(notRunOf({ ...m, repeat: 3 }, cut)).toEqual([
    { scenario: 'a', target: 'w3', runs: 2 },
    { scenario: 'a', target: 'nginx', runs: 3 },
  ]);
});

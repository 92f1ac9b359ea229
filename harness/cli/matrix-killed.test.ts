// A `w3lab matrix` SIGKILLed mid-run, for real: the CLI is started on three cells — one not supported (finished at
// once), one real w3 run (killed while its workload runs), one never started — and SIGKILLed while the w3 run is
// under load. Its matrix.json said "running" forever; the next `w3lab list` must settle it like a run.json: status
// killed, what finished, which run the kill cut and which cells never ran, with matrix.md saying the same.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { cleanLeftovers } from './clean';
import { readJson, until } from './test-support/poll';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-matrix-killed-'));
const OUT = path.join(dir, 'w3lab results'); // a space in the path too: a user's folder may have one
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // What the killed harness left (w3 stops by itself when its parent's IPC channel closes): ended, then the folder.
  const left = await cleanLeftovers({ scope: { dir: OUT } }, { listContainers: async () => [] });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(left.killed).toEqual([]);
});

/** w3 supports idle shutdown, nginx and pm2 do not: nginx's cell is "not supported" at once, pm2's comes after w3. */
const SCENARIO = [
  'name: m-kill',
  'target: w3',
  'requires: [idleShutdown]',
  'workload:',
  '  - { name: load, connections: 2, duration: 120s }',
  'expect:',
  '  - check: noFailedRequests',
  '',
].join('\n');

function historyHasRequests(runDir: string): boolean {
  try {
    return fs.readFileSync(path.join(runDir, 'history.jsonl'), 'utf8').includes('"kind":"request"');
  } catch {
    return false;
  }
}

test('a SIGKILLed matrix is settled by the next list: killed, what finished, the cut run, what never ran', async () => {
  const file = path.join(dir, 'm-kill.yaml');
  fs.writeFileSync(file, SCENARIO);
  const child = spawn(process.execPath, [BIN, 'matrix', file, '--targets', 'nginx,w3,pm2', '--out', OUT], {
    stdio: 'ignore',
  });
  started.push(child);
  const matrixDir = await until(
    'the matrix folder',
    () => {
      const d = path.join(OUT, 'matrix');
      const name = fs.existsSync(d) ? fs.readdirSync(d).find((n) => n !== 'latest') : undefined;
      return name ? path.join(d, name) : null;
    },
    60_000,
  );
  const w3Run = path.join(matrixDir, 'w3', 'm-kill');
  // Killed while the w3 run is under load (its first requests recorded), not while it starts or stops.
  await until('requests of the w3 run', () => (historyHasRequests(w3Run) ? true : null), 120_000);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  // w3 stops by itself when its harness's IPC channel closes: nothing of the run is left running.
  const leftovers = async (): Promise<string[]> =>
    (await cleanLeftovers({ scope: { dir: OUT }, dryRun: true }, { listContainers: async () => [] })).lines.filter(
      (l) => l.startsWith('would kill'),
    );
  await until(
    'w3 to stop after its harness died',
    async () => ((await leftovers()).length === 0 ? true : null),
    60_000,
  );
  const before = readJson(path.join(matrixDir, 'matrix.json'));
  expect(before['status']).toBe('running'); // what the killed process left

  const r = spawnSync(process.execPath, [BIN, 'list', '--out', OUT], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/ killed +1 scenario\(s\) × nginx,w3,pm2: 1 run\(s\) \(1 not-supported\) /);
  const after = readJson(path.join(matrixDir, 'matrix.json'));
  expect(after).toMatchObject({
    status: 'killed',
    killedNoticedAt: expect.any(String),
    cells: [{ scenario: 'm-kill', target: 'nginx', runs: [{ outcome: 'not-supported', dir: 'nginx/m-kill' }] }],
    cut: [{ scenario: 'm-kill', target: 'w3', dir: 'w3/m-kill' }],
    notRun: [{ scenario: 'm-kill', target: 'pm2', runs: 1 }],
  });
  expect(readJson(path.join(w3Run, 'run.json'))['status']).toBe('killed');
  const md = fs.readFileSync(path.join(matrixDir, 'matrix.md'), 'utf8');
  expect(md).toContain('Status: killed (its lab process died)');
  expect(md).toContain('cut by the kill: m-kill × w3 (w3/m-kill)');
  expect(md).toContain('never ran: m-kill × pm2');
  // Settled once: a second list leaves the file as the first wrote it.
  spawnSync(process.execPath, [BIN, 'list', '--out', OUT], { encoding: 'utf8', timeout: 60_000 });
  expect(readJson(path.join(matrixDir, 'matrix.json'))).toEqual(after);
}, 300_000);

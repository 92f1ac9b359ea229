// A `w3lab run` SIGKILLed mid-suite, for real: three scenarios — one not supported (finished at once), one real w3
// run (killed under load), one never started. Its suite.json said "running" forever and the suite had no
// index.html or junit.xml; the next `w3lab list` settles it: killed, the run the kill cut, the scenario never run,
// and the suite's reports written for what it has.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { cleanLeftovers } from './clean';
import { readJson, until } from './test-support/poll';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-run-killed-'));
const OUT = path.join(dir, 'w3lab-results');
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // What the killed harness left (w3 stops by itself when its parent's IPC channel closes): ended, then the folder.
  const left = await cleanLeftovers({ scope: { dir: OUT } }, { listContainers: async () => [] });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(left.killed).toEqual([]);
});

/** w3 supports idle shutdown, nginx does not: k-a is "not supported" at once, k-b runs, k-c comes after it. */
const scenario = (name: string, target: string): string =>
  [
    `name: ${name}`,
    `target: ${target}`,
    'requires: [idleShutdown]',
    'workload:',
    '  - { name: load, connections: 2, duration: 120s }',
    'expect:',
    '  - check: noFailedRequests',
    '',
  ].join('\n');

const hasRequests = (runDir: string): boolean => {
  try {
    return fs.readFileSync(path.join(runDir, 'history.jsonl'), 'utf8').includes('"kind":"request"');
  } catch {
    return false;
  }
};

test('a SIGKILLed run is settled by the next list: suite killed, the cut run, the scenario never run', async () => {
  const files = [
    ['k-a', 'nginx'],
    ['k-b', 'w3'],
    ['k-c', 'w3'],
  ].map(([name, target]) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, scenario(name!, target!));
    return file;
  });
  const child = spawn(process.execPath, [BIN, 'run', ...files, '--out', OUT], { stdio: 'ignore' });
  started.push(child);
  const suite = await until(
    'the suite folder',
    () => (fs.existsSync(path.join(OUT, 'latest')) ? true : null),
    60_000,
  ).then(() => fs.realpathSync(path.join(OUT, 'latest')));
  // Killed while k-b is under load (its first requests recorded), not while it starts or stops.
  await until('requests of k-b', () => (hasRequests(path.join(suite, 'k-b')) ? true : null), 120_000);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const leftovers = async (): Promise<number> =>
    (await cleanLeftovers({ scope: { dir: OUT }, dryRun: true }, { listContainers: async () => [] })).lines.filter(
      (l) => l.startsWith('would kill'),
    ).length;
  await until('w3 to stop after its harness died', async () => ((await leftovers()) === 0 ? true : null), 60_000);
  expect(readJson(path.join(suite, 'suite.json'))['status']).toBe('running'); // what the killed process left
  expect(fs.existsSync(path.join(suite, 'junit.xml'))).toBe(false);

  const r = spawnSync(process.execPath, [BIN, 'list', '--out', OUT], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  const info = readJson(path.join(suite, 'suite.json'));
  expect(info).toMatchObject({
    status: 'killed',
    killedNoticedAt: expect.any(String),
    scenarios: ['k-a', 'k-b', 'k-c'],
    runs: [{ scenario: 'k-a', outcome: 'not-supported' }],
    cut: [{ scenario: 'k-b', dir: 'k-b' }],
    notRun: ['k-c'],
    exitCode: 2,
  });
  expect(readJson(path.join(suite, 'k-b', 'run.json'))['status']).toBe('killed');
  expect(fs.readFileSync(path.join(suite, 'summary.md'), 'utf8')).toContain(
    '**killed** (cut by the kill: k-b; never ran: k-c)',
  );
  expect(fs.readFileSync(path.join(suite, 'junit.xml'), 'utf8')).toContain('k-a');
  expect(fs.existsSync(path.join(suite, 'index.html'))).toBe(true);
  spawnSync(process.execPath, [BIN, 'list', '--out', OUT], { encoding: 'utf8', timeout: 60_000 });
  expect(readJson(path.join(suite, 'suite.json'))).toEqual(info); // settled once
}, 300_000);

// The CLI's answers to a user's mistakes and to its own parent going away: an unknown target is bad usage (254,
// nothing written); an admin command with no server behind the socket is a user error (1, "no server at this
// socket"); a JSON syntax error in a serve config names the line and column; `w3lab serve` stops, with its
// workers, when the program that started it dies without passing the signal on (what `npx` does).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const HELLO = path.join(repoRoot(), 'targets', 'apps', 'hello.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-cli-errors-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], timeout = 30_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, cwd: dir });
}

const SCENARIO = (target: string): string =>
  [
    `name: t-${target}`,
    `target: ${target}`,
    'workload:',
    '  - { name: l, duration: 1s }',
    'expect:',
    '  - check: noFailedRequests',
    '',
  ].join('\n');

test('an unknown --target exits 254 naming the known targets, before any results folder is made', () => {
  const file = path.join(dir, 'ok.yaml');
  fs.writeFileSync(file, SCENARIO('w3'));
  const out = path.join(dir, 'out-flag');
  const r = cli(['run', file, '--target', 'lighttpd', '--out', out]);
  expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 254 });
  expect(r.stderr).toMatch(/--target: unknown target "lighttpd" \(known: w3, node-cluster/);
  expect(fs.existsSync(out)).toBe(false);
});

test('a scenario naming an unknown target exits 254 naming the file', () => {
  const file = path.join(dir, 'lighttpd.yaml');
  fs.writeFileSync(file, SCENARIO('lighttpd'));
  const out = path.join(dir, 'out-file');
  const r = cli(['run', file, '--out', out]);
  expect(r.status).toBe(254);
  expect(r.stderr).toContain(`${file}: target: unknown target "lighttpd"`);
  expect(fs.existsSync(out)).toBe(false);
});

test.each([
  ['a socket path that does not exist', 'missing.sock'],
  ['a file nothing listens on', 'dead.sock'],
])('status / recycle with %s exits 1: "no server at this socket"', (_what, name) => {
  const socket = path.join(dir, name);
  if (name === 'dead.sock') fs.writeFileSync(socket, '');
  for (const args of [['status'], ['recycle', 'app'], ['reload']]) {
    const r = cli([...args, '--admin', socket]);
    expect({ args, status: r.status, stderr: r.stderr.trim() }).toEqual({
      args,
      status: 1,
      stderr: `w3lab: no server at this socket: ${socket}`,
    });
  }
});

test.each([
  ['cut short', '{\n  "listen": { "port": 0 },\n  "pools": [', /line 3 column 13/],
  ['a stray character', '{\n  "listen": { "port": 0 } x\n}', /line 2 column 27/],
])('a serve config with a JSON syntax error (%s) exits 254 with line and column', (_what, text, where) => {
  const file = path.join(dir, 'broken.json');
  fs.writeFileSync(file, text);
  const r = cli(['serve', '--config', file]);
  expect(r.status).toBe(254);
  expect(r.stderr).toContain('JSON syntax error');
  expect(r.stderr).toMatch(where);
});

function gone(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitFor(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `w3lab serve` (with one AlwaysRunning worker) through `argv`; resolves with the spawned process and
 *  the host and worker pids once the worker is ready. */
async function serveThrough(
  argv: string[],
): Promise<{ proc: ReturnType<typeof spawn>; pids: number[]; out: () => string }> {
  const work = fs.mkdtempSync(path.join(dir, 'serve-'));
  const config = {
    listen: { port: 0 },
    admin: { socket: path.join(work, 'admin.sock') },
    pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
    applications: [{ path: '/', pool: 'app', module: HELLO }],
  };
  fs.writeFileSync(path.join(work, 'w3.json'), JSON.stringify(config));
  const proc = spawn(
    argv[0]!,
    [...argv.slice(1), process.execPath, BIN, 'serve', '--config', path.join(work, 'w3.json')],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
  );
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor('WorkerReady', () => out.includes('"WorkerReady"'), 60_000);
  const pids = [
    Number(/"pid":(\d+),"name":"w3"/.exec(out)![1]),
    Number(/"type":"WorkerReady".*?"pid":(\d+)/.exec(out)![1]),
  ];
  return { proc, pids, out: () => out };
}

test('`w3lab serve` under npm exec (npx) stops with its worker when npm gets SIGTERM', async () => {
  // npm exec runs the command through `sh -c`, like npx: node's parent is a shell whose parent is npm.
  const { proc, pids } = await serveThrough(['npm', 'exec', '--no', '--']);
  try {
    expect(pids.map(gone)).toEqual([false, false]);
    proc.kill('SIGTERM');
    await waitFor('the host and its worker to exit', () => pids.every(gone), 20_000);
  } finally {
    // Only when the test failed: what it started must not outlive it.
    for (const pid of pids.filter((p) => !gone(p))) process.kill(pid, 'SIGKILL');
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}, 90_000);

test('`w3lab serve` started directly keeps serving when its shell exits (`w3lab serve &`)', async () => {
  // `; true` keeps the shell from exec-ing node, so node's parent is the shell; then the shell dies.
  const { proc, pids, out } = await serveThrough(['sh', '-c', '"$@"; true', 'sh']);
  try {
    proc.kill('SIGKILL');
    await waitFor('the shell to exit', () => proc.exitCode !== null || proc.signalCode !== null, 10_000);
    // The watch polls every 500 ms: several rounds pass, and the host is still there and has not started stopping.
    await new Promise((r) => setTimeout(r, 2000));
    expect(pids.map(gone)).toEqual([false, false]);
    expect(out()).not.toContain('HostStopping');
  } finally {
    for (const pid of pids.filter((p) => !gone(p))) process.kill(pid, 'SIGTERM');
    await waitFor('the host to stop', () => pids.every(gone), 20_000).catch(() =>
      pids.filter((p) => !gone(p)).forEach((p) => process.kill(p, 'SIGKILL')),
    );
  }
}, 90_000);

// The host's logs on a real server: HTTPERR lines and the host log go to files asynchronously, roll over at their
// truncate size (HTTP.SYS: 1 MB for HTTPERR) keeping maxLogFiles old files, lose no line under a flood of bad
// requests, and what is still buffered at a SIGTERM — or at a crash (an uncaught exception) — is in the file after
// the exit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, tempDir, type RunningServer } from '../test-support/server';
import { repoRoot } from '../util/compiled-path';
import { waitUntil } from '../integration-manager/test-support/manager-helpers';

const APP = path.join(__dirname, 'fixtures', 'robust-app.js');

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function linesIn(dir: string, prefix: string, match: (l: string) => boolean): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter(match).length;
}

test('HTTPERR and host log roll over at their size; a 404 flood loses no line; the exit flushes the rest', async () => {
  server = await startServer({
    logging: {
      httpErrLog: './httperr.log',
      httpErrLogTruncateSize: 1048576,
      hostLog: './host.log',
      hostLogTruncateSize: 1048576,
      maxLogFiles: 10,
    },
    pools: [{ name: 'app' }],
    applications: [{ path: '/app', pool: 'app', module: APP }],
  });
  const dir = server.dir;
  // ~4.2 KB per HTTPERR line (the URI field is cut at 4096): 600 lines ≈ 2.5 MB, so at least two roll-overs.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 20 });
  const uri = '/nope' + ('/' + 'u'.repeat(200)).repeat(20);
  const replies = await Promise.all(Array.from({ length: 600 }, () => request(server!.url, { path: uri, agent })));
  agent.destroy();
  expect(replies.every((r) => r.status === 404)).toBe(true);
  const exited = new Promise((r) => server!.proc.once('exit', r));
  server.proc.kill('SIGTERM');
  await exited;
  const files = fs.readdirSync(dir);
  expect(files).toEqual(
    expect.arrayContaining(['httperr.log', 'httperr.log.1', 'httperr.log.2', 'host.log', 'host.log.1']),
  );
  for (const f of files.filter((n) => n.startsWith('httperr.log'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    expect(text.startsWith('#Software: w3 HTTP listener\n')).toBe(true);
    expect(fs.statSync(path.join(dir, f)).size).toBeLessThan(1048576 + 512 * 1024);
  }
  expect(linesIn(dir, 'httperr.log', (l) => / NotFound /.test(l))).toBe(600);
  // The host log has every HTTPERR line too, and the last events before the exit (flushed by the exit hook).
  expect(linesIn(dir, 'host.log', (l) => l.includes('"httperr"'))).toBe(600);
  const tail = fs.readFileSync(path.join(dir, 'host.log'), 'utf8');
  expect(tail).toContain('"HostStopping"');
  // The log went to the file, not stdout.
  expect(server.output()).not.toContain('"HostStopping"');
  fs.rmSync(dir, { recursive: true, force: true });
  server = null;
});

// The host log as a file (pino's file destination) and as stdout read through a pipe (w3's pipe writer: only the
// CLI's exit and crash hooks flush it).
test.each(['file', 'stdout'])(
  'a crash (uncaught exception) flushes the buffered %s log, ends the workers, removes the runtime dir',
  async (to) => {
    const dir = tempDir('w3-crash-');
    const config = path.join(dir, 'w3.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        admin: { socket: path.join(dir, 'admin.sock') },
        logging: { hostLog: to === 'file' ? './host.log' : null },
        pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
        applications: [{ path: '/', pool: 'app', module: APP }],
      }),
    );
    const count = 10_000; // ~1.5 MB of log lines in the tick of the crash: more than a pipe's kernel buffers hold
    const proc = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'crashing-host.js'), config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, W3_DIST: path.join(repoRoot(), 'dist'), CRASH_EVENTS: String(count) },
    });
    let err = '';
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const stdoutClosed = new Promise((resolve) => proc.stdout.once('close', resolve));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const hostLog = path.join(dir, 'host.log');
      const logText = (): string =>
        to === 'stdout' ? out : fs.existsSync(hostLog) ? fs.readFileSync(hostLog, 'utf8') : '';
      await waitUntil(() => logText().includes('"WorkerReady"'), 30_000, 'a ready worker');
      await waitUntil(() => err.includes('crash-test: armed'), 30_000, 'the crash signal handler');
      const workerPid = Number(/"WorkerReady"[^\n]*?"pid":(\d+)/.exec(logText())?.[1] ?? 0);
      const runtimeDirs = (): string[] => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`w3-${proc.pid}-`));
      expect(runtimeDirs()).toHaveLength(1);
      // A reader that is slow when the crash comes: it reads again only once the host is crashing. The host must wait
      // for it (bounded) in its crash hook, not drop what it still holds.
      proc.stdout.pause();
      proc.stderr.on('data', () => {
        if (err.includes('crash-test: throwing')) setTimeout(() => proc.stdout.resume(), 200);
      });
      proc.kill('SIGUSR2');
      expect(await exited).not.toBe(0);
      await stdoutClosed;
      expect(err).toContain('crash-test: an uncaught exception in the host');
      const lines = logText().split('\n');
      const crashEvents = lines.filter((l) => l.includes('"pool":"crash-test"'));
      // Every event emitted in the tick of the crash is in the file, in order, and the crash itself is logged.
      expect(crashEvents).toHaveLength(count);
      expect(crashEvents.map((l) => (JSON.parse(l) as { event: { queueLength: number } }).event.queueLength)).toEqual(
        Array.from({ length: count }, (_, i) => i),
      );
      expect(lines.some((l) => l.includes('uncaught exception: the host ends'))).toBe(true);
      expect(runtimeDirs()).toEqual([]);
      // The worker loses its control pipe with the host and ends too.
      await waitUntil(() => !fs.existsSync(`/proc/${workerPid}`), 15_000, 'the worker to end with its host');
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('a crash while the stdout reader reads nothing: the host still ends within its flush bound (2 s)', async () => {
  const dir = tempDir('w3-crash-');
  const config = path.join(dir, 'w3.json');
  const app = { path: '/', pool: 'app', module: APP };
  const socket = path.join(dir, 'admin.sock');
  const pools = [{ name: 'app' }];
  fs.writeFileSync(
    config,
    JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, admin: { socket }, pools, applications: [app] }),
  );
  const proc = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'crashing-host.js'), config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, W3_DIST: path.join(repoRoot(), 'dist'), CRASH_EVENTS: '10000' },
  });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number>((resolve) => proc.once('exit', () => resolve(Date.now())));
  try {
    await waitUntil(() => err.includes('crash-test: armed'), 30_000, 'the crash signal handler');
    proc.stdout.pause(); // and never resumed before the host is gone: Node's exit would wait for it forever
    proc.kill('SIGUSR2');
    await waitUntil(() => err.includes('crash-test: throwing'), 30_000, 'the crash');
    const crashedAt = Date.now();
    const stuck = setTimeout(() => proc.stdout.resume(), 20_000);
    const exitedAt = await exited;
    clearTimeout(stuck);
    expect(exitedAt - crashedAt).toBeLessThan(2000 + 3000); // the flush bound, and slack for a loaded machine
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    proc.stdout.resume();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Files and sockets: one private runtime directory per host (0700 whatever the umask, removed at exit, stale ones of
// dead hosts swept at start) holds the worker sockets; the admin socket is 0600 from the start; a live admin socket
// is never unlinked (a second `serve` with the same config fails cleanly, the first keeps its admin API); the fault
// token never appears in argv and never reaches a worker; --enable-faults without a token needs admin access only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, tempDir, type RunningServer } from '../test-support/server';
import { waitUntil } from '../integration-manager/test-support/manager-helpers';
import { repoRoot } from '../util/compiled-path';
import { AdminClient } from '../admin/admin-client';
import { pools } from './test-support/resources';

const APP = path.join(__dirname, 'fixtures', 'robust-app.js');
const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const CONFIG = {
  pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
  applications: [{ path: '/', pool: 'app', module: APP }],
};

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function runtimeDirsOf(pid: number): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith(`w3-${pid}-`))
    .map((n) => path.join(os.tmpdir(), n));
}

async function readyWorkerPid(s: RunningServer): Promise<number> {
  await s.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
  return (await pools(s))[0]!.workers[0]!.pid;
}

describe('the private runtime directory', () => {
  it('holds the worker sockets, is 0700 even under umask 000, and is removed when the host stops', async () => {
    // umask 000: without the directory a worker socket would be reachable by every local user.
    server = await startServer(CONFIG, [], { umask: '000' });
    const pid = server.proc.pid!;
    const workerPid = await readyWorkerPid(server);
    const dirs = runtimeDirsOf(pid);
    expect(dirs).toHaveLength(1);
    expect(fs.statSync(dirs[0]!).mode & 0o777).toBe(0o700);
    const socket = fs
      .readFileSync(`/proc/${workerPid}/environ`, 'utf8')
      .split('\0')
      .find((v) => v.startsWith('W3_SOCKET='));
    expect(path.dirname(socket!.slice('W3_SOCKET='.length))).toBe(dirs[0]);
    expect(fs.statSync(path.join(server.dir, 'admin.sock')).mode & 0o777).toBe(0o600);
    await server.stop();
    server = null;
    expect(runtimeDirsOf(pid)).toEqual([]);
  });

  it('directories of hosts that died (SIGKILL) are swept at the next start; a live host keeps its own', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const stale = path.join(os.tmpdir(), `w3-${dead}-AbC123`);
    fs.mkdirSync(stale, { mode: 0o700 });
    fs.writeFileSync(path.join(stale, 'w1.sock'), '');
    const first = await startServer(CONFIG);
    try {
      const own = runtimeDirsOf(first.proc.pid!);
      server = await startServer(CONFIG);
      expect(fs.existsSync(stale)).toBe(false);
      expect(runtimeDirsOf(first.proc.pid!)).toEqual(own);
    } finally {
      await first.stop();
      fs.rmSync(stale, { recursive: true, force: true });
    }
  });
});

describe('the admin socket', () => {
  it('a second serve on the same admin socket fails cleanly (254); the first keeps serving its admin API', async () => {
    server = await startServer(CONFIG);
    const file = path.join(server.dir, 'w3.json');
    const second = spawnSync(process.execPath, [BIN, 'serve', '--config', file, '--port', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(second.status).toBe(254);
    expect(second.stderr).toMatch(/admin socket .* is in use by a running server/);
    expect((await server.admin.request<{ status: string }>('GET', '/health')).status).toBe('ok');
    expect((await request(server.url, { path: '/' })).status).toBe(200);
  });

  it('a stale socket (its server was killed) is replaced; a path that is not a socket is refused', async () => {
    const dir = tempDir();
    try {
      const sock = path.join(dir, 'admin.sock');
      const killed = spawn(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]);
      await new Promise((r) => killed.once('exit', r));
      expect(fs.statSync(sock).isSocket()).toBe(true);
      server = await startServer({ ...CONFIG, admin: { socket: sock } });
      expect((await new AdminClient({ socketPath: sock }).request<{ status: string }>('GET', '/health')).status).toBe(
        'ok',
      );
      await server.stop();
      server = null;
      const plain = path.join(dir, 'plain-file');
      fs.writeFileSync(plain, 'not a socket');
      const config = path.join(dir, 'w3.json');
      fs.writeFileSync(config, JSON.stringify({ ...CONFIG, listen: { port: 0 }, admin: { socket: plain } }));
      const r = spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(254);
      expect(r.stderr).toMatch(/exists and is not a socket/);
      expect(fs.readFileSync(plain, 'utf8')).toBe('not a socket');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the fault token', () => {
  it('comes from W3_FAULT_TOKEN, never appears in argv, and never reaches a worker', async () => {
    server = await startServer(CONFIG, ['--enable-faults'], { faultToken: 'tok-123' });
    const workerPid = await readyWorkerPid(server);
    expect(fs.readFileSync(`/proc/${server.proc.pid}/cmdline`, 'utf8')).not.toContain('tok-123');
    expect(fs.readFileSync(`/proc/${workerPid}/environ`, 'utf8')).not.toContain('tok-123');
    const anonymous = new AdminClient({ socketPath: path.join(server.dir, 'admin.sock') });
    await expect(
      anonymous.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'crash', count: 1 }),
    ).rejects.toThrow(/403/);
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'crash', count: 1 });
    await server.admin.request('DELETE', '/pools/app/faults');
  });

  it('--fault-token on the command line is refused (254) naming the alternatives', () => {
    const dir = tempDir();
    try {
      const config = path.join(dir, 'w3.json');
      fs.writeFileSync(config, JSON.stringify({ ...CONFIG, admin: { socket: path.join(dir, 'a.sock') } }));
      const r = spawnSync(
        process.execPath,
        [BIN, 'serve', '--config', config, '--enable-faults', '--fault-token', 'x'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status).toBe(254);
      expect(r.stderr).toMatch(/W3_FAULT_TOKEN.*--fault-token-file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--fault-token is refused before the config is read (the refusal, not a missing file, is what is said)', () => {
    const missing = path.join(os.tmpdir(), `w3-no-such-config-${process.pid}.json`);
    const r = spawnSync(process.execPath, [BIN, 'serve', '--config', missing, '--fault-token', 'x'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/--fault-token is not accepted.*W3_FAULT_TOKEN.*--fault-token-file/);
    expect(r.stderr).not.toContain('file not found');
  });

  it('--fault-token-file gives the token; with no token, admin access alone allows faults (documented)', async () => {
    const dir = tempDir();
    try {
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, 'from-a-file\n', { mode: 0o600 });
      server = await startServer(CONFIG, ['--enable-faults', '--fault-token-file', tokenFile]);
      const admin = (token?: string): AdminClient =>
        new AdminClient({ socketPath: path.join(server!.dir, 'admin.sock'), faultToken: token });
      await expect(admin().request('DELETE', '/pools/app/faults')).rejects.toThrow(/403/);
      await admin('from-a-file').request('DELETE', '/pools/app/faults');
      await server.stop();
      server = await startServer(CONFIG, ['--enable-faults']);
      await waitUntil(() => /fault injection is enabled without a token/.test(server!.output()), 10_000, 'the warning');
      await admin().request('DELETE', '/pools/app/faults');
      await server.stop();
      server = await startServer({ ...CONFIG, faultInjection: { enabled: true, token: null } });
      await admin().request('DELETE', '/pools/app/faults');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('admin routes', () => {
  it('a malformed %-escape in a pool name is a 400, not a 500', async () => {
    server = await startServer(CONFIG);
    await expect(server.admin.request('POST', '/pools/%zz/recycle')).rejects.toThrow(/400: malformed %-escape/);
    await waitUntil(
      async () => (await server!.admin.request<{ status: string }>('GET', '/health')).status === 'ok',
      5000,
      'health',
    );
  });
});

// Tests of the node-cluster primary on its own (no lab adapter): SIGUSR2 rolling restart, the control endpoint's
// token and validation, the control endpoint on a Unix socket (CONTROL_SOCKET), and SIGTERM. The adapter's tests
// (harness/targets/node-cluster-target.test.ts) cover the rest.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// A cluster's start (primary, two forks, the fault agent) took over 10 s at load 28: waits are 30 s, tests 2 min.
jest.setTimeout(120_000);

const PRIMARY = path.join(__dirname, 'primary.js');
const PRELOAD = path.resolve(__dirname, '..', '..', '..', 'dist', 'faults', 'agent', 'preload.js');

interface Ev {
  type: string;
  [k: string]: unknown;
}

function startPrimary(env: Record<string, string>) {
  const child = spawn(process.execPath, [PRIMARY], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Ev[] = [];
  let buf = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const j = JSON.parse(line) as { event?: Ev };
        if (j.event) events.push(j.event);
      } catch {
        /* not ours */
      }
    }
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pred: (e: Ev) => boolean, what: string, timeoutMs = 30_000): Promise<Ev> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = events.find(pred);
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no ${what}; events: ${events.map((x) => x.type).join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, events, exited, waitFor };
}

/** A control request to a port on 127.0.0.1, or to a Unix socket (a path). */
function call(
  port: number | string,
  method: string,
  route: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        ...(typeof port === 'string' ? { socketPath: port } : { host: '127.0.0.1', port }),
        method,
        path: route,
        agent: false,
        headers: token ? { 'X-W3-Fault-Token': token } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('node-cluster primary', () => {
  let p: ReturnType<typeof startPrimary> | undefined;
  afterEach(() => {
    if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });

  it('rolls its workers on SIGUSR2 and stops them on SIGTERM', async () => {
    p = startPrimary({ WORKERS: '2' });
    await p.waitFor((e) => e.type === 'HostStarted', 'HostStarted');
    const first = p.events.filter((e) => e.type === 'WorkerReady').map((e) => e['pid']);
    p.child.kill('SIGUSR2');
    await p.waitFor(() => p!.events.filter((e) => e.type === 'RecycleCompleted').length === 2, 'two RecycleCompleted');
    const completed = p.events.filter((e) => e.type === 'RecycleCompleted');
    expect(completed.map((e) => e['oldPid']).sort()).toEqual([...first].sort());
    for (const c of completed) {
      // Overlapped: the replacement was listening before the old worker was told to go.
      const ready = p.events.find((e) => e.type === 'WorkerReady' && e['pid'] === c['newPid'])!;
      const draining = p.events.find((e) => e.type === 'WorkerDraining' && e['pid'] === c['oldPid'])!;
      expect(draining['t']).toBeGreaterThanOrEqual(ready['t'] as number);
    }
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.events.filter((e) => e.type === 'WorkerExited' && e['reason'] === 'stop')).toHaveLength(2);
  });

  it('guards fault routes with the token and validates startup faults (needs the built agent)', async () => {
    if (!fs.existsSync(PRELOAD)) throw new Error(`${PRELOAD} is not built: run npm run build`);
    p = startPrimary({ W3LAB_FAULTS: '1', CONTROL_TOKEN: 'secret' });
    const started = await p.waitFor((e) => e.type === 'HostStarted', 'HostStarted');
    const port = (started['control'] as { port: number }).port;
    const pid = (await p.waitFor((e) => e.type === 'WorkerReady', 'WorkerReady'))['pid'] as number;
    expect((await call(port, 'POST', `/workers/${pid}/faults`, { kind: 'crash' })).status).toBe(403);
    expect((await call(port, 'POST', `/workers/${pid}/faults`, { kind: 'nope' }, 'secret')).status).toBe(409);
    expect((await call(port, 'POST', '/startup-fault', { mode: 'explode' }, 'secret')).status).toBe(400);
    expect((await call(port, 'POST', '/startup-fault', { mode: 'hang', count: 1 }, 'secret')).status).toBe(200);
    expect((await call(port, 'DELETE', '/startup-fault', undefined, 'secret')).status).toBe(200);
    expect((await call(port, 'GET', '/nothing')).status).toBe(404);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('serves control on CONTROL_SOCKET; takes over a stale socket, never a live one or a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nc-control-'));
    const sock = path.join(dir, 'control.sock');
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await once(holder.stdout, 'data');
      // Someone answers on it: the primary refuses to start rather than steal it.
      p = startPrimary({ CONTROL_SOCKET: sock });
      expect(await p.exited).toBe(78);
      // Killed outright, the holder leaves its socket file behind: a stale one, taken over.
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      expect(fs.lstatSync(sock).isSocket()).toBe(true);
      p = startPrimary({ CONTROL_SOCKET: sock });
      const started = await p.waitFor((e) => e.type === 'HostStarted', 'HostStarted');
      expect(started['control']).toEqual({ socket: sock });
      const health = await call(sock, 'GET', '/health');
      expect(health).toEqual({ status: 200, body: { status: 'ok', pid: p.child.pid } });
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      // A file that is no socket is never removed.
      const file = path.join(dir, 'notes.txt');
      fs.writeFileSync(file, 'mine');
      p = startPrimary({ CONTROL_SOCKET: file });
      expect(await p.exited).toBe(78);
      expect(fs.readFileSync(file, 'utf8')).toBe('mine');
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

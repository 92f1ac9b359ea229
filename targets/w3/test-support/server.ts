// Test support: starts `w3lab serve` as a real child process on a generated config, waits for it to listen, and
// gives tests the address, the admin client and the event stream. Everything is torn down by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { AdminClient } from '../admin/admin-client';
import { repoRoot } from '../util/compiled-path';
import type { W3Event } from '../events/event-types';

export const APPS = path.join(repoRoot(), 'targets', 'apps');
const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');

export interface RunningServer {
  url: string;
  port: number;
  admin: AdminClient;
  proc: ChildProcess;
  dir: string;
  events: W3Event[];
  output: () => string;
  waitForEvent(pred: (e: W3Event) => boolean, timeoutMs?: number, from?: number): Promise<W3Event>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'w3-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartOptions {
  /** Passed to the host as $W3_FAULT_TOKEN (never on its command line) and sent by the admin client. */
  faultToken?: string;
  env?: Record<string, string>;
  /** Start the host under this umask (octal string, e.g. '000'): through a shell that execs node (same pid). */
  umask?: string;
}

export async function startServer(
  config: Record<string, unknown>,
  extraArgs: string[] = [],
  opts: StartOptions = {},
): Promise<RunningServer> {
  const dir = tempDir();
  const file = path.join(dir, 'w3.json');
  // W3_TEST_TRANSPORT=http (or frames, the default) runs a test against that transport without changing it
  // (listen.transport; a test that names its own transport keeps it).
  const transport = process.env['W3_TEST_TRANSPORT'];
  const listen = { host: '127.0.0.1', port: 0, ...(transport ? { transport } : {}) };
  const full = { listen, admin: { socket: path.join(dir, 'admin.sock') }, ...config };
  if (transport && config['listen']) full.listen = { transport, ...config['listen'] } as typeof listen;
  fs.writeFileSync(file, JSON.stringify(full, null, 2));
  const env = { ...process.env, ...opts.env, ...(opts.faultToken ? { W3_FAULT_TOKEN: opts.faultToken } : {}) };
  const argv = [BIN, 'serve', '--config', file, ...extraArgs];
  const proc = opts.umask
    ? spawn('/bin/sh', ['-c', `umask ${opts.umask} && exec "$0" "$@"`, process.execPath, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const events: W3Event[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  proc.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const j = JSON.parse(line) as { event?: W3Event };
        if (j.event) {
          events.push(j.event);
          for (const w of [...waiters]) w();
        }
      } catch {
        /* not JSON */
      }
    }
  });
  // The "listening" line on stderr: how the host says it is up, also when its log goes to a file (logging.hostLog).
  let announced: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => (announced = resolve));
  proc.stderr.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /w3 listening on http:\/\/[^:\s]+:(\d+)/.exec(out);
    if (m) announced(Number(m[1]));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  // The default deadline covers a worker start on a loaded 2-core machine (several seconds each, more when several
  // start at once).
  const waitForEvent = (pred: (e: W3Event) => boolean, timeoutMs = 30_000, from = 0): Promise<W3Event> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = events.slice(from).find(pred);
        if (e) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(e);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for an event; server output:\n${out.slice(-3000)}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });

  // Not a wait for the HostStarted event beside it: a host logging to a file never sends one, and the wait's 20 s
  // timer, left behind, kept the Jest worker alive after its last test.
  const port = await Promise.race([
    listening,
    exited.then((code): number => {
      throw new Error(`w3 exited with ${code} before listening:\n${out}`);
    }),
  ]);
  const admin = new AdminClient({ socketPath: full.admin.socket, faultToken: opts.faultToken });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    admin,
    proc,
    dir,
    events,
    output: () => out,
    waitForEvent,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  localPort: number;
  workerPid: number;
  endedAt: number;
}

export function request(
  url: string,
  opts: {
    method?: string;
    path?: string;
    agent?: http.Agent;
    body?: string;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.path ?? '/', url);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        agent: opts.agent,
        headers: opts.headers,
        timeout: opts.timeoutMs ?? 20000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
            localPort: req.socket?.localPort ?? 0,
            workerPid: Number(res.headers['x-w3-worker-pid'] ?? 0),
            endedAt: Date.now(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

/** An agent with a fixed set of keep-alive sockets whose server-side closes are counted. */
export function trackedAgent(maxSockets: number): {
  agent: http.Agent;
  closedByServer: () => number;
  sockets: () => number;
  done: () => void;
} {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, keepAliveMsecs: 60000 });
  let closed = 0;
  let count = 0;
  let finished = false;
  const orig = agent.createConnection.bind(agent);
  (agent as unknown as { createConnection: typeof orig }).createConnection = (...args: Parameters<typeof orig>) => {
    const s = orig(...args) as unknown as import('node:net').Socket;
    count++;
    s.once('end', () => {
      if (!finished) closed++;
    });
    s.once('error', () => {
      if (!finished) closed++;
    });
    return s;
  };
  return {
    agent,
    closedByServer: () => closed,
    sockets: () => count,
    done: () => {
      finished = true;
      agent.destroy();
    },
  };
}

/** Runs `concurrency` request loops until `stop()` resolves; returns every reply (or error). */
export function loadLoop(
  url: string,
  agent: http.Agent,
  concurrency: number,
  path = '/',
  timeoutMs?: number,
): { results: (Reply | Error)[]; stop: () => Promise<void> } {
  const results: (Reply | Error)[] = [];
  let running = true;
  const deadline = Date.now() + 300_000; // bounded even if a test forgets to stop it
  const loops = Array.from({ length: concurrency }, async () => {
    while (running && Date.now() < deadline) {
      try {
        results.push(await request(url, { agent, path, timeoutMs }));
      } catch (err) {
        results.push(err as Error);
      }
    }
  });
  return {
    results,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

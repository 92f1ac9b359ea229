// A two-pool w3 for the isolation, protocol and robustness tests: `/admin` → pool `adm`, everything else → pool
// `main`, both serving echo-app.js, which appends every request it runs to a record file. Plus resource accounting:
// the host's and workers' open file descriptors and the listener's requests in flight, so a test can prove that
// nothing leaked (a leaked request or socket keeps a descriptor open in the host and in a worker).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../test-support/server';
import { HTTPERR_FILE } from './raw-client';

export const ECHO_APP = path.join(__dirname, 'echo-app.js');

export interface Recorded {
  pool: string;
  method: string;
  url: string;
  case?: string;
  marker?: string;
}

export interface EchoServer extends RunningServer {
  recordFile: string;
  /** Every request the applications ran, in order. */
  recorded(): Recorded[];
}

export async function startEchoServer(
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<EchoServer> {
  const { pools, ...rest } = extra as { pools?: unknown[] };
  const recordDir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-echo-'));
  const recordFile = path.join(recordDir, 'recorded.ndjson');
  const appEnv = { RECORD_FILE: recordFile, ...env };
  const server = await startServer({
    logging: { httpErrLog: HTTPERR_FILE },
    pools: pools ?? [
      { name: 'main', startMode: 'AlwaysRunning' },
      { name: 'adm', startMode: 'AlwaysRunning' },
    ],
    applications: [
      { path: '/', pool: 'main', module: ECHO_APP, env: appEnv },
      { path: '/admin', pool: 'adm', module: ECHO_APP, env: appEnv },
    ],
    ...rest,
  });
  try {
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'main');
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'adm');
  } catch (err) {
    await server.stop();
    throw err;
  }
  const stop = server.stop.bind(server);
  return {
    ...server,
    recordFile,
    recorded: () => {
      const text = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8') : '';
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Recorded);
    },
    stop: async () => {
      await stop();
      fs.rmSync(recordDir, { recursive: true, force: true });
    },
  };
}

export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

interface PoolView {
  name: string;
  workers: { pid: number; inFlight: number; state: string }[];
}

export interface Resources {
  hostFds: number;
  workerFds: Record<number, number>;
  inFlight: number;
  workerInFlight: number;
}

export async function resources(server: RunningServer): Promise<Resources> {
  const pools = await server.admin.request<PoolView[]>('GET', '/pools');
  const listener = await server.admin.request<{ inFlight: number }>('GET', '/listener');
  const workerFds: Record<number, number> = {};
  let workerInFlight = 0;
  for (const p of pools) {
    for (const w of p.workers) {
      workerFds[w.pid] = fdCount(w.pid);
      workerInFlight += w.inFlight;
    }
  }
  return { hostFds: fdCount(server.proc.pid!), workerFds, inFlight: listener.inFlight, workerInFlight };
}

/**
 * Waits until nothing is in flight and every fd count is back within `slack` of `baseline` (the same workers must
 * still be there); fails with the last reading after `timeoutMs`.
 */
export async function expectSettled(
  server: RunningServer,
  baseline: Resources,
  slack = 6,
  timeoutMs = 15_000,
): Promise<Resources> {
  const deadline = Date.now() + timeoutMs;
  let last: Resources | null = null;
  for (;;) {
    last = await resources(server);
    const fdsOk =
      last.hostFds <= baseline.hostFds + slack &&
      Object.entries(baseline.workerFds).every(
        ([pid, n]) => last!.workerFds[Number(pid)] !== undefined && last!.workerFds[Number(pid)]! <= n + slack,
      );
    if (last.inFlight === 0 && last.workerInFlight === 0 && fdsOk) return last;
    if (Date.now() > deadline) {
      throw new Error(`resources did not settle: baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100)); // polling /proc: the interval only sets how soon we notice
  }
}

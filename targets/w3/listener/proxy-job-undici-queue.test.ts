// A client that leaves mid-body while its request waits in undici's own pool queue (HTTP transport). w3 dispatches
// up to maxConcurrentRequestsPerWorker requests to a worker, and undici's pool has as many connections; but a
// connection whose request just ended stays busy in undici until its socket closes (an abort) or until a
// setImmediate (a response that completed), while w3 has already freed the slot and dispatched the next request.
// That request waits in undici's pool queue, where nothing listens to its body stream yet. Its client leaving then
// must neither throw an unhandled stream error (it would end the host process) nor leave the request in flight: the
// abort is applied when undici hands the request to a connection.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { parseConfig } from '../config';
import { silentLogger } from '../util/logger';
import type { AppPool } from '../manager/app-pool';
import type { PoolJob } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import { Listener } from './listener';

jest.setTimeout(30_000);

function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = (): void => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

describe('a request waiting in undici’s pool queue, its client gone mid-body', () => {
  let dir: string;
  let app: http.Server;
  let upstream: Pool;
  let listener: Listener;
  const held: http.ServerResponse[] = [];
  const jobsDone: { completed: boolean }[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-undici-queue-'));
    fs.writeFileSync(path.join(dir, 'app.js'), 'module.exports = (req, res) => res.end();\n');
    // The worker: holds every request until the test releases it (its body is read as it comes).
    app = http.createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const config = parseConfig(
      {
        pools: [{ name: 'main', processModel: { maxConcurrentRequestsPerWorker: 1 } }],
        applications: [{ path: '/', pool: 'main', module: './app.js' }],
      },
      { baseDir: dir },
    );
    // One connection, as upstream-limits.ts sizes it for maxConcurrentRequestsPerWorker 1.
    upstream = new Pool(`http://127.0.0.1:${(app.address() as net.AddressInfo).port}`, { connections: 1 });
    const worker = { pid: 4242, upstream } as unknown as WorkerProcess;
    // The pool runs every job at once on the one worker (the admission limit is not what is under test).
    const pool = {
      name: 'main',
      config: config.pools[0]!,
      ctx: { events: { subscribe: () => () => undefined } },
      submit: (job: PoolJob) => job.run(worker),
      cancel: (job: PoolJob) => (job.cancelled = true),
      jobDone: (_w: WorkerProcess, _job: PoolJob, completed: boolean) => jobsDone.push({ completed }),
    } as unknown as AppPool;
    listener = new Listener(config, new Map([['main', pool]]), silentLogger());
    await listener.listen('127.0.0.1', 0);
  });

  afterAll(async () => {
    for (const res of held) res.destroy();
    const closed = listener?.close();
    listener?.destroyConnections();
    await closed;
    await upstream?.destroy();
    await new Promise((r) => app?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is aborted when undici hands it a connection: nothing thrown, nothing left in flight', async () => {
    const port = (listener.server.address() as net.AddressInfo).port;
    // The first request takes the only connection and stays at the worker.
    const first = net.connect(port, '127.0.0.1', () => first.write('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n'));
    first.on('error', () => undefined);
    await waitFor(() => held.length === 1, 'the first request at the worker');
    // The second is dispatched by w3 and queued by undici behind the busy connection.
    const upload = 'POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\npartial';
    const second = net.connect(port, '127.0.0.1', () => second.write(upload));
    second.on('error', () => undefined);
    await waitFor(() => listener.inFlight === 2, 'the second request dispatched');
    const queued = (): number => upstream.stats.queued;
    expect(queued()).toBe(1);
    // Its client resets mid-body while it is still in undici's queue.
    second.resetAndDestroy();
    await waitFor(() => listener.stats().connections === 1, 'the listener to see the reset');
    // A tick for the request's 'close' (the body stream is destroyed then): before the fix, an unhandled 'error'.
    await new Promise((r) => setImmediate(r));
    expect(queued()).toBe(1);
    expect(listener.inFlight).toBe(2);
    // The worker answers the first request: undici hands the second one the connection, and it is aborted there.
    held[0]!.end('done');
    await waitFor(() => listener.inFlight === 0, 'nothing in flight');
    expect(jobsDone).toEqual([{ completed: true }, { completed: false }]);
    expect(held).toHaveLength(1); // the aborted request never reached the worker
    first.destroy();
  });
});

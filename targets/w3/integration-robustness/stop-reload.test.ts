// Stop and reload: SIGTERM drains requests in flight up to shutdownTimeLimit (they complete, the host exits 0); a
// request longer than that is cut at the limit; whatever state requests or workers are in, one SIGTERM ends the
// host within shutdownTimeLimit plus a bounded slack; lowering maxProcesses by reload shrinks the garden.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startServer, request, type RunningServer } from '../test-support/server';
import { isAlive, waitUntil } from '../integration-manager/test-support/manager-helpers';
import { pools } from './test-support/resources';

const APP = path.join(__dirname, 'fixtures', 'robust-app.js');
/** What a stop may take beyond shutdownTimeLimit: reaping killed workers and the flush grace (host.ts), plus load. */
const STOP_SLACK_MS = 10_000;

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function config(processModel: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel, ...extra }],
    applications: [{ path: '/', pool: 'app', module: APP }],
  };
}

function exited(s: RunningServer): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) return resolve({ code: s.proc.exitCode, at: Date.now() });
    s.proc.once('exit', (code) => resolve({ code, at: Date.now() }));
  });
}

async function inFlight(s: RunningServer): Promise<number> {
  return (await pools(s))[0]!.workers.reduce((n, w) => n + w.inFlight, 0);
}

describe('SIGTERM', () => {
  it('drains requests in flight: ten 8 s requests all complete, then the host exits 0', async () => {
    server = await startServer(config({ shutdownTimeLimit: '30s' }));
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    const agent = new http.Agent({ keepAlive: true });
    // Long enough that all ten are in flight together even when a loaded machine takes seconds to dispatch them.
    const replies = Array.from({ length: 10 }, () =>
      request(server!.url, { path: '/slow?ms=8000', agent }).then(
        (r) => ({ text: `${r.status} ${r.body}`, at: Date.now() }),
        (e: Error) => ({ text: e.message, at: Date.now() }),
      ),
    );
    await waitUntil(async () => (await inFlight(server!)) === 10, 30_000, 'ten requests in flight');
    const done = exited(server);
    server.proc.kill('SIGTERM');
    const stopping = await server.waitForEvent((e) => e.type === 'HostStopping', 10_000);
    const results = await Promise.all(replies);
    expect(results.map((r) => r.text)).toEqual(Array(10).fill('200 slept 8000\n'));
    const end = await done;
    agent.destroy();
    expect(end.code).toBe(0);
    // It waited for them: each completed after the host began to stop; and it did not linger once they were done.
    for (const r of results) expect(r.at).toBeGreaterThanOrEqual(stopping.t);
    const last = Math.max(...results.map((r) => r.at));
    expect(end.at - last).toBeLessThan(STOP_SLACK_MS);
    server = null;
  });

  it('a request longer than shutdownTimeLimit is cut at the limit; the host exits within the bound', async () => {
    server = await startServer(config({ shutdownTimeLimit: '2s' }));
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    const long = request(server.url, { path: '/slow?ms=60000', timeoutMs: 90_000 }).catch((e: Error) => e);
    await waitUntil(async () => (await inFlight(server!)) === 1, 20_000, 'the request in flight');
    const t0 = Date.now();
    const done = exited(server);
    server.proc.kill('SIGTERM');
    const end = await done;
    expect(end.code).toBe(0);
    expect(end.at - t0).toBeGreaterThanOrEqual(1800);
    expect(end.at - t0).toBeLessThan(2000 + STOP_SLACK_MS);
    const r = await long;
    expect(r instanceof Error || r.status === 502).toBe(true);
    server = null;
  });

  it('ends the host whatever state its worker is in: a SIGSTOPped worker with a request in flight', async () => {
    server = await startServer(config({ shutdownTimeLimit: '2s' }));
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    const stuck = request(server.url, { path: '/slow?ms=60000', timeoutMs: 90_000 }).catch((e: Error) => e);
    await waitUntil(async () => (await inFlight(server!)) === 1, 20_000, 'the request in flight');
    process.kill(ready.pid!, 'SIGSTOP');
    const t0 = Date.now();
    const done = exited(server);
    server.proc.kill('SIGTERM');
    const end = await done;
    expect(end.at - t0).toBeLessThan(2000 + STOP_SLACK_MS);
    await waitUntil(() => !isAlive(ready.pid!), 5000, 'the stopped worker to be gone');
    await stuck;
    server = null;
  });

  it('ends once drained: a client keeping its side open does not hold the exit; last lines are on disk', async () => {
    server = await startServer({
      ...config({ shutdownTimeLimit: '30s', maxConcurrentRequestsPerWorker: 1 }),
      logging: { hostLog: './host.log', httpErrLog: './httperr.log' },
    });
    const s = server;
    const read = (file: string): string[] =>
      fs.existsSync(path.join(s.dir, file)) ? fs.readFileSync(path.join(s.dir, file), 'utf8').split('\n') : [];
    await waitUntil(async () => (await pools(s))[0]!.workers.some((w) => w.state === 'Ready'), 30_000, 'a worker');
    // A client that asks the server to close after the reply and never closes its own side (allowHalfOpen): the
    // host has nothing more to send it once the reply is out, and must not wait for it.
    const client = net.connect({ port: s.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let repliedAt = 0;
    client.on('data', (c: Buffer) => {
      received += c.toString();
      if (!repliedAt && received.includes('slept 5000')) repliedAt = Date.now();
    });
    const finByServer = new Promise<void>((resolve) => client.once('end', resolve));
    // 5 s: still running when the request below has been queued behind it, however slowly the admin polls answer.
    client.write('GET /slow?ms=5000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await waitUntil(async () => (await inFlight(s)) === 1, 20_000, 'the request in flight');
    // One request waits in the queue (one request per worker): the stop answers it 503, an HTTPERR line.
    const queued = request(s.url, { path: '/queued' });
    await waitUntil(async () => (await pools(s))[0]!.queue.length === 1, 20_000, 'the queued request');
    const done = exited(s);
    s.proc.kill('SIGTERM');
    expect((await queued).status).toBe(503);
    const end = await done;
    await finByServer;
    client.destroy();
    expect(end.code).toBe(0);
    expect(received).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\nslept 5000\n\r\n0\r\n\r\n$/); // the whole reply
    expect(end.at - repliedAt).toBeLessThan(STOP_SLACK_MS);
    // From the host's own clock: once its last worker had exited it had only to close connections with nothing
    // left to send and to flush its logs, not to wait for that client (a fixed 2 s grace did).
    const lines = read('host.log')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { time: number; msg?: string; event?: { type: string }; httperr?: unknown });
    const workerExited = lines.find((l) => l.event?.type === 'WorkerExited')!.time;
    const stopped = lines[lines.length - 1]!;
    expect(stopped.msg).toBe('stopped');
    expect(stopped.time - workerExited).toBeLessThan(1000);
    // The last lines are on disk: the stop's own last line above, and every HTTPERR line the host logged.
    const httpErr = read('httperr.log').filter((l) => l && !l.startsWith('#'));
    expect(httpErr.filter((l) => l.includes(' /queued 503 '))).toHaveLength(1);
    expect(httpErr).toHaveLength(lines.filter((l) => l.httperr !== undefined).length);
  });

  it('a second signal during the drain does not cut it short', async () => {
    server = await startServer(config({ shutdownTimeLimit: '30s' }));
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    // 8 s: still in flight when the second signal comes, however slowly the poll and the first signal go.
    const reply = request(server.url, { path: '/slow?ms=8000' });
    await waitUntil(async () => (await inFlight(server!)) === 1, 20_000, 'the request in flight');
    const done = exited(server);
    server.proc.kill('SIGTERM');
    await server.waitForEvent((e) => e.type === 'HostStopping', 10_000);
    server.proc.kill('SIGINT');
    expect((await reply).status).toBe(200);
    expect((await done).code).toBe(0);
    server = null;
  });
});

describe('reload', () => {
  it('lowering maxProcesses from 3 to 1 drains two workers; one keeps serving', async () => {
    const base = { maxProcesses: 3 };
    server = await startServer(config(base, { recycling: { disallowRotationOnConfigChange: true } }));
    await waitUntil(
      async () => (await pools(server!))[0]!.workers.filter((w) => w.state === 'Ready').length === 3,
      30_000,
      'three workers',
    );
    const from = server.events.length;
    const file = path.join(server.dir, 'w3.json');
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...current,
        ...config({ maxProcesses: 1 }, { recycling: { disallowRotationOnConfigChange: true } }),
      }),
    );
    expect((await server.admin.request<{ ok: boolean }>('POST', '/reload')).ok).toBe(true);
    await waitUntil(
      () => server!.events.slice(from).filter((e) => e.type === 'WorkerExited').length === 2,
      20_000,
      'two exits',
    );
    const drained = server.events.slice(from).filter((e) => e.type === 'WorkerDraining');
    expect(drained.map((e) => e.reason)).toEqual(['max-processes', 'max-processes']);
    const workers = (await pools(server))[0]!.workers;
    expect(workers.map((w) => w.state)).toEqual(['Ready']);
    expect((await request(server.url, { path: '/' })).status).toBe(200);
    expect(server.events.slice(from).filter((e) => e.type === 'WorkerStarting')).toEqual([]);
  });
});

// Admission control and the pool queue: a worker runs at most maxConcurrentRequestsPerWorker requests, the rest
// wait in the pool queue, queueLength really rejects with 503 QueueFull (also for replays), the queue timer is the
// pool's one timer, a poison request costs at most one extra worker, and the listener's upstream connections to a
// worker follow the pool's settings. After each test in-flight counts and descriptors return to the baseline.
import http from 'node:http';
import path from 'node:path';
import { startServer, request, type RunningServer, type Reply } from '../test-support/server';
import { waitUntil } from '../integration-manager/test-support/manager-helpers';
import { baseline, expectSettled, fdCount, pools } from './test-support/resources';

const APP = path.join(__dirname, 'fixtures', 'robust-app.js');

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function onePool(pool: Record<string, unknown>, timers: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timers,
    pools: [{ name: 'app', ...pool }],
    applications: [{ path: '/', pool: 'app', module: APP }],
  };
}

/** Starts a server on `config` (or takes the one already started) and proves it serves. */
async function start(config: Record<string, unknown> | null): Promise<RunningServer> {
  if (config) server = await startServer(config);
  if (!server) throw new Error('no server');
  expect((await request(server.url, { path: '/' })).status).toBe(200);
  return server;
}

/** Fires `n` requests at once, each on its own connection. */
function burst(url: string, n: number, p: string): Promise<(Reply | Error)[]> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  return Promise.all(
    Array.from({ length: n }, () => request(url, { path: p, agent, timeoutMs: 60_000 }).catch((e: Error) => e)),
  ).finally(() => agent.destroy());
}

function statuses(replies: (Reply | Error)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) {
    const k = r instanceof Error ? r.message : String(r.status);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('admission control', () => {
  it('800 concurrent requests, queueLength 10: 100 run on the worker, 10 wait, 690 get 503 QueueFull', async () => {
    const s = await start(onePool({ queueLength: 10 }));
    const base = await baseline(s);
    const peak = { inFlight: 0, queued: 0, hostFds: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const p = (await pools(s))[0]!;
        peak.inFlight = Math.max(peak.inFlight, ...p.workers.map((w) => w.inFlight));
        peak.queued = Math.max(peak.queued, p.queue.length);
        peak.hostFds = Math.max(peak.hostFds, fdCount(base.hostPid));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const from = s.events.length;
    const replies = await burst(s.url, 800, '/slow?ms=8000');
    sampling = false;
    await sampler;
    // 100 run and 10 wait; every other request is refused at once with the QueueFull page. (A request of the burst
    // that arrives after the first slow ones ended — on a loaded machine — may find a free slot: served, not
    // refused; so the split is checked as bounds, the in-flight and queue peaks exactly.)
    const counts = statuses(replies);
    expect(Object.keys(counts).sort()).toEqual(['200', '503']);
    expect(counts['200']! + counts['503']!).toBe(800);
    expect(counts['200']).toBeGreaterThanOrEqual(110);
    expect(counts['503']).toBeGreaterThanOrEqual(600);
    expect(s.events.slice(from).filter((e) => e.type === 'QueueFull')).toHaveLength(counts['503']!);
    expect(replies.filter((r) => !(r instanceof Error) && r.status === 503).every((r) => !(r as Reply).workerPid)).toBe(
      true,
    );
    expect(peak.inFlight).toBe(100);
    expect(peak.queued).toBe(10);
    console.log(
      `800 concurrent, queueLength 10: peak in flight ${peak.inFlight}, queued ${peak.queued}, ` +
        `host fds ${base.hostFds} → peak ${peak.hostFds}`,
    );
    // At most maxConcurrentRequestsPerWorker pooled connections to the worker stay open afterwards.
    await expectSettled(s, base, 100);
    console.log(`800 concurrent, queueLength 10: ${JSON.stringify(counts)}`);
  }, 120_000);

  it('a request behind a busy worker waits in the queue, gets 503 Timer_AppPool at requestQueueTimeout', async () => {
    // AlwaysRunning and ready before the first request: a cold start longer than 1 s would expire it in the queue.
    const config = onePool(
      { startMode: 'AlwaysRunning', processModel: { maxConcurrentRequestsPerWorker: 1 } },
      { requestQueueTimeout: '1s' },
    );
    server = await startServer(config);
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    const s = await start(null);
    const base = await baseline(s);
    // Long enough to be still running when the queued request's 1 s is up, however slowly the poll below sees it.
    const slow = request(s.url, { path: '/slow?ms=8000' });
    await waitUntil(async () => (await pools(s))[0]!.workers[0]!.inFlight === 1, 30_000, 'the slow request to run');
    const t0 = Date.now();
    const queued = await request(s.url, { path: '/' });
    expect(queued.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await slow).status).toBe(200);
    const lines = s
      .output()
      .split('\n')
      .filter((l) => l.includes('"httperr"'));
    expect(lines.filter((l) => l.includes('Timer_AppPool'))).toHaveLength(1);
    await expectSettled(s, base);
  });

  it('a replay takes a queue slot: with the queue full, a request whose worker died gets 503 QueueFull', async () => {
    const s = await start(onePool({ queueLength: 10, processModel: { maxConcurrentRequestsPerWorker: 1 } }));
    const base = await baseline(s);
    const from = s.events.length;
    // The worker dies once the queue is full, not after a fixed time: a poison request dying 1.5 s after it started
    // sometimes went before the ten requests were queued on a loaded machine, and its replay then found room.
    const doomed = request(s.url, { path: '/slow?ms=120000', timeoutMs: 60_000 });
    await waitUntil(async () => (await pools(s))[0]!.workers[0]?.inFlight === 1, 30_000, 'the doomed request to run');
    const { pid } = (await pools(s))[0]!.workers[0]!;
    const waiting = Array.from({ length: 10 }, () => request(s.url, { path: '/' }));
    await waitUntil(async () => (await pools(s))[0]!.queue.length === 10, 30_000, 'a full queue');
    process.kill(pid, 'SIGKILL');
    expect((await doomed).status).toBe(503);
    expect(statuses(await Promise.all(waiting))).toEqual({ '200': 10 });
    expect(s.events.slice(from).filter((e) => e.type === 'QueueFull')).toHaveLength(1);
    await expectSettled(s, base);
  });
});

describe('poison requests', () => {
  it('a GET that kills its worker costs at most one extra worker; two of them do not stop the pool', async () => {
    const s = await start(onePool({}));
    const base = await baseline(s);
    for (let i = 0; i < 2; i++) {
      const from = s.events.length;
      expect((await request(s.url, { path: '/die' })).status).toBe(502);
      // The last worker it ran on dies too; wait for that before counting (and before the next poison request).
      const last = await s.waitForEvent((e) => e.type === 'RequestAbandoned', 10_000, from);
      await s.waitForEvent((e) => e.type === 'WorkerCrashed' && e.pid === last.pid, 20_000, from);
      const window = s.events.slice(from);
      // Replayed once at most, so at most two workers died for it (one when its first attempt found a worker that
      // was already dying).
      expect(window.filter((e) => e.type === 'RequestRetried').length).toBeLessThanOrEqual(1);
      const crashes = window.filter((e) => e.type === 'WorkerCrashed').length;
      expect(crashes).toBeGreaterThanOrEqual(1);
      expect(crashes).toBeLessThanOrEqual(2);
    }
    expect((await pools(s))[0]!.state).toBe('Started');
    expect((await request(s.url, { path: '/' })).status).toBe(200);
    await expectSettled(s, base);
  });
});

describe('upstream connections follow the pool settings', () => {
  it('a response stopped mid-body for requestProgressTimeout is aborted (bodyTimeout), the worker lives', async () => {
    const s = await start(onePool({ processModel: { requestProgressTimeout: '1s' } }));
    const base = await baseline(s);
    const pid = Number((await request(s.url, { path: '/' })).headers['x-app-pid']);
    const t0 = Date.now();
    const outcome = await request(s.url, { path: '/stream?ms=10000' }).then(
      () => 'complete',
      (e: Error) => e.message,
    );
    expect(outcome).not.toBe('complete');
    expect(Date.now() - t0).toBeLessThan(8000);
    await s.waitForEvent((e) => e.type === 'RequestAbandoned' && e['responseStarted'] === true, 5000);
    expect(Number((await request(s.url, { path: '/' })).headers['x-app-pid'])).toBe(pid);
    await expectSettled(s, base);
  });
});

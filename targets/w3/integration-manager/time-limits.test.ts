// startupTimeLimit and shutdownTimeLimit (IIS processModel): a worker that never reports ready is killed at the
// startup limit (5012) and counts toward rapid-fail; a draining worker still running at the shutdown limit is killed
// (5013) and counts too. What the clients of requests still in flight on it see: a started response is cut off, a
// POST without a response byte gets 502, a GET without a response byte is replayed on the replacement.
import { request, type RunningServer } from '../test-support/server';
import {
  FAST,
  SLACK_MS,
  eventsOf,
  injectFault,
  onePool,
  pool,
  startFaultServer,
  streamGet,
  waitUntil,
} from './test-support/manager-helpers';

jest.setTimeout(90_000);

describe('time limits', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('startup hang: killed at startupTimeLimit (5012), counted; the next worker serves the queued one', async () => {
    // The limit applies to the replacement too: at 3 s, replacements on a loaded machine (load average 20) were
    // killed one after the other until rapid-fail protection stopped the pool and the queued request got 503.
    // 10 s (FAST's, what every other test assumes a start takes at most) keeps the test about the hung worker.
    const LIMIT = 10_000;
    server = await startFaultServer(onePool({ processModel: { ...FAST, startupTimeLimit: LIMIT } }));
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'hang', count: 1 });
    const reply = request(server.url, { path: '/pid', timeoutMs: 60_000 });
    const starting = await server.waitForEvent((e) => e.type === 'WorkerStarting');
    const timeout = await server.waitForEvent((e) => e.type === 'StartupTimeout', LIMIT + 10_000);
    expect(timeout.eventId).toBe(5012);
    expect(timeout.pid).toBe(starting.pid);
    expect(timeout.t - starting.t).toBeGreaterThanOrEqual(LIMIT);
    expect(timeout.t - starting.t).toBeLessThanOrEqual(LIMIT + SLACK_MS);
    await server.waitForEvent(
      (e) => e.type === 'WorkerExited' && e.pid === starting.pid && e.reason === 'startup-timeout',
    );
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000);
    const r = await reply;
    expect(r.status).toBe(200);
    expect(Number(r.body)).toBe(ready.pid);
    expect(eventsOf(server, 'RapidFailCount').map((e) => [e.reason, e.count])).toEqual([['startup-timeout', 1]]);
    expect((await pool(server)).failures.count).toBe(1);
  });

  it('shutdown hang: the old worker ignores the drain and is killed at shutdownTimeLimit (5013), counted', async () => {
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...FAST, shutdownTimeLimit: '1s' } }),
    );
    const old = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await injectFault(server, old.workerId, { kind: 'shutdown-hang' });
    const from = server.events.length;
    await server.admin.request('POST', '/pools/app/recycle');
    // The drain starts once the replacement is ready: a worker start, which can take 10 s on a loaded machine.
    const draining = await server.waitForEvent((e) => e.type === 'WorkerDraining' && e.pid === old.pid, 30_000, from);
    const timeout = await server.waitForEvent((e) => e.type === 'ShutdownTimeout' && e.pid === old.pid, 10_000, from);
    expect(timeout.eventId).toBe(5013);
    // Node timers may fire a millisecond before Date.now() shows the full delay.
    expect(timeout.t - draining.t).toBeGreaterThanOrEqual(995);
    expect(timeout.t - draining.t).toBeLessThanOrEqual(1000 + SLACK_MS);
    await server.waitForEvent((e) => e.type === 'RecycleCompleted', 15_000, from);
    expect(eventsOf(server, 'RapidFailCount', from).map((e) => e.reason)).toEqual(['shutdown-timeout']);
    expect((await request(server.url)).status).toBe(200);
  });

  it('requests still in flight at the shutdown limit: started response cut off, POST 502, GET replayed', async () => {
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...FAST, shutdownTimeLimit: '1s' } }),
    );
    const old = await server.waitForEvent((e) => e.type === 'WorkerReady');
    let streamStarted!: () => void;
    const firstChunk = new Promise<void>((r) => (streamStarted = r));
    const stream = streamGet(`${server.url}/stream?ms=20000`, streamStarted);
    const post = request(server.url, { method: 'POST', path: '/slow?ms=20000', body: 'x' });
    const get = request(server.url, { path: `/slow?ms=20000&pid=${old.pid}` });
    await firstChunk;
    await waitUntil(async () => (await pool(server)).workers[0]?.inFlight === 3, 20_000, 'three requests in flight');
    const from = server.events.length;
    await server.admin.request('POST', '/pools/app/recycle');
    // A replacement start (up to 10 s on a loaded machine), then the 1 s drain.
    const timeout = await server.waitForEvent((e) => e.type === 'ShutdownTimeout' && e.pid === old.pid, 30_000, from);
    expect(timeout['inFlight']).toBe(3);

    const s = await stream;
    expect(s.status).toBe(200);
    expect(s.end).toBe('aborted');
    expect(s.body).toBe('first chunk\n');
    const p = await post;
    expect(p.status).toBe(502);
    expect(p.workerPid).toBe(old.pid);
    const g = await get;
    expect(g.status).toBe(200);
    expect(g.workerPid).not.toBe(old.pid);
    expect(
      eventsOf(server, 'RequestAbandoned', from)
        .map((e) => e['responseStarted'])
        .sort(),
    ).toEqual([false, true]);
    expect(eventsOf(server, 'RequestRetried', from)).toHaveLength(1);
  });
});

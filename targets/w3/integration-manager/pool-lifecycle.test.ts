// Pool lifecycle corners found in review: a pool stop during an overlapped recycle cancels it (not a failed overlap,
// 5093) and starts nothing; the pool queue's timer (timers.requestQueueTimeout, HTTP.sys Timer_AppPool) answers a
// request that waited too long for a worker with 503.
import { request, type RunningServer } from '../test-support/server';
import { FAST, eventsOf, onePool, pool, startFaultServer, waitUntil } from './test-support/manager-helpers';

jest.setTimeout(60_000);

describe('pool lifecycle', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('an admin stop during an overlapped recycle cancels it, starts no worker, and start works again', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: FAST }));
    const old = await server.waitForEvent((e) => e.type === 'WorkerReady');
    // The replacement hangs in start-up, so the stop lands while the overlap is in progress.
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'hang', count: 1 });
    const { recycleIds } = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
    const replacement = await server.waitForEvent((e) => e.type === 'WorkerStarting' && e.recycleId === recycleIds[0]);
    await server.admin.request('POST', '/pools/app/stop');
    const done = await server.waitForEvent(
      (e) => e.type === 'RecycleCompleted' && e.recycleId === recycleIds[0],
      10_000,
    );
    expect(done['cancelled']).toBe(true);
    await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === old.pid, 10_000);
    await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === replacement.pid, 10_000);
    expect(eventsOf(server, 'RecycleOverlapFailed')).toEqual([]);
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
    const stoppedAt = eventsOf(server, 'PoolStopped')[0]!.t;
    expect(server.events.filter((e) => e.type === 'WorkerStarting' && e.t > stoppedAt)).toEqual([]);
    expect((await request(server.url)).status).toBe(503);

    await server.admin.request('POST', '/pools/app/start');
    await waitUntil(
      async () => (await pool(server)).workers.some((w) => w.state === 'Ready'),
      15_000,
      'a ready worker',
    );
    expect((await request(server.url)).status).toBe(200);
  });

  it('requestQueueTimeout: a request that waits too long for a worker gets 503 (Timer_AppPool)', async () => {
    server = await startFaultServer({
      ...onePool({ processModel: { ...FAST, startupTimeLimit: '20s' } }),
      timers: { requestQueueTimeout: '1s' },
    });
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'hang', count: 1 });
    const sent = Date.now();
    const reply = await request(server.url);
    expect(reply.status).toBe(503);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1000);
    expect(server.output()).toContain('Timer_AppPool');
    expect((await pool(server)).queue.length).toBe(0);
  });
});

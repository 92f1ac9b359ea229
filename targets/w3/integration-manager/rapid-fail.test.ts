// Rapid-fail protection (IIS failure.rapidFailProtection): the pool stops exactly at the Nth counted failure within the
// (sliding) window; queued and new requests get the HTTP.SYS 503 (HttpLevel) or a TCP reset (TcpLevel); no worker
// starts until an admin starts the pool; other pools carry on; autoShutdownCommand runs. Failures spread wider than the
// window never trip it, and orderly recycles and idle shutdowns never count.
import fs from 'node:fs';
import path from 'node:path';
import { request, tempDir, type RunningServer } from '../test-support/server';
import {
  FAST,
  PROBE_APP,
  delay,
  eventsOf,
  injectFault,
  onePool,
  pool,
  startFaultServer,
  waitUntil,
} from './test-support/manager-helpers';

jest.setTimeout(90_000);

describe('rapid-fail protection', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('startup crash loop stops the pool at failure 3; 503s; no starts; other pool fine; start heals', async () => {
    const marker = path.join(tempDir('w3-rfp-'), 'auto-shutdown-ran');
    server = await startFaultServer({
      pools: [
        {
          name: 'app',
          processModel: FAST,
          failure: {
            rapidFailProtectionMaxCrashes: 3,
            rapidFailProtectionInterval: '1m',
            autoShutdownCommand: ['touch', marker],
          },
        },
        { name: 'other', processModel: FAST },
      ],
      applications: [
        { path: '/', pool: 'app', module: PROBE_APP },
        { path: '/other', pool: 'other', module: PROBE_APP },
      ],
    });
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'crash' });
    const queued = await Promise.all(Array.from({ length: 4 }, () => request(server.url, { path: '/pid' })));

    // Queued requests were answered by the listener itself when the pool stopped.
    expect(queued.map((r) => r.status)).toEqual([503, 503, 503, 503]);
    expect(queued[0]!.headers['server']).toBe('Microsoft-HTTPAPI/2.0');
    expect(Buffer.byteLength(queued[0]!.body)).toBe(326);
    const crashes = eventsOf(server, 'WorkerCrashed').filter((e) => e.pool === 'app');
    expect(crashes.map((e) => [e.eventId, e.reason])).toEqual(Array(3).fill([5009, 'startup-crash']));
    expect(
      eventsOf(server, 'RapidFailCount')
        .filter((e) => e.pool === 'app')
        .map((e) => e.count),
    ).toEqual([1, 2, 3]);
    const stopped = eventsOf(server, 'PoolStopped')[0]!;
    expect([stopped.eventId, stopped.reason, stopped.pool]).toEqual([5002, 'RapidFail', 'app']);
    expect(stopped.t).toBeGreaterThanOrEqual(crashes[2]!.t);
    expect(eventsOf(server, 'WorkerStarting').filter((e) => e.pool === 'app')).toHaveLength(3);

    // New requests: 503 at once, and still no worker starts.
    const fresh = await request(server.url, { path: '/pid' });
    expect(fresh.status).toBe(503);
    expect(server.output()).toContain('AppOffline');
    const snap = await pool(server);
    expect([snap.state, snap.stopReason, snap.workers.length]).toEqual(['Stopped', 'RapidFail', 0]);
    expect(server.events.filter((e) => e.type === 'WorkerStarting' && e.pool === 'app' && e.t > stopped.t)).toEqual([]);

    // Another pool is unaffected.
    expect((await request(server.url, { path: '/other/pid' })).status).toBe(200);
    await waitUntil(() => fs.existsSync(marker), 10_000, 'autoShutdownCommand to create its file');

    // Heal the fault, start the pool: it serves again and its failure count starts from zero.
    await server.admin.request('DELETE', '/pools/app/faults');
    await server.admin.request('POST', '/pools/app/start');
    const back = await request(server.url, { path: '/pid' });
    expect(back.status).toBe(200);
    const after = await pool(server);
    expect([after.state, after.failures.count]).toEqual(['Started', 0]);
  });

  it('TcpLevel: a crash plus a crashing replacement stop the pool; requests are reset, not answered', async () => {
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        processModel: FAST,
        failure: { rapidFailProtectionMaxCrashes: 2, loadBalancerCapabilities: 'TcpLevel' },
      }),
    );
    const first = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await server.admin.request('POST', '/pools/app/faults', { kind: 'startup', mode: 'crash' });
    await injectFault(server, first.workerId, { kind: 'crash', mode: 'exit', exitCode: 3 });
    const stopped = await server.waitForEvent((e) => e.type === 'PoolStopped', 15_000);
    expect(stopped.eventId).toBe(5002);
    expect(eventsOf(server, 'WorkerCrashed').map((e) => e.reason)).toEqual(['crash', 'startup-crash']);
    await expect(request(server.url)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.events.filter((e) => e.type === 'WorkerStarting' && e.t > stopped.t)).toEqual([]);
  });

  it('failures spread wider than the interval never trip it (maxCrashes 2, interval 1 s, 1.5 s apart)', async () => {
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        processModel: FAST,
        failure: { rapidFailProtectionMaxCrashes: 2, rapidFailProtectionInterval: '1s' },
      }),
    );
    let worker = await server.waitForEvent((e) => e.type === 'WorkerReady');
    let lastCrash = 0;
    for (let i = 0; i < 3; i++) {
      if (lastCrash) await delay(Math.max(0, lastCrash + 1500 - Date.now())); // the scenario: failures 1.5 s apart
      const from = server.events.length;
      await injectFault(server, worker.workerId, { kind: 'crash', mode: 'exit', exitCode: 1 });
      lastCrash = (await server.waitForEvent((e) => e.type === 'WorkerCrashed', 10_000, from)).t;
      worker = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    }
    expect(eventsOf(server, 'RapidFailCount').map((e) => e.count)).toEqual([1, 1, 1]);
    expect(eventsOf(server, 'PoolStopped')).toEqual([]);
    expect((await pool(server)).state).toBe('Started');
  });

  it('orderly recycles and idle shutdowns never count (maxCrashes 1)', async () => {
    // With maxCrashes 1 any counted failure stops the pool (FAST's ping deadline is long enough for a loaded machine).
    server = await startFaultServer(
      onePool({
        processModel: { ...FAST, idleTimeout: '1s' },
        recycling: { periodicRestart: { requests: 3 } },
        failure: { rapidFailProtectionMaxCrashes: 1 },
      }),
    );
    for (let i = 0; i < 2; i++) {
      expect((await request(server.url)).status).toBe(200);
      const from = server.events.length;
      const { recycleIds } = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
      await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === recycleIds[0], 15_000, from);
    }
    for (let i = 0; i < 4; i++) {
      const r = await request(server.url); // the 3rd one starts a Requests recycle
      // On a failure, say which counted failure stopped the pool.
      const counted = eventsOf(server, 'WorkerKilled').concat(eventsOf(server, 'WorkerCrashed'));
      expect([r.status, counted]).toEqual([200, []]);
    }
    await server.waitForEvent((e) => e.type === 'RecycleStarted' && e.reason === 'Requests');
    await server.waitForEvent((e) => e.type === 'IdleShutdown', 15_000);
    await waitUntil(async () => (await pool(server)).workers.length === 0, 15_000, 'every worker to go idle');
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
    const p = await pool(server);
    expect([p.state, p.failures.count]).toEqual(['Started', 0]);
    expect((await request(server.url)).status).toBe(200);
  });
});

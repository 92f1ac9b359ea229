// Configuration change (IIS recycles on it, event 5080): edit the file, then SIGHUP the host or POST /reload. Only
// pools whose settings changed are recycled, none with disallowRotationOnConfigChange; a broken edit is rejected and
// the server keeps running on the old configuration; a pool removed by a reload drains, and one added back is a fresh
// pool.
import fs from 'node:fs';
import path from 'node:path';
import { request, type RunningServer } from '../test-support/server';
import { FAST, PROBE_APP, eventsOf, onePool, pool, startFaultServer, waitUntil } from './test-support/manager-helpers';

jest.setTimeout(90_000);

type Config = { pools: Record<string, unknown>[]; applications: Record<string, unknown>[] } & Record<string, unknown>;

function readConfig(server: RunningServer): Config {
  return JSON.parse(fs.readFileSync(path.join(server.dir, 'w3.json'), 'utf8')) as Config;
}

function writeConfig(server: RunningServer, config: unknown): void {
  fs.writeFileSync(
    path.join(server.dir, 'w3.json'),
    typeof config === 'string' ? config : JSON.stringify(config, null, 2),
  );
}

const twoPools = {
  pools: [
    { name: 'a', startMode: 'AlwaysRunning', processModel: FAST },
    { name: 'b', startMode: 'AlwaysRunning', processModel: FAST },
  ],
  applications: [
    { path: '/a', pool: 'a', module: PROBE_APP },
    { path: '/b', pool: 'b', module: PROBE_APP },
  ],
};

describe('configuration reload', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('SIGHUP after an edit recycles the changed pool only (5080)', async () => {
    server = await startFaultServer(twoPools);
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'a');
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'b');
    const from = server.events.length;
    const config = readConfig(server);
    config.pools[0] = { ...config.pools[0], queueLength: 50 };
    writeConfig(server, config);
    process.kill(server.proc.pid!, 'SIGHUP');
    const reloaded = await server.waitForEvent((e) => e.type === 'ConfigReloaded', 10_000, from);
    expect(reloaded['recycled']).toEqual(['a']);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted', 10_000, from);
    expect([started.eventId, started.reason, started.pool]).toEqual([5080, 'ConfigChange', 'a']);
    await server.waitForEvent((e) => e.type === 'RecycleCompleted', 30_000, from);
    expect(eventsOf(server, 'RecycleStarted', from).map((e) => e.pool)).toEqual(['a']);
    expect((await pool(server, 'a')).queue.limit).toBe(50);
    expect((await request(server.url, { path: '/a' })).status).toBe(200);
  });

  it('POST /reload with disallowRotationOnConfigChange: the new settings apply without a recycle', async () => {
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: FAST, recycling: { disallowRotationOnConfigChange: true } }),
    );
    const worker = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const config = readConfig(server);
    config.pools[0] = { ...config.pools[0], queueLength: 77 };
    writeConfig(server, config);
    const out = await server.admin.request<{ ok: boolean; recycled: string[] }>('POST', '/reload');
    expect(out).toMatchObject({ ok: true, recycled: [] });
    expect(eventsOf(server, 'RecycleStarted')).toEqual([]);
    const p = await pool(server);
    expect(p.queue.limit).toBe(77);
    expect(p.workers.map((w) => w.pid)).toEqual([worker.pid]);
  });

  it('a broken edit is rejected (POST /reload 400 with the path; SIGHUP logged); the old config stays', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: FAST }));
    const worker = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const good = readConfig(server);
    writeConfig(server, { ...good, pools: [{ ...good.pools[0], queueLength: 5 }] });
    await expect(server.admin.request('POST', '/reload')).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/pools\.0\.queueLength/),
    });
    writeConfig(server, '{ "pools": [ not json');
    process.kill(server.proc.pid!, 'SIGHUP');
    await waitUntil(
      () => server.events.filter((e) => e.type === 'ConfigReloadRejected').length >= 2,
      10_000,
      'the rejected SIGHUP reload (ConfigReloadRejected)',
    );
    expect(server.proc.exitCode).toBeNull();
    expect(eventsOf(server, 'ConfigReloaded')).toEqual([]);
    expect(eventsOf(server, 'RecycleStarted')).toEqual([]);
    const p = await pool(server);
    expect([p.queue.limit, p.workers[0]?.pid]).toEqual([1000, worker.pid]);
    expect((await request(server.url)).status).toBe(200);
  });

  it('a removed pool leaves routing at once, finishes its in-flight request, drains; re-added it is new', async () => {
    // Pool b's drain outlasts its 5 s request (FAST's 3 s limit would cut it).
    const [a, b] = twoPools.pools;
    server = await startFaultServer({
      ...twoPools,
      pools: [a, { ...b, processModel: { ...FAST, shutdownTimeLimit: '20s' } }],
    });
    const bWorker = await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'b');
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'a');
    // Long enough to be seen in flight and still be there at the reload, however slowly the admin calls answer.
    const inFlight = request(server.url, { path: '/b/slow?ms=5000' });
    await waitUntil(async () => (await pool(server, 'b')).workers[0]?.inFlight === 1, 20_000, 'the request in pool b');
    const config = readConfig(server);
    writeConfig(server, { ...config, pools: [config.pools[0]], applications: [config.applications[0]] });
    const out = await server.admin.request<{ removed: string[] }>('POST', '/reload');
    expect(out.removed).toEqual(['b']);
    expect((await request(server.url, { path: '/b/pid' })).status).toBe(404);
    const all = await server.admin.request<{ name: string }[]>('GET', '/pools');
    expect(all.map((p) => p.name)).toEqual(['a']);
    const r = await inFlight;
    expect([r.status, r.workerPid]).toEqual([200, bWorker.pid]);
    await server.waitForEvent(
      (e) => e.type === 'WorkerExited' && e.pid === bWorker.pid && e.reason === 'pool-removed',
      10_000,
    );

    writeConfig(server, config);
    const again = await server.admin.request<{ added: string[] }>('POST', '/reload');
    expect(again.added).toEqual(['b']);
    const fresh = await request(server.url, { path: '/b/pid' });
    expect(fresh.status).toBe(200);
    expect(fresh.workerPid).not.toBe(bWorker.pid);
    expect((await pool(server, 'b')).state).toBe('Started');
  });
});

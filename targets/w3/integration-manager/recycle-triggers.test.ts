// Recycle triggers (IIS recycling settings), each with its IIS event ID: periodicRestart.requests (5075), .time (5074),
// .privateMemory (5117) and .memory (virtual, 5077) under a leak fault, .schedule (5076, "HH:MM:SS" local time),
// and the application declaring itself unhealthy (5078, IsapiUnhealthy). A foreign IPC message from the app
// (PM2's process.send('ready')) must not be mistaken for a corrupted worker.
import fs from 'node:fs';
import path from 'node:path';
import { request, type RunningServer } from '../test-support/server';
import {
  FAST,
  eventsOf,
  injectFault,
  onePool,
  pool,
  startFaultServer,
  waitUntil,
} from './test-support/manager-helpers';

jest.setTimeout(90_000);

const LEAK = { kind: 'leak', rateKBps: 51_200, capKB: 400 * 1024, space: 'offheap' };
/**
 * How long a test waits for the leak to pass a 200 MB limit. Its rate is nominal: the leak allocates one step per
 * 100 ms timer tick, and a worker starved of CPU gets fewer ticks (at load average 27 it had not reached the limit
 * 20 s after the fault, against 4 s on a quiet machine).
 */
const LEAK_WAIT_MS = 60_000;

function timeOfDay(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

describe('recycle triggers', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('periodicRestart.requests: the worker is recycled after its 5th completed request (5075)', async () => {
    server = await startFaultServer(onePool({ processModel: FAST, recycling: { periodicRestart: { requests: 5 } } }));
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) pids.push((await request(server.url)).workerPid);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted');
    expect([started.eventId, started.reason, started.pid]).toEqual([5075, 'Requests', pids[0]]);
    expect(new Set(pids).size).toBe(1);
    const done = await server.waitForEvent((e) => e.type === 'RecycleCompleted');
    const next = await request(server.url);
    expect(next.workerPid).toBe(done['newPid']);
  });

  it('periodicRestart.time: recycled once the worker has lived that long (5074)', async () => {
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: FAST, recycling: { periodicRestart: { time: '1500ms' } } }),
    );
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted', 15_000);
    expect([started.eventId, started.reason, started.pid]).toEqual([5074, 'Time', ready.pid]);
    expect(started.t - ready.t).toBeGreaterThanOrEqual(1500);
    await server.waitForEvent((e) => e.type === 'RecycleCompleted', 30_000);
  });

  it('periodicRestart.privateMemory: a leaking worker is recycled (5117) and its replacement serves', async () => {
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        processModel: FAST,
        recycling: { periodicRestart: { privateMemory: 200_000 } },
      }),
    );
    const leaky = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await injectFault(server, leaky.workerId, LEAK);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted', LEAK_WAIT_MS);
    expect([started.eventId, started.reason, started.pid]).toEqual([5117, 'PrivateMemory', leaky.pid]);
    expect(String(started['detail'])).toMatch(/KB > 200000 KB/);
    const done = await server.waitForEvent((e) => e.type === 'RecycleCompleted', 30_000);
    expect((await request(server.url)).workerPid).toBe(done['newPid']);
  }, 150_000);

  it('periodicRestart.memory (virtual) set by a reload without rotation; a leak recycles (5077)', async () => {
    // A Node process reserves a large, machine-dependent address space, so the limit is derived from the running
    // worker: start without a limit, read its virtual size, then reload with a limit 100 MB above it.
    const pools = (memory: number) => [
      {
        name: 'app',
        startMode: 'AlwaysRunning',
        processModel: FAST,
        recycling: { disallowRotationOnConfigChange: true, periodicRestart: { memory } },
      },
    ];
    server = await startFaultServer({ ...onePool(), pools: pools(0) });
    const worker = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await waitUntil(
      async () => ((await pool(server)).workers[0]?.virtualMemoryKB ?? 0) > 0,
      10_000,
      'a virtual memory sample',
    );
    const vm = (await pool(server)).workers[0]!.virtualMemoryKB;
    const file = path.join(server.dir, 'w3.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...config, pools: pools(vm + 100_000) }));
    const reloaded = await server.admin.request<{ recycled: string[] }>('POST', '/reload');
    expect(reloaded.recycled).toEqual([]);
    await injectFault(server, worker.workerId, LEAK);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted', LEAK_WAIT_MS);
    expect([started.eventId, started.reason, started.pid]).toEqual([5077, 'Memory', worker.pid]);
  }, 150_000);

  it('periodicRestart.schedule: a time of day "HH:MM:SS" seconds ahead recycles the worker then (5076)', async () => {
    // The schedule is set by a reload once the worker is up, so a slow host start cannot make the test miss it.
    const base = {
      startMode: 'AlwaysRunning',
      processModel: FAST,
      recycling: { disallowRotationOnConfigChange: true },
    };
    server = await startFaultServer(onePool(base));
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const at = new Date(Date.now() + 3000);
    at.setMilliseconds(0);
    const file = path.join(server.dir, 'w3.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const scheduled = { ...base, recycling: { ...base.recycling, periodicRestart: { schedule: [timeOfDay(at)] } } };
    fs.writeFileSync(file, JSON.stringify({ ...config, ...onePool(scheduled) }));
    expect((await server.admin.request<{ recycled: string[] }>('POST', '/reload')).recycled).toEqual([]);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted', 20_000);
    expect([started.eventId, started.reason, started.pid]).toEqual([5076, 'Schedule', ready.pid]);
    expect(started.t).toBeGreaterThanOrEqual(at.getTime());
    // The pool ticks every 200 ms here; the bound leaves room for a tick delayed on a loaded machine.
    expect(started.t - at.getTime()).toBeLessThan(5000);
  });

  it('an app calling process.send({ type: "unhealthy" }) is recycled (5078, IsapiUnhealthy)', async () => {
    server = await startFaultServer(onePool({ processModel: FAST }));
    const reply = await request(server.url, { path: '/unhealthy' });
    expect(reply.status).toBe(200);
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted');
    expect([started.eventId, started.reason, started.pid, started['detail']]).toEqual([
      5078,
      'IsapiUnhealthy',
      reply.workerPid,
      'probe-app: cache corrupted',
    ]);
    const done = await server.waitForEvent((e) => e.type === 'RecycleCompleted');
    expect((await request(server.url)).workerPid).toBe(done['newPid']);
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
  });

  it("an app's own IPC message (PM2's process.send('ready')) is ignored, not a malformed control message", async () => {
    server = await startFaultServer(onePool({ processModel: FAST, failure: { rapidFailProtectionMaxCrashes: 1 } }));
    const first = await request(server.url, { path: '/pm2-ready' });
    expect(first.status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await request(server.url, { path: '/pm2-ready' })).workerPid).toBe(first.workerPid);
    await waitUntil(
      () => server.output().includes('application message on the w3 control channel ignored'),
      5000,
      'the warning',
    );
    expect(eventsOf(server, 'WorkerKilled')).toEqual([]);
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
    expect((await pool(server)).state).toBe('Started');
  });
});

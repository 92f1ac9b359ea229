// Overlapped recycling under keep-alive load: connections survive, nothing fails, and the replacement only gets
// traffic after it reported ready.
import path from 'node:path';
import { startServer, trackedAgent, loadLoop, APPS, type RunningServer, type Reply } from '../test-support/server';

// 20 recycles took over 120 s at load 28 (a full test run beside six others' work).
jest.setTimeout(300_000);

describe('overlapped recycle', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('keep-alive connections survive 20 back-to-back recycles under concurrent load', async () => {
    server = await startServer({
      pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { shutdownTimeLimit: '10s' } }],
      applications: [{ path: '/', pool: 'app', module: path.join(APPS, 'lab-app.js') }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
    const tracked = trackedAgent(8);
    const load = loadLoop(server.url, tracked.agent, 8);
    for (let i = 0; i < 20; i++) {
      const from = server.events.length;
      const out = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
      expect(out.recycleIds).toHaveLength(1);
      await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === out.recycleIds[0], 20000, from);
    }
    await load.stop();
    const closed = tracked.closedByServer();
    tracked.done();

    const errors = load.results.filter((r): r is Error => r instanceof Error);
    const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    expect(replies.length).toBeGreaterThan(100);
    expect(closed).toBe(0);
    expect(tracked.sockets()).toBe(8);

    // Every worker that served a request had reported ready before that response ended.
    const readyAt = new Map<number, number>();
    for (const e of server.events) if (e.type === 'WorkerReady') readyAt.set(e.pid!, e.t);
    const servedBy = new Set(replies.map((r) => r.workerPid));
    expect(servedBy.size).toBeGreaterThanOrEqual(15);
    for (const r of replies) {
      expect(readyAt.has(r.workerPid)).toBe(true);
      expect(r.endedAt).toBeGreaterThanOrEqual(readyAt.get(r.workerPid)!);
    }
    expect(server.events.filter((e) => e.type === 'WorkerCrashed')).toEqual([]);
  });

  it('with disallowOverlappingRotation never runs two workers at once; requests in the gap wait, succeed', async () => {
    server = await startServer({
      pools: [{ name: 'app', startMode: 'AlwaysRunning', recycling: { disallowOverlappingRotation: true } }],
      applications: [{ path: '/', pool: 'app', module: path.join(APPS, 'lab-app.js') }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
    const tracked = trackedAgent(4);
    const load = loadLoop(server.url, tracked.agent, 4);
    for (let i = 0; i < 5; i++) {
      const from = server.events.length;
      const out = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
      await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === out.recycleIds[0], 20000, from);
    }
    await load.stop();
    tracked.done();
    const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
    expect(load.results.filter((r) => r instanceof Error)).toEqual([]);
    expect(replies.every((r) => r.status === 200)).toBe(true);

    // Replay the event log: at no moment are two workers of the pool alive.
    let alive = 0;
    let maxAlive = 0;
    for (const e of server.events) {
      if (e.type === 'WorkerStarting') alive++;
      if (e.type === 'WorkerExited' || e.type === 'WorkerCrashed') alive--;
      maxAlive = Math.max(maxAlive, alive);
    }
    expect(maxAlive).toBe(1);
    expect(server.events.filter((e) => e.type === 'WorkerStarting').length).toBe(6);
  });
});

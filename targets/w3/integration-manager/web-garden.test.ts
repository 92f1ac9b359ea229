// Web gardens (maxProcesses > 1; staggered recycles as in IIS): requests are balanced over the workers, also when
// keep-alive connections keep their worker (connection affinity), and never beyond a worker's concurrency limit; the
// crash of one worker fails only requests that were on it (GETs not even those: they are replayed); time-based
// recycles of workers started together are staggered instead of all happening at once.
import http from 'node:http';
import { loadLoop, request, trackedAgent, type Reply, type RunningServer } from '../test-support/server';
import { FAST, eventsOf, injectFault, onePool, startFaultServer, waitUntil } from './test-support/manager-helpers';

jest.setTimeout(90_000);

function postLoop(url: string, agent: http.Agent, concurrency: number, until: Promise<void>): Promise<Reply[]> {
  let running = true;
  void until.then(() => (running = false));
  return Promise.all(
    Array.from({ length: concurrency }, async () => {
      const out: Reply[] = [];
      while (running) out.push(await request(url, { method: 'POST', path: '/slow?ms=30', agent, body: 'x' }));
      return out;
    }),
  ).then((all) => all.flat());
}

describe('web garden', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('maxProcesses 3: concurrent requests are balanced across the three workers', async () => {
    // FAST's ping deadline is long enough for a loaded machine: a worker whose ping is overdue takes no new request
    // (and one that misses it is replaced), which would unbalance this test.
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...FAST, maxProcesses: 3 } }),
    );
    // Three Node workers starting at once on a loaded 2-core machine can take well over 15 s.
    await waitUntil(() => eventsOf(server, 'WorkerReady').length >= 3, 60_000, 'three ready workers');
    const tracked = trackedAgent(6);
    const load = loadLoop(server.url, tracked.agent, 6, '/slow?ms=20');
    await waitUntil(() => load.results.length >= 300, 60_000, '300 replies');
    await load.stop();
    tracked.done();
    const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
    expect(replies.length).toBe(load.results.length);
    const perPid = new Map<number, number>();
    for (const r of replies) perPid.set(r.workerPid, (perPid.get(r.workerPid) ?? 0) + 1);
    expect(perPid.size).toBe(3);
    // A fair share is a third. On a machine at load 25 a worker that the kernel leaves waiting is briefly busier, and
    // connections leave it (this failed once at 0.2); a tenth each still fails a garden that does not spread (pack
    // gives the other workers 0 %).
    for (const n of perPid.values()) expect(n / replies.length).toBeGreaterThan(0.1);
  });

  it('maxProcesses 2, sustained keep-alive load: both workers serve, none beyond its concurrency limit', async () => {
    // Connections keep their worker while it is not much busier (connection affinity): this checks that the
    // affinity neither leaves a worker idle nor lets a preferred worker run more than maxConcurrentRequestsPerWorker
    // (16 connections, 2 × 3 slots: the other 10 requests wait in the pool queue).
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        processModel: { ...FAST, pingResponseTime: '5s', maxProcesses: 2, maxConcurrentRequestsPerWorker: 3 },
      }),
    );
    await waitUntil(() => eventsOf(server, 'WorkerReady').length >= 2, 60_000, 'two ready workers');
    const tracked = trackedAgent(16);
    const load = loadLoop(server.url, tracked.agent, 16, '/concurrent?ms=30');
    await waitUntil(() => load.results.length >= 400, 60_000, '400 replies');
    await load.stop();
    tracked.done();
    const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
    expect(replies.length).toBe(load.results.length);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const perPid = new Map<number, { n: number; max: number }>();
    for (const r of replies) {
      const p = perPid.get(r.workerPid) ?? { n: 0, max: 0 };
      p.n++;
      p.max = Math.max(p.max, Number(r.headers['x-max-concurrent']));
      perPid.set(r.workerPid, p);
    }
    expect(perPid.size).toBe(2);
    for (const p of perPid.values()) {
      expect(p.n / replies.length).toBeGreaterThan(0.25);
      // 16 clients on 6 slots keep both workers full: each reached its limit, and never went beyond it.
      expect(p.max).toBe(3);
    }
  });

  it('a crash of one garden worker fails only the POSTs that were on it; every GET succeeds', async () => {
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        // 5 s pings, as above: a sibling killed for a late pong on a loaded machine would fail POSTs of its own.
        processModel: { ...FAST, pingResponseTime: '5s', maxProcesses: 2 },
        failure: { rapidFailProtectionMaxCrashes: 100 },
      }),
    );
    await waitUntil(() => eventsOf(server, 'WorkerReady').length >= 2, 60_000, 'two ready workers');
    const [victim] = eventsOf(server, 'WorkerReady');
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const postAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const posts = postLoop(server.url, postAgent, 4, stopped);
    const getAgent = trackedAgent(4);
    const gets = loadLoop(server.url, getAgent.agent, 4, '/slow?ms=30');
    await waitUntil(() => gets.results.length >= 40, 30_000, 'GET traffic on both workers');
    const from = server.events.length;
    await injectFault(server, victim!.workerId, { kind: 'crash', mode: 'signal', signal: 'SIGKILL' });
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    const mark = gets.results.length;
    await waitUntil(() => gets.results.length >= mark + 40, 30_000, 'GET traffic after the crash');
    stop();
    await gets.stop();
    const postReplies = await posts;
    getAgent.done();
    postAgent.destroy();

    expect(gets.results.filter((r) => r instanceof Error || r.status !== 200)).toEqual([]);
    const failed = postReplies.filter((r) => r.status !== 200);
    for (const r of failed) expect([r.status, r.workerPid]).toEqual([502, victim!.pid]);
    expect(postReplies.filter((r) => r.status === 200 && r.workerPid !== victim!.pid).length).toBeGreaterThan(0);
  });

  it('periodicRestart.time recycles of workers started together are staggered (time/maxProcesses apart)', async () => {
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        processModel: { ...FAST, maxProcesses: 3 },
        recycling: { periodicRestart: { time: '3s' } },
      }),
    );
    // Three workers starting together, 3 s of life, then three recycles one after the other, each over only once its
    // replacement has started: at load average 30 this took 17-23 s of a former 30 s deadline, and more on a machine
    // with cold caches right after a build.
    await waitUntil(() => eventsOf(server, 'RecycleStarted').length >= 3, 120_000, 'three time-based recycles');
    const starts = eventsOf(server, 'RecycleStarted').slice(0, 3);
    expect(starts.every((e) => e.reason === 'Time' && e.eventId === 5074)).toBe(true);
    expect(new Set(starts.map((e) => e.pid)).size).toBe(3);
    for (let i = 1; i < 3; i++) expect(starts[i]!.t - starts[i - 1]!.t).toBeGreaterThanOrEqual(1000);
    // Never two time recycles at once: each started after the previous one completed.
    const completed = eventsOf(server, 'RecycleCompleted');
    for (let i = 1; i < 3; i++) {
      const prev = completed.find((e) => e.recycleId === starts[i - 1]!.recycleId)!;
      expect(prev).toBeDefined();
      expect(starts[i]!.t).toBeGreaterThanOrEqual(prev.t);
    }
  }, 180_000);
});

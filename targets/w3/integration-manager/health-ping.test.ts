// Health pings (IIS processModel.pingingEnabled): a worker whose event loop is blocked, or that only stops answering
// pings, is killed within pingInterval + pingResponseTime (event 5010, a rapid-fail failure) and replaced; requests
// sent meanwhile are served by the replacement. A CPU-busy worker that still answers is left alone.
import { request, type RunningServer } from '../test-support/server';
import {
  FAST,
  PINGS,
  PING_DETECT_MS,
  SLACK_MS,
  delay,
  eventsOf,
  injectFault,
  onePool,
  pool,
  startFaultServer,
  waitUntil,
} from './test-support/manager-helpers';

jest.setTimeout(90_000);

describe('health pings', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('blocked event loop: PingFailed 5010 in time, killed; requests meanwhile succeed on the replacement', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: PINGS }));
    const hung = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, hung.workerId, { kind: 'hang', mode: 'block-loop', durationMs: 20_000 });
    const injected = await server.waitForEvent((e) => e.type === 'FaultInjected' && e.pid === hung.pid, 5000, from);
    const gets = Array.from({ length: 5 }, () => request(server.url, { path: '/pid', timeoutMs: 60_000 }));

    const failed = await server.waitForEvent((e) => e.type === 'PingFailed' && e.pid === hung.pid, 15_000, from);
    expect(failed.eventId).toBe(5010);
    expect(failed.t - injected.t).toBeLessThanOrEqual(PING_DETECT_MS + SLACK_MS);
    await server.waitForEvent((e) => e.type === 'WorkerKilled' && e.pid === hung.pid, 5000, from);
    const replacement = await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pid !== hung.pid, 30_000, from);

    const replies = await Promise.all(gets);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    for (const r of replies) expect(Number(r.body)).toBe(replacement.pid);
    const counts = eventsOf(server, 'RapidFailCount', from);
    expect(counts.map((e) => e.reason)).toEqual(['ping']);
  });

  it('a worker whose ping is overdue gets no new requests: a POST sent then is served by the replacement', async () => {
    // A long pingResponseTime leaves a wide, observable window between "ping overdue" and the kill: the checks below
    // read the hung worker, still listed. (At 4 s, admin calls slow on a loaded machine could take the window.)
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...FAST, pingResponseTime: '8s' } }),
    );
    const hung = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, hung.workerId, { kind: 'hang', mode: 'block-loop', durationMs: 20_000 });
    // Overdue after min(1 s, pingResponseTime / 2): GET /pools shows the age of the unanswered ping.
    await waitUntil(
      async () => ((await pool(server)).workers[0]?.pingPendingMs ?? 0) > 1200,
      10_000,
      'an overdue ping',
    );
    const post = request(server.url, { method: 'POST', path: '/echo', body: 'kept in the queue', timeoutMs: 60_000 });
    // It waits in the pool queue, not in the hung worker.
    await waitUntil(async () => (await pool(server)).queue.length === 1, 10_000, 'the POST to be queued');
    expect((await pool(server)).workers.find((w) => w.pid === hung.pid)?.inFlight).toBe(0);
    const replacement = await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pid !== hung.pid, 30_000, from);
    const reply = await post;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('kept in the queue');
    expect(reply.workerPid).toBe(replacement.pid);
  });

  it('a worker that serves but ignores pings is killed (5010) and replaced', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: PINGS }));
    const deaf = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, deaf.workerId, { kind: 'hang', mode: 'ignore-pings' });
    const injected = await server.waitForEvent((e) => e.type === 'FaultInjected' && e.pid === deaf.pid, 5000, from);
    const failed = await server.waitForEvent((e) => e.type === 'PingFailed' && e.pid === deaf.pid, 15_000, from);
    expect(failed.eventId).toBe(5010);
    expect(failed.t - injected.t).toBeLessThanOrEqual(PING_DETECT_MS + SLACK_MS);
    await server.waitForEvent(
      (e) => e.type === 'WorkerExited' && e.pid === deaf.pid && e.reason === 'ping',
      5000,
      from,
    );
    const replacement = await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pid !== deaf.pid, 30_000, from);
    const reply = await request(server.url, { path: '/pid' });
    expect(Number(reply.body)).toBe(replacement.pid);
  });

  it('a CPU-busy worker that still answers pings (cpu-spin 50 %) is not killed', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: PINGS }));
    const busy = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    // Watched for longer than a ping deadline: a worker that stopped answering would be killed within the watch.
    const watchMs = PING_DETECT_MS + 2000;
    await injectFault(server, busy.workerId, { kind: 'cpu-spin', dutyPercent: 50, durationMs: watchMs });
    // Twenty ping rounds under load; requests keep being served by the same worker (a request can take half a
    // second on a machine at load 25: several, not a rate).
    const deadline = Date.now() + watchMs;
    let served = 0;
    while (Date.now() < deadline) {
      const r = await request(server.url, { path: '/pid' });
      expect(r.status).toBe(200);
      expect(Number(r.body)).toBe(busy.pid);
      served++;
      await delay(100);
    }
    expect(served).toBeGreaterThanOrEqual(3);
    expect(eventsOf(server, 'PingFailed', from)).toEqual([]);
    expect(eventsOf(server, 'WorkerKilled', from)).toEqual([]);
    const p = await pool(server);
    expect(p.workers.map((w) => [w.pid, w.state])).toEqual([[busy.pid, 'Ready']]);
  });
});

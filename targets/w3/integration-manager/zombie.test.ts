// The zombie (a worker that keeps answering pings but stops serving): pings answered, requests stalled.
// IIS cannot see it; w3's request-progress watchdog (processModel.requestProgressTimeout, off by default) can:
// RequestStalled, killed, replaced; the stalled GETs are replayed on the replacement, a stalled POST gets 502.
import { request, type RunningServer } from '../test-support/server';
import {
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

/** requestProgressTimeout: longer than PING_DETECT_MS (see the first test). */
const PROGRESS_MS = PING_DETECT_MS + 1800;

describe('zombie worker (answers pings, serves nothing)', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('requestProgressTimeout: RequestStalled, killed, replaced; stalled GETs succeed, stalled POST 502', async () => {
    // The stall is declared after a ping deadline and more: a zombie that stopped answering pings too would have
    // been killed for that first (PingFailed), which this test would see.
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...PINGS, requestProgressTimeout: PROGRESS_MS } }),
    );
    const zombie = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, zombie.workerId, { kind: 'hang', mode: 'stall-requests' });
    const sentAt = Date.now();
    const gets = Array.from({ length: 3 }, () => request(server.url, { path: '/pid' }));
    const post = request(server.url, { method: 'POST', path: '/echo', body: 'not replayable' });

    const stalled = await server.waitForEvent((e) => e.type === 'RequestStalled' && e.pid === zombie.pid, 15_000, from);
    expect(stalled.t - sentAt).toBeGreaterThanOrEqual(PROGRESS_MS);
    expect(stalled.t - sentAt).toBeLessThanOrEqual(PROGRESS_MS + SLACK_MS);
    expect(eventsOf(server, 'PingFailed', from)).toEqual([]); // the pings kept being answered
    await server.waitForEvent((e) => e.type === 'WorkerKilled' && e.pid === zombie.pid, 5000, from);
    const replacement = await server.waitForEvent(
      (e) => e.type === 'WorkerReady' && e.pid !== zombie.pid,
      15_000,
      from,
    );

    const replies = await Promise.all(gets);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of replies) expect(Number(r.body)).toBe(replacement.pid);
    expect((await post).status).toBe(502);
    expect(eventsOf(server, 'RequestRetried', from)).toHaveLength(3);
    expect(eventsOf(server, 'RapidFailCount', from).map((e) => e.reason)).toEqual(['stalled']);
  });

  it('default (requestProgressTimeout 0): zombie undetected; healing it releases the held requests', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: PINGS }));
    const zombie = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, zombie.workerId, { kind: 'hang', mode: 'stall-requests' });
    const held = request(server.url, { path: '/pid' });
    await waitUntil(
      async () => (await pool(server)).workers[0]?.inFlight === 1,
      5000,
      'the request to reach the worker',
    );
    await delay(PING_DETECT_MS + 1000); // longer than a ping deadline, many ping rounds: nothing may happen
    expect(eventsOf(server, 'RequestStalled', from)).toEqual([]);
    expect(eventsOf(server, 'PingFailed', from)).toEqual([]);
    expect(eventsOf(server, 'WorkerKilled', from)).toEqual([]);
    await server.admin.request('DELETE', `/pools/app/workers/${zombie.workerId}/faults`);
    const reply = await held;
    expect(reply.status).toBe(200);
    expect(Number(reply.body)).toBe(zombie.pid);
  });
});

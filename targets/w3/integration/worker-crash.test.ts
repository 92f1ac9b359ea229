// A worker killed with SIGKILL under load: idempotent requests are replayed on the replacement, an in-flight
// POST gets 502 on a connection that stays open, and no client connection is closed by the server.
import path from 'node:path';
import http from 'node:http';
import {
  startServer,
  trackedAgent,
  loadLoop,
  request,
  APPS,
  type RunningServer,
  type Reply,
} from '../test-support/server';

jest.setTimeout(120_000);

describe('worker crash', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('every GET succeeds across SIGKILLs; an in-flight POST gets 502 and its connection stays usable', async () => {
    server = await startServer({
      pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }],
      applications: [{ path: '/', pool: 'app', module: path.join(APPS, 'lab-app.js') }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
    const tracked = trackedAgent(8);
    const load = loadLoop(server.url, tracked.agent, 8, '/slow?ms=5');
    const postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    for (let i = 0; i < 3; i++) {
      const pools = await server.admin.request<{ workers: { pid: number; state: string }[] }[]>('GET', '/pools');
      const pid = pools[0]!.workers.find((w) => w.state === 'Ready')!.pid;
      const post = request(server.url, { method: 'POST', path: '/slow?ms=3000', agent: postAgent, body: 'x' });
      await new Promise((r) => setTimeout(r, 300)); // let the POST reach the worker (it is slow on purpose)
      const from = server.events.length;
      process.kill(pid, 'SIGKILL');
      const reply = await post;
      expect(reply.status).toBe(502);
      // Same connection, next request: served by the replacement.
      const next = await request(server.url, { agent: postAgent, path: '/' });
      expect(next.status).toBe(200);
      expect(next.localPort).toBe(reply.localPort);
      await server.waitForEvent((e) => e.type === 'WorkerReady', 15000, from);
    }
    await load.stop();
    const closed = tracked.closedByServer();
    tracked.done();
    postAgent.destroy();

    const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
    expect(load.results.filter((r) => r instanceof Error)).toEqual([]);
    expect(replies.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    expect(closed).toBe(0);
    expect(server.events.filter((e) => e.type === 'WorkerCrashed' && e.eventId === 5009)).toHaveLength(3);
  });
});

// The listener's response cache end to end: a cacheable URL is stored after the frequent-hit rule and answered
// without a worker (X-W3-Cache: HIT, Age) — also while the pool's only worker is SIGKILLed and replaced and while
// the pool recycles; uncacheable requests and responses still go to workers; a stopped pool is not served from
// the cache; a disabled cache never answers.
import http from 'node:http';
import { startServer, request, type RunningServer, type Reply } from '../test-support/server';
import { LISTENER_APP } from './test-support/raw-client';

jest.setTimeout(90_000);

interface PoolView {
  state: string;
  workers: { pid: number; state: string; requests: number }[];
}

describe('response cache', () => {
  let server: RunningServer;
  const agent = new http.Agent({ keepAlive: false });
  const get = (path: string, headers?: Record<string, string>) => request(server.url, { path, agent, headers });
  const isHit = (r: Reply) => r.headers['x-w3-cache'] === 'HIT';
  const pools = async () => (await server.admin.request<PoolView[]>('GET', '/pools'))[0]!;

  beforeAll(async () => {
    server = await startServer({
      pools: [
        {
          name: 'app',
          startMode: 'AlwaysRunning',
          recycling: { disallowOverlappingRotation: true }, // a real gap with no worker during a recycle
          failure: { rapidFailProtectionMaxCrashes: 100 },
        },
      ],
      // A replacement worker takes 5 s to become ready: long enough to see who answers meanwhile, also when each
      // request takes a few hundred ms on a loaded machine (at 1.5 s a handful of them could outlast it).
      applications: [{ path: '/', pool: 'app', module: LISTENER_APP, env: { START_MS: '5000' } }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
  });
  afterAll(async () => {
    agent.destroy();
    await server?.stop();
  });

  it('stores a URL once it reaches the frequent-hit threshold (2) and then answers it without a worker', async () => {
    const before = (await pools()).workers[0]!.requests;
    const [r1, r2, r3, r4] = [
      await get('/cache/a'),
      await get('/cache/a'),
      await get('/cache/a'),
      await get('/cache/a'),
    ];
    expect([r1, r2, r3, r4].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect([r1, r2].map(isHit)).toEqual([false, false]);
    expect(r1.workerPid).toBeGreaterThan(0);
    expect([r3, r4].map(isHit)).toEqual([true, true]);
    expect(r3.workerPid).toBe(0); // no X-W3-Worker-Pid: the listener answered
    expect(r3.body).toBe(r2.body); // the response to the hit that reached the threshold
    expect(Number(r3.headers['age'])).toBeGreaterThanOrEqual(0);
    expect(r3.headers['cache-control']).toBe('public, max-age=60');
    expect(r3.headers['content-length']).toBe(String(Buffer.byteLength(r2.body)));
    expect((await pools()).workers[0]!.requests - before).toBe(2);
  });

  it('sends uncacheable requests and responses to the worker every time', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 3; i++) {
      replies.push(
        await get('/'),
        await get('/cache/a?x=1'),
        await get('/private/a'),
        await get('/cache/a', { Authorization: 'Basic eDp5' }),
      );
    }
    expect(replies.filter(isHit)).toEqual([]);
    expect(replies.every((r) => r.status === 200 && r.workerPid > 0)).toBe(true);
  });

  it('keeps answering cached URLs while the only worker is SIGKILLed and replaced', async () => {
    expect(isHit(await get('/cache/a'))).toBe(true);
    const pid = (await pools()).workers[0]!.pid;
    const from = server.events.length;
    process.kill(pid, 'SIGKILL');
    await server.waitForEvent((e) => e.type === 'WorkerCrashed' && e.pid === pid, 15_000, from);
    const uncached = get('/'); // waits in the queue for the replacement
    const hits: Reply[] = [];
    for (let i = 0; i < 5; i++) hits.push(await get('/cache/a'));
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    expect(hits.map((r) => [r.status, isHit(r)])).toEqual(Array(5).fill([200, true]));
    for (const r of hits) expect(r.endedAt).toBeLessThan(ready.t);
    const late = await uncached;
    expect(late.status).toBe(200);
    expect(late.workerPid).toBe(ready.pid);
  });

  it('keeps answering cached URLs while the pool recycles (no worker between the old and the new)', async () => {
    const from = server.events.length;
    await server.admin.request('POST', '/pools/app/recycle');
    await server.waitForEvent((e) => e.type === 'WorkerExited', 15_000, from);
    const hits: Reply[] = [];
    for (let i = 0; i < 3; i++) hits.push(await get('/cache/a'));
    const ready = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    expect(hits.map((r) => [r.status, isHit(r)])).toEqual(Array(3).fill([200, true]));
    for (const r of hits) expect(r.endedAt).toBeLessThan(ready.t);
  });

  it('does not answer from the cache for a stopped pool (503), and a restart starts from an empty cache', async () => {
    expect(isHit(await get('/cache/a'))).toBe(true);
    const restart = async () => {
      const from = server.events.length;
      await server.admin.request('POST', '/pools/app/start');
      await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    };
    // Stop and start with no request in between: the entry went at the stop, not at a lookup.
    await server.admin.request('POST', '/pools/app/stop');
    await restart();
    const fresh = await get('/cache/a');
    expect(isHit(fresh)).toBe(false);
    expect(fresh.workerPid).toBeGreaterThan(0);
    expect(isHit(await get('/cache/a'))).toBe(false); // the 2nd hit stores it again
    expect(isHit(await get('/cache/a'))).toBe(true);

    await server.admin.request('POST', '/pools/app/stop');
    const stopped = await get('/cache/a');
    expect(stopped.status).toBe(503);
    expect(Buffer.byteLength(stopped.body)).toBe(326);
    await restart();
  });
});

describe('response cache disabled', () => {
  let server: RunningServer;
  afterAll(async () => server?.stop());

  it('never answers from the cache', async () => {
    server = await startServer({
      cache: { enabled: false, frequentHitThreshold: 1 },
      pools: [{ name: 'app' }],
      applications: [{ path: '/', pool: 'app', module: LISTENER_APP }],
    });
    const agent = new http.Agent({ keepAlive: false });
    const replies: Reply[] = [];
    for (let i = 0; i < 4; i++) replies.push(await request(server.url, { path: '/cache/a', agent }));
    agent.destroy();
    expect(replies.map((r) => [r.status, r.headers['x-w3-cache'] ?? null, r.workerPid > 0])).toEqual(
      Array(4).fill([200, null, true]),
    );
  });
});

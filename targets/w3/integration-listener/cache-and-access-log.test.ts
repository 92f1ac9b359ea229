// The response cache and the access log behave the same on both transports (listen.transport http and frames):
// misses carry X-W3-Worker-Pid and hits do not, a hit has the miss's headers plus Age and X-W3-Cache, a chunked
// response is stored with its Content-Length, pipelined hits on one keep-alive connection come back in order with
// a miss behind them, an HTTP/1.0 hit closes, maxCacheSize refuses what does not fit, a response cut off by a
// worker exit is never stored, and every request answered by a worker or the cache writes one access-log line.
import http from 'node:http';
import { startServer, request, type RunningServer, type Reply } from '../test-support/server';
import { LISTENER_APP, connect, exchange, parseResponse, type RawResponse } from './test-support/raw-client';

jest.setTimeout(120_000);

interface AccessLine {
  method: string;
  url: string;
  status?: number;
  pool: string;
  workerPid?: number;
}

function accessLines(server: RunningServer): AccessLine[] {
  const out: AccessLine[] = [];
  for (const line of server.output().split('\n')) {
    if (!line.includes('"log":"access"')) continue;
    try {
      out.push(JSON.parse(line) as AccessLine);
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/** Every complete response in `buf` (each has a Content-Length). */
function responses(buf: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = buf;
  for (let r = parseResponse(rest); r !== null; r = parseResponse(rest)) {
    out.push(r);
    rest = rest.subarray(rest.indexOf('\r\n\r\n') + 4 + r.body.length);
  }
  return out;
}

const raw = (path: string, version = '1.1', extra = ''): string =>
  `GET ${path} HTTP/${version}\r\nHost: t\r\n${extra}\r\n`;

describe.each(['http', 'frames'] as const)('response cache and access log, listen.transport %s', (transport) => {
  let server: RunningServer;
  const agent = new http.Agent({ keepAlive: false });
  const get = (path: string): Promise<Reply> => request(server.url, { path, agent });
  const hit = (r: { headers: Record<string, unknown> }): boolean => r.headers['x-w3-cache'] === 'HIT';

  beforeAll(async () => {
    server = await startServer({
      listen: { host: '127.0.0.1', port: 0, transport },
      logging: { accessLog: true },
      cache: { maxCacheSize: 100_000 },
      pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }],
      applications: [{ path: '/', pool: 'app', module: LISTENER_APP }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
  });
  afterAll(async () => {
    agent.destroy();
    await server?.stop();
  });

  it('misses carry the worker pid, the third request is a hit with the same headers, Age and no pid', async () => {
    const close = 'Connection: close\r\n';
    const [m1, m2, h3] = [
      await exchange(server.port, raw('/cache/same', '1.1', close)),
      await exchange(server.port, raw('/cache/same', '1.1', close)),
      await exchange(server.port, raw('/cache/same', '1.1', close)),
    ];
    expect([m1.status, m2.status, h3.status]).toEqual([200, 200, 200]);
    expect([hit(m1), hit(m2), hit(h3)]).toEqual([false, false, true]);
    expect(Number(m2.headers['x-w3-worker-pid'])).toBeGreaterThan(0);
    expect(h3.headers['x-w3-worker-pid']).toBeUndefined();
    expect(h3.body.toString()).toBe(m2.body.toString());
    expect(Number(h3.headers['age'])).toBeGreaterThanOrEqual(0);
    const missNames = Object.keys(m2.headers).filter((k) => k !== 'x-w3-worker-pid');
    expect(Object.keys(h3.headers).sort()).toEqual([...missNames, 'age', 'x-w3-cache'].sort());
    expect(h3.headers['connection']).toBe('close');
    expect(h3.serverClosed).toBe(true);

    const lines = accessLines(server).filter((l) => l.url === '/cache/same');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => [l.method, l.status, l.pool])).toEqual(Array(3).fill(['GET', 200, 'app']));
    expect(lines.map((l) => l.workerPid)).toEqual([
      Number(m1.headers['x-w3-worker-pid']),
      Number(m2.headers['x-w3-worker-pid']),
      undefined,
    ]);
  });

  it('stores a chunked response with its Content-Length', async () => {
    const [a, b, c] = [await get('/cache-chunked/x'), await get('/cache-chunked/x'), await get('/cache-chunked/x')];
    expect([hit(a), hit(b), hit(c)]).toEqual([false, false, true]);
    expect(b.headers['transfer-encoding']).toBe('chunked');
    expect(c.body).toBe(b.body);
    expect(c.headers['content-length']).toBe(String(Buffer.byteLength(b.body)));
    expect(c.headers['transfer-encoding']).toBeUndefined();
  });

  it('answers pipelined hits in order on one keep-alive connection, then a miss behind them', async () => {
    await exchange(server.port, raw('/cache/pipe', '1.1', 'Connection: close\r\n'));
    await exchange(server.port, raw('/cache/pipe', '1.1', 'Connection: close\r\n'));
    const c = await connect(server.port);
    c.socket.write(raw('/cache/pipe') + raw('/cache/pipe') + raw('/cache/pipe') + raw('/plain'));
    const deadline = Date.now() + 15_000;
    while (responses(c.received()).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const got = responses(c.received());
    c.destroy();
    expect(got.map((r) => [r.status, r.headers['x-w3-cache'] ?? null])).toEqual([
      [200, 'HIT'],
      [200, 'HIT'],
      [200, 'HIT'],
      [200, null],
    ]);
    expect(got.slice(0, 3).map((r) => r.headers['connection'])).toEqual(Array(3).fill('keep-alive'));
    expect(got[3]!.body.toString()).toBe('hello\n');
  });

  it('an HTTP/1.0 hit closes the connection', async () => {
    // The cache key is Host + URL: the misses that fill it carry the same Host as the hit.
    await exchange(server.port, raw('/cache/old', '1.0'));
    await exchange(server.port, raw('/cache/old', '1.0'));
    const r = await exchange(server.port, raw('/cache/old', '1.0'));
    expect(hit(r)).toBe(true);
    expect(r.headers['connection']).toBe('close');
    expect(r.serverClosed).toBe(true);
  });

  it('maxCacheSize: a response that fits is stored, the next that would overflow it is not', async () => {
    const fits = [await get('/cache-size/60000/a'), await get('/cache-size/60000/a'), await get('/cache-size/60000/a')];
    expect(fits.map(hit)).toEqual([false, false, true]);
    expect(fits[2]!.body.length).toBe(60_000);
    const over = [await get('/cache-size/60000/b'), await get('/cache-size/60000/b'), await get('/cache-size/60000/b')];
    expect(over.map(hit)).toEqual([false, false, false]);
    expect(over.every((r) => r.status === 200 && r.workerPid > 0)).toBe(true);
    const stats = await server.admin.request<{ cache: { bytes: number; captureBytes: number } }>('GET', '/listener');
    expect(stats.cache.bytes).toBeGreaterThan(60_000);
    expect(stats.cache.bytes).toBeLessThanOrEqual(100_000);
    expect(stats.cache.captureBytes).toBe(0);
  });

  it('a cacheable response cut off by its worker exiting is never stored', async () => {
    for (let i = 0; i < 3; i++) {
      const from = server.events.length;
      const c = await connect(server.port);
      c.socket.write(raw('/cache-exit/x'));
      await c.closed(30_000);
      // Part of the body reached the client, then the connection closed (never a complete response).
      expect(c.received().length).toBeGreaterThan(0);
      expect(parseResponse(c.received())).toBeNull();
      await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    }
    const stats = await server.admin.request<{ cache: { captureBytes: number } }>('GET', '/listener');
    expect(stats.cache.captureBytes).toBe(0);
  });
});

import type { HistoryRecord, RequestRecord, SocketRecord } from '../history/types';
import { WorkloadError, WorkloadOptionsError } from './errors';
import { closedPort, startOneShotKeepAliveServer, startTestServer, type TestServer } from './test-servers';
import { runTrackedClient, type TrackedClientOptions } from './tracked-client';

interface Collected {
  requests: RequestRecord[];
  sockets: SocketRecord[];
  onRecord: (r: HistoryRecord) => void;
}

function collector(): Collected {
  const c: Collected = {
    requests: [],
    sockets: [],
    onRecord: (r) => {
      if (r.kind === 'request') c.requests.push(r);
      else if (r.kind === 'socket') c.sockets.push(r);
    },
  };
  return c;
}

describe('runTrackedClient', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function run(opts: Omit<TrackedClientOptions, 'onRecord'>) {
    const c = collector();
    const summary = await runTrackedClient({ ...opts, onRecord: c.onRecord });
    return { c, summary };
  }

  it('well-behaved keep-alive server: all ok, sockets stay open until the client closes them', async () => {
    server = await startTestServer((n) => (n % 2 === 0 ? 'chunked' : 'ok'));
    const { c, summary } = await run({ url: server.url, connections: 4, durationMs: 400, phase: 'steady' });
    // More requests than sockets: keep-alive reuse (a count, not a speed: on a loaded machine 400 ms gave 8).
    expect(summary.requests).toBeGreaterThan(4);
    expect(summary.ok).toBe(summary.requests);
    expect(summary.requests).toBe(server.received);
    expect(summary.socketsOpened).toBe(4);
    expect(summary.socketsClosedByServer).toBe(0);
    expect(c.sockets).toHaveLength(4);
    for (const s of c.sockets) {
      expect(s).toMatchObject({ closeKind: 'client', closedWithRequestInFlight: false });
      expect(s.closed).toBeGreaterThanOrEqual(s.opened);
    }
    expect(c.sockets.reduce((a, s) => a + s.requests, 0)).toBe(summary.requests);
    expect(new Set(c.sockets.map((s) => s.localPort)).size).toBe(4);
    const r = c.requests[0]!;
    expect(r).toMatchObject({ kind: 'request', method: 'GET', path: '/', outcome: 'ok', status: 200, phase: 'steady' });
    expect(r.workerPid).toBe(process.pid);
    expect(r.localPort).toBe(c.sockets.find((s) => s.conn === r.conn)?.localPort);
    expect(new Set(c.requests.map((q) => q.id)).size).toBe(summary.requests);
    expect(summary.latency.p50).toBeGreaterThan(0);
    expect(summary.latency.max).toBeGreaterThanOrEqual(summary.latency.p99);
  });

  it('respects maxRequests', async () => {
    server = await startTestServer(() => 'ok');
    const { summary } = await run({ url: server.url, connections: 4, durationMs: 10_000, maxRequests: 57 });
    expect(summary.requests).toBe(57);
    expect(server.received).toBe(57);
    expect(summary.durationMs).toBeLessThan(10_000);
  });

  it('server FIN without a response: request info/closed, socket server-fin with a request in flight', async () => {
    server = await startTestServer((n) => (n % 20 === 0 ? 'fin' : 'ok'));
    const { c, summary } = await run({ url: server.url, connections: 2, durationMs: 10_000, maxRequests: 200 });
    const fins = server.did.fin ?? 0;
    expect(fins).toBe(10);
    const closed = c.requests.filter((r) => r.error === 'closed');
    expect(closed).toHaveLength(fins);
    for (const r of closed) expect(r.outcome).toBe('info');
    expect(summary.ok).toBe(200 - fins);
    const finSockets = c.sockets.filter((s) => s.closeKind === 'server-fin');
    expect(finSockets).toHaveLength(fins);
    for (const s of finSockets) expect(s.closedWithRequestInFlight).toBe(true);
    expect(new Set(closed.map((r) => r.conn))).toEqual(new Set(finSockets.map((s) => s.conn)));
    // Every FIN makes the loop reconnect, unless the budget was used up by then.
    expect(summary.socketsOpened).toBe(c.sockets.length);
    expect(summary.socketsOpened).toBeGreaterThanOrEqual(1 + fins);
    expect(summary.socketsOpened).toBeLessThanOrEqual(2 + fins);
  });

  it('server RST: the request is info/reset and the socket reset', async () => {
    server = await startTestServer((n) => (n % 10 === 0 ? 'rst' : 'ok'));
    const { c, summary } = await run({ url: server.url, connections: 2, durationMs: 10_000, maxRequests: 100 });
    const rsts = server.did.rst ?? 0;
    expect(rsts).toBe(10);
    expect(summary.byError.reset).toBe(rsts);
    expect(c.requests.filter((r) => r.error === 'reset').every((r) => r.outcome === 'info')).toBe(true);
    const resetSockets = c.sockets.filter((s) => s.closeKind === 'reset');
    expect(resetSockets).toHaveLength(rsts);
    expect(resetSockets.every((s) => s.closedWithRequestInFlight === true && s.errorMessage === 'ECONNRESET')).toBe(
      true,
    );
  });

  it('Connection: close is an announced close, not an unannounced one', async () => {
    server = await startTestServer(() => 'close-announced');
    const { c, summary } = await run({ url: server.url, connections: 2, durationMs: 10_000, maxRequests: 30 });
    expect(summary.ok).toBe(30);
    expect(c.requests.every((r) => r.connectionClose === true)).toBe(true);
    expect(summary.socketsOpened).toBe(30);
    expect(summary.socketsByCloseKind).toEqual({ 'server-close-announced': 30 });
    expect(c.sockets.every((s) => s.requests === 1 && s.closedWithRequestInFlight === false)).toBe(true);
  });

  it('a request the server never answers is info/timeout and its socket is closed by the client', async () => {
    server = await startTestServer((_n, req) => (req.url === '/hang' ? 'hang' : 'ok'));
    const requests = [
      { method: 'GET', path: '/ok' },
      { method: 'GET', path: '/hang' },
    ];
    const { c, summary } = await run({
      url: server.url,
      connections: 1,
      durationMs: 10_000,
      maxRequests: 4,
      timeoutMs: 150,
      requests,
    });
    expect(c.requests.map((r) => [r.path, r.outcome, r.error])).toEqual([
      ['/ok', 'ok', undefined],
      ['/hang', 'info', 'timeout'],
      ['/ok', 'ok', undefined],
      ['/hang', 'info', 'timeout'],
    ]);
    for (const r of c.requests.filter((q) => q.error === 'timeout')) expect(r.latencyMs).toBeGreaterThanOrEqual(150);
    expect(c.sockets.map((s) => s.closeKind)).toEqual(['client', 'client']);
    expect(summary.byError).toEqual({ timeout: 2 });
  });

  it('503 is fail/status-5xx unless okStatuses accepts it', async () => {
    server = await startTestServer(() => ({ status: 503 }));
    const { summary } = await run({ url: server.url, connections: 2, durationMs: 10_000, maxRequests: 10 });
    expect(summary).toMatchObject({ fail: 10, ok: 0, byError: { 'status-5xx': 10 }, byStatus: { '503': 10 } });
    const accepted = await run({
      url: server.url,
      connections: 2,
      durationMs: 10_000,
      maxRequests: 10,
      okStatuses: [503],
    });
    expect(accepted.summary.ok).toBe(10);
  });

  it('a closed port gives fail/refused with a back-off and no sockets', async () => {
    const port = await closedPort();
    const { c, summary } = await run({ url: `http://127.0.0.1:${port}/`, connections: 1, durationMs: 300 });
    expect(summary.requests).toBeGreaterThanOrEqual(2);
    expect(summary.requests).toBeLessThanOrEqual(300 / 50 + 2);
    expect(c.requests.every((r) => r.outcome === 'fail' && r.error === 'refused')).toBe(true);
    expect(summary.socketsOpened).toBe(0);
    expect(c.sockets).toHaveLength(0);
  });

  it('roughly respects ratePerSec', async () => {
    server = await startTestServer(() => 'ok');
    const { summary } = await run({ url: server.url, connections: 4, durationMs: 1000, ratePerSec: 100 });
    expect(summary.requests).toBeGreaterThanOrEqual(60);
    expect(summary.requests).toBeLessThanOrEqual(140);
  });

  it('does not retry a request lost on a stale keep-alive socket by default', async () => {
    server = await startOneShotKeepAliveServer();
    const { c } = await run({ url: server.url, connections: 1, durationMs: 10_000, maxRequests: 6 });
    expect(c.requests.map((r) => r.outcome)).toEqual(['ok', 'info', 'ok', 'info', 'ok', 'info']);
    expect(c.requests.filter((r) => r.outcome === 'info').every((r) => r.error === 'closed')).toBe(true);
  });

  it('retries idempotent requests on a stale socket when asked, and records the lost attempt', async () => {
    server = await startOneShotKeepAliveServer();
    const requests = [
      { method: 'GET', path: '/a' },
      { method: 'POST', path: '/b', body: 'x' },
    ];
    const { c } = await run({
      url: server.url,
      connections: 1,
      durationMs: 10_000,
      maxRequests: 4,
      requests,
      retryIdempotentOnStaleSocket: true,
    });
    // GET ok (fresh socket); POST lost on the reused socket, not retried; GET ok (fresh); POST lost again.
    expect(c.requests.map((r) => `${r.method} ${r.outcome}`)).toEqual(['GET ok', 'POST info', 'GET ok', 'POST info']);
    const retry = await run({
      url: server.url,
      connections: 1,
      durationMs: 10_000,
      maxRequests: 2,
      retryIdempotentOnStaleSocket: true,
    });
    expect(retry.c.requests.map((r) => r.outcome)).toEqual(['ok', 'info', 'ok']);
    expect(retry.c.requests[1]!.errorMessage).toMatch(/retried as #3/);
    expect(retry.c.requests[2]!.id).toBe(3);
  });

  it('stops early on abort', async () => {
    server = await startTestServer(() => 'ok');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const { c } = await run({ url: server.url, connections: 2, durationMs: 60_000, signal: ac.signal });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(c.sockets.every((s) => s.closeKind === 'client')).toBe(true);
  });

  it('rejects unbounded or invalid options', async () => {
    const base = { url: 'http://127.0.0.1:1/', connections: 1, durationMs: 100, onRecord: () => undefined };
    await expect(runTrackedClient({ ...base, durationMs: 11 * 60_000 })).rejects.toBeInstanceOf(WorkloadOptionsError);
    await expect(runTrackedClient({ ...base, durationMs: undefined as unknown as number })).rejects.toThrow(
      /durationMs/,
    );
    await expect(runTrackedClient({ ...base, connections: 0 })).rejects.toThrow(/connections/);
    await expect(runTrackedClient({ ...base, url: 'https://x/' })).rejects.toThrow(/http:/);
    await expect(runTrackedClient({ ...base, requests: [] })).rejects.toThrow(/requests/);
    await expect(runTrackedClient({ ...base, requests: [{ method: 'GET', path: 'no-slash' }] })).rejects.toBeInstanceOf(
      WorkloadOptionsError,
    );
  });

  it('stops and rejects when pick throws', async () => {
    server = await startTestServer(() => 'ok');
    const pick = (i: number) => {
      if (i === 5) throw new Error('no such request');
      return { method: 'GET', path: `/item/${i}` };
    };
    const { c } = await run({ url: server.url, connections: 2, durationMs: 5000, pick }).then(
      () => ({ c: null }),
      (err: unknown) => ({ c: err }),
    );
    expect(c).toBeInstanceOf(WorkloadError);
  });

  it('passes the request id to pick', async () => {
    server = await startTestServer(() => 'ok');
    const { c } = await run({
      url: server.url,
      connections: 2,
      durationMs: 5000,
      maxRequests: 6,
      pick: (i) => ({ method: 'GET', path: `/item/${i}` }),
    });
    expect(c.requests.every((r) => r.path === `/item/${r.id}`)).toBe(true);
  });

  it('stops and rejects when onRecord throws', async () => {
    server = await startTestServer(() => 'ok');
    const onRecord = (): void => {
      throw new Error('disk full');
    };
    await expect(
      runTrackedClient({ url: server.url, connections: 1, durationMs: 5000, onRecord }),
    ).rejects.toBeInstanceOf(WorkloadError);
  });
});

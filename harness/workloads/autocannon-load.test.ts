import { WorkloadOptionsError } from './errors';
import { AUTOCANNON_NOTE, runAutocannon } from './autocannon-load';
import { startTestServer, type TestServer } from './test-servers';

describe('runAutocannon', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('returns the raw result and a compact summary', async () => {
    server = await startTestServer(() => 'ok');
    const { raw, summary } = await runAutocannon({ url: server.url, connections: 2, durationMs: 300, path: '/x?y=1' });
    expect(raw.requests.total).toBeGreaterThan(0);
    expect(summary.requests).toBe(raw.requests.total);
    expect(summary.rps).toBeGreaterThan(0);
    expect(summary.errors).toBe(0);
    expect(summary.note).toBe(AUTOCANNON_NOTE);
    expect(summary.latency.max).toBeGreaterThanOrEqual(summary.latency.p50);
    expect(JSON.parse(JSON.stringify(raw)).url).toMatch(/\/x\?y=1$/);
  });

  it('counts 5xx as non2xx', async () => {
    server = await startTestServer(() => ({ status: 503 }));
    const { summary } = await runAutocannon({
      url: server.url,
      connections: 1,
      durationMs: 200,
      method: 'POST',
      body: 'b',
    });
    expect(summary.non2xx).toBe(summary.requests);
  });

  it('does not see a server FIN mid-request (why the tracked client exists)', async () => {
    // Every third request from the second on gets the FIN: a loaded machine may complete only a handful of
    // requests in the window (with one FIN per 20 requests, 300 ms sometimes held none).
    server = await startTestServer((n) => (n % 3 === 2 ? 'fin' : 'ok'));
    const { summary } = await runAutocannon({ url: server.url, connections: 2, durationMs: 1000 });
    expect(server.did.fin ?? 0).toBeGreaterThan(0);
    expect(summary.errors).toBe(0);
    // Each request that met a FIN was sent and never answered, yet counts as no error: sent exceeds responses by at
    // least that many (the requests still in flight when the window closed add to it).
    expect(summary.sent - summary.requests).toBeGreaterThanOrEqual(server.did.fin!);
  });

  it('stops early on abort', async () => {
    server = await startTestServer(() => 'ok');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    await runAutocannon({ url: server.url, connections: 1, durationMs: 30_000, signal: ac.signal });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects an unbounded duration', async () => {
    await expect(
      runAutocannon({ url: 'http://127.0.0.1:1/', connections: 1, durationMs: 3_600_000 }),
    ).rejects.toBeInstanceOf(WorkloadOptionsError);
  });
});

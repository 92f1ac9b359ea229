// Admission control in the listener: at maxConnections a new client gets HTTP.SYS's 503 page at once (HTTPERR
// ConnLimit) instead of hanging, and is served again once connections free up; beyond appConcurrentRequestLimit
// an application's requests get the 503 that names the limit (AppConcurrentRequestLimit), others are unaffected.
import net from 'node:net';
import { exchange, readHttpErr } from './test-support/raw-client';
import { startEchoServer, resources, expectSettled, type EchoServer } from './test-support/echo-server';

jest.setTimeout(90_000);

const MAX = 50;

describe('admission control', () => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer({
      limits: { maxConnections: MAX, appConcurrentRequestLimit: 3 },
      timers: { connectionTimeout: '60s', headerWaitTimeout: '60s' },
    });
  });
  afterAll(async () => server?.stop());

  it('at maxConnections a new client gets the 503 at once; once connections close, clients are served', async () => {
    const baseline = await resources(server);
    const held: net.Socket[] = [];
    for (let i = 0; i < MAX; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
      held.push(s);
    }
    await waitFor(
      async () => (await server.admin.request<{ connections: number }>('GET', '/listener')).connections >= MAX,
    );
    const started = Date.now();
    const refused = await Promise.all(
      Array.from({ length: 10 }, () => exchange(server.port, 'GET /over HTTP/1.1\r\nHost: t\r\n\r\n')),
    );
    const tookMs = Date.now() - started;
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.headers['server']).toBe('Microsoft-HTTPAPI/2.0');
      expect(r.serverClosed).toBe(true);
    }
    // Answered, not left waiting for a timer (headerWaitTimeout and connectionTimeout are 60 s here).
    expect(tookMs).toBeLessThan(20_000);
    const lines = readHttpErr(server).lines.filter((l) => l.reason === 'ConnLimit');
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => l.uri === '/over' && l.status === '503')).toBe(true);
    expect(server.recorded().filter((r) => r.url === '/over')).toEqual([]);
    for (const s of held) s.destroy();
    await waitFor(
      async () => (await server.admin.request<{ connections: number }>('GET', '/listener')).connections === 0,
    );
    const again = await exchange(server.port, 'GET /again HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(again.status).toBe(200);
    await expectSettled(server, baseline);
  });

  it('beyond appConcurrentRequestLimit the app answers 503 (503.2); another application is unaffected', async () => {
    const slow = Array.from({ length: 3 }, () =>
      exchange(server.port, 'GET /slow?ms=1500 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'),
    );
    await waitFor(async () => (await server.admin.request<{ inFlight: number }>('GET', '/listener')).inFlight === 3);
    const over = await exchange(server.port, 'GET /fourth HTTP/1.1\r\nHost: t\r\n\r\n');
    expect(over.status).toBe(503);
    expect(over.body.toString()).toContain('appConcurrentRequestLimit');
    const other = await exchange(server.port, 'GET /admin/fine HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(other.status).toBe(200);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(
      readHttpErr(server)
        .lines.filter((l) => l.reason === 'AppConcurrentRequestLimit')
        .map((l) => l.uri),
    ).toEqual(['/fourth']);
    const after = await exchange(server.port, 'GET /fifth HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(after.status).toBe(200);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

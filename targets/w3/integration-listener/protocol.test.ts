// Protocol details answered as HTTP.SYS does: versions (505 / 400), malformed chunked bodies and CONNECT (400 pages,
// not bare closes), a Transfer-Encoding w3 cannot pass on (501), HTTP/1.0 without Host (the listener's address, not
// "localhost"), headers a response's Connection names (not passed on), a response whose Content-Length exceeds its
// body (aborted and recorded after connectionTimeout, not a hung client), and which responses carry X-W3-Worker-Pid.
import { connect, exchange, readHttpErr, waitForHttpErr, waitUntil } from './test-support/raw-client';
import { startEchoServer, resources, expectSettled, type EchoServer, type Resources } from './test-support/echo-server';

jest.setTimeout(60_000);

const IDLE_MS = 1500; // connectionTimeout: also the upstream body timer

describe('protocol details', () => {
  let server: EchoServer;
  let baseline: Resources;
  beforeAll(async () => {
    server = await startEchoServer({ timers: { connectionTimeout: IDLE_MS } });
    baseline = await resources(server);
  });
  afterAll(async () => server?.stop());

  const page = async (bytes: string) => {
    const r = await exchange(server.port, bytes);
    return {
      status: r.status,
      body: r.body.toString(),
      closed: r.serverClosed,
      server: r.headers['server'],
      pid: r.headers['x-w3-worker-pid'],
    };
  };

  it.each([
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505, 'Version_N/S'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: t\r\n\r\n', 505, 'Version_N/S'],
    ['HTTP/0.9 request line', 'GET / HTTP/0.9\r\nHost: t\r\n\r\n', 400, 'BadRequest'],
    ['a 0.9 simple request', 'GET /\r\n\r\n', 400, 'BadRequest'],
    [
      'a malformed chunked body',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
      'BadRequest',
    ],
    [
      'a chunk size overflow',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n',
      400,
      'BadRequest',
    ],
    ['CONNECT', 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n', 400, 'BadRequest'],
    [
      'Transfer-Encoding: gzip, chunked',
      'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      501,
      'N/I',
    ],
  ])('%s → %d page, closed, one HTTPERR line (%s)', async (_what, bytes, status, reason) => {
    const before = readHttpErr(server).lines.length;
    const r = await page(bytes);
    expect(r).toMatchObject({ status, closed: true, server: 'Microsoft-HTTPAPI/2.0', pid: undefined });
    const lines = await waitUntil(
      () => (readHttpErr(server).lines.length > before ? readHttpErr(server).lines : null),
      10_000,
      'the HTTPERR line',
    );
    expect(lines[before]!.reason).toBe(reason);
    expect(readHttpErr(server).lines.length).toBe(before + 1);
  });

  it('HTTP/1.0 without Host reaches the application with the listener address as Host', async () => {
    const r = await exchange(server.port, 'GET /v10 HTTP/1.0\r\n\r\n');
    const echoed = JSON.parse(r.body.toString()) as { headers: Record<string, string> };
    expect(echoed.headers['host']).toBe(`127.0.0.1:${server.port}`);
  });

  it("headers a response's Connection names are not passed on; worker responses carry X-W3-Worker-Pid", async () => {
    const r = await exchange(server.port, 'GET /conn-named HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(200);
    expect(r.headers['x-secret']).toBeUndefined();
    expect(r.headers['x-public']).toBe('yes');
    expect(Number(r.headers['x-w3-worker-pid'])).toBeGreaterThan(0);
  });

  it('a response whose Content-Length exceeds its body is aborted after connectionTimeout and recorded', async () => {
    const c = await connect(server.port);
    c.socket.write('GET /short-body HTTP/1.1\r\nHost: t\r\n\r\n');
    const closed = await c.closed(IDLE_MS + 10_000);
    expect(closed.at - c.connectedAt).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(c.received().toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n0123456789$/);
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(c.localPort));
    expect(line).toMatchObject({ reason: 'Connection_Abandoned_By_ReqQueue', uri: '/short-body', status: '200' });
  });

  it('leaves nothing in flight', async () => {
    await expectSettled(server, baseline);
  });
});

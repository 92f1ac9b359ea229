// A worker that exits or dies during a request: one rule on both transports (listen.transport http and frames,
// listener/worker-failure.ts). What the worker handed to the kernel before it exited reaches the client (a large
// write it waited for; a write followed at once by an exit never left it, on either transport); once a byte of the
// response went out the connection is closed with one HTTPERR line; when none did, a bodiless idempotent request
// is replayed once on the replacement and anything else gets a 502 with the dead worker's pid on a connection that
// stays open.
import fs from 'node:fs';
import { startServer, tempDir, type RunningServer } from '../test-support/server';
import { LISTENER_APP, connect, parseResponse, waitForHttpErr, HTTPERR_FILE } from './test-support/raw-client';

jest.setTimeout(180_000);

const req = (method: string, path: string): string =>
  `${method} ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`;

describe.each(['http', 'frames'] as const)('a worker exiting mid-request, listen.transport %s', (transport) => {
  let server: RunningServer;
  const crashDir = tempDir('w3-crash-once-');

  beforeAll(async () => {
    server = await startServer({
      listen: { host: '127.0.0.1', port: 0, transport },
      logging: { httpErrLog: HTTPERR_FILE },
      pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }],
      applications: [{ path: '/', pool: 'app', module: LISTENER_APP, env: { CRASH_DIR: crashDir } }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(crashDir, { recursive: true, force: true });
  });

  /** Sends `bytes` on a new connection; resolves once the replacement of the worker that died is ready. */
  async function exitingRequest(bytes: string): Promise<{ received: Buffer; localPort: number }> {
    const from = server.events.length;
    const c = await connect(server.port);
    c.socket.write(bytes);
    await c.closed(30_000);
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    return { received: c.received(), localPort: c.localPort };
  }

  it('a large write the worker waited for reaches the client, then the connection closes (one HTTPERR)', async () => {
    const r = await exitingRequest(req('GET', '/cache-exit/a'));
    const text = r.received.toString('latin1');
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    // The head and the whole 32 KB the worker wrote before exiting, never the 64 KB it announced.
    expect(r.received.length - (text.indexOf('\r\n\r\n') + 4)).toBe(32 * 1024);
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(r.localPort));
    expect([line.reason, line.status]).toEqual(['Connection_Abandoned_By_ReqQueue', '200']);
  });

  it('a write followed at once by process.exit never leaves the worker: replayed once, then 502', async () => {
    // Node's ServerResponse corks the socket on a write and sends on the next tick, which an immediate exit never
    // reaches: on both transports the listener sees no byte, so the GET is replayed and its second worker too exits.
    const from = server.events.length;
    const c = await connect(server.port);
    c.socket.write(req('GET', '/exit-small'));
    const r = await c.response(60_000);
    expect(r.status).toBe(502);
    expect(r.headers['connection']).toBe('keep-alive');
    c.destroy();
    const retried = server.events.slice(from).filter((e) => e.type === 'RequestRetried');
    expect(retried.map((e) => e['url'])).toEqual(['/exit-small']);
    const first = await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, from);
    await server.waitForEvent((e) => e.type === 'WorkerReady', 30_000, server.events.indexOf(first) + 1);
  });

  it('no byte sent: a POST gets 502 with the dead worker pid, and its connection serves the next request', async () => {
    const pools = await server.admin.request<{ workers: { pid: number; state: string }[] }[]>('GET', '/pools');
    const pid = pools[0]!.workers.find((w) => w.state === 'Ready')!.pid;
    const c = await connect(server.port);
    c.socket.write(req('POST', '/crash'));
    const bad = await c.response(30_000);
    expect(bad.status).toBe(502);
    expect(bad.headers['x-w3-worker-pid']).toBe(String(pid));
    expect(bad.headers['content-type']).toBe('text/plain');
    expect(bad.headers['connection']).toBe('keep-alive');
    expect(bad.headers['date']).toBeDefined();
    await waitForHttpErr(server, (l) => l.clientPort === String(c.localPort) && l.status === '502');
    const before = c.received().length;
    c.socket.write('GET /plain HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await c.closed(30_000);
    const next = parseResponse(c.received().subarray(before));
    expect(next?.status).toBe(200);
    expect(next?.body.toString()).toBe('hello\n');
  });

  it('no byte sent: a bodiless GET is replayed once on the replacement and succeeds', async () => {
    const from = server.events.length;
    const c = await connect(server.port);
    c.socket.write(`GET /crash-once/${transport} HTTP/1.1\r\nHost: t\r\n\r\n`);
    const r = await c.response(30_000);
    c.destroy();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`survived ${transport}\n`);
    const retried = server.events.slice(from).filter((e) => e.type === 'RequestRetried');
    expect(retried.map((e) => e['url'])).toEqual([`/crash-once/${transport}`]);
  });
});

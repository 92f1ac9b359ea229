// Misbehaving applications cannot hurt the host or other clients: a 200 MB response to a reader that stops reading
// (host RSS stays bounded: backpressure reaches the worker), an app that never reads a large request body,
// responses with invalid headers or framing (a 502, nothing invalid relayed), and a worker that exits mid-response
// (the client's connection is closed, one HTTPERR line, the worker is replaced). Nothing is left in flight.
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type RunningServer } from '../test-support/server';
import {
  connect,
  exchange,
  readHttpErr,
  waitForHttpErr,
  HTTPERR_FILE,
} from '../integration-listener/test-support/raw-client';
import {
  startEchoServer,
  resources,
  expectSettled,
  type EchoServer,
} from '../integration-listener/test-support/echo-server';

jest.setTimeout(180_000);

const rssMB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('misbehaving applications', () => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer({ timers: { minBytesPerSecond: 0 } });
  });
  afterAll(async () => server?.stop());

  it('a 200 MB response to a reader that stops reading: host RSS stays bounded', async () => {
    const baseline = await resources(server);
    const before = rssMB(server.proc.pid!);
    const c = await connect(server.port);
    c.socket.write('GET /big?bytes=209715200 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    // Read a little, then stop reading for a while: the worker must be held back, not buffered in the host.
    await new Promise((r) => setTimeout(r, 500));
    c.socket.pause();
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, rssMB(server.proc.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
    c.socket.resume();
    await c.closed(120_000);
    peak = Math.max(peak, rssMB(server.proc.pid!));
    console.log(`200 MB to a paused reader: host RSS ${Math.round(before)} → peak ${Math.round(peak)} MB`);
    expect(peak - before).toBeLessThan(64);
    await expectSettled(server, baseline, 10);
  });

  it('an app that never reads a 20 MB body answers, and the connection stays usable', async () => {
    const c = await connect(server.port);
    const body = Buffer.alloc(20 * 1024 * 1024, 'b');
    c.socket.write(`POST /no-read HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.socket.write(body);
    const first = await c.response(60_000);
    expect(first.status).toBe(200);
    c.socket.write('GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    await c.closed(60_000);
    expect(
      c
        .received()
        .toString('latin1')
        .match(/HTTP\/1\.1 200/g),
    ).toHaveLength(2);
  });

  it('a worker exiting mid-response: the client connection closes, one HTTPERR line, a new worker serves', async () => {
    const c = await connect(server.port);
    c.socket.write('GET /exit-mid HTTP/1.1\r\nHost: t\r\n\r\n');
    await c.closed(30_000);
    expect(c.received().length).toBeGreaterThan(0);
    expect(c.received().length).toBeLessThan(1024 * 1024);
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(c.localPort));
    expect(line.reason).toBe('Connection_Abandoned_By_ReqQueue');
    await server.waitForEvent(
      (e) => e.type === 'WorkerReady' && e.pool === 'main' && (e['workerId'] as number) > 2,
      30_000,
    );
    const again = await exchange(server.port, 'GET /again HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    expect(again.status).toBe(200);
  });
});

describe('invalid responses from a command-mode application', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      logging: { httpErrLog: HTTPERR_FILE },
      pools: [{ name: 'raw', startMode: 'AlwaysRunning', retryIdempotent: false }],
      applications: [
        {
          path: '/',
          pool: 'raw',
          command: [process.execPath, path.join(__dirname, 'test-support', 'raw-response-app.js')],
        },
      ],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
  });
  afterAll(async () => server?.stop());

  it.each(['/bad-header-value', '/bad-header-name', '/dup-length', '/te-and-cl'])(
    '%s → 502, nothing of it relayed, the host keeps serving',
    async (p) => {
      const r = await exchange(server.port, `GET ${p} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
      expect(r.status).toBe(502);
      expect(r.headers['x-bad']).toBeUndefined();
      const ok = await exchange(server.port, 'GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      expect(ok.status).toBe(200);
    },
  );

  it('one HTTPERR line per 502', () => {
    expect(readHttpErr(server).lines.filter((l) => l.status === '502')).toHaveLength(4);
  });

  it('nothing in flight afterwards', async () => {
    const s = await server.admin.request<{ inFlight: number }>('GET', '/listener');
    expect(s.inFlight).toBe(0);
  });
});

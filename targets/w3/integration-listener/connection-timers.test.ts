// The listener's HTTP.SYS timers against real clients: idle keep-alive (Timer_ConnectionIdle), a slowloris head
// (Timer_HeaderWait) while other clients are served, a stalled request body (Timer_EntityBody, an inactivity
// timer: a slow but steady body passes), a client reading slower than minBytesPerSecond (Timer_MinBytesPerSecond,
// only after size/rate has elapsed; a short pause does not count) and a request left in a pool queue
// (requestQueueTimeout → 503, Timer_AppPool). Each writes one HTTPERR line.
import http from 'node:http';
import { startServer, request, type RunningServer } from '../test-support/server';
import {
  connect,
  waitForHttpErr,
  readHttpErr,
  httpErrRecords,
  waitUntil,
  HTTPERR_FILE,
  LISTENER_APP,
} from './test-support/raw-client';

jest.setTimeout(90_000);

const T = 1000; // every timer under test, ms
const RATE = 4_000_000; // minBytesPerSecond
const BIG = 24_000_000; // → a 6 s allowance at RATE
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms)); // client pacing, not synchronisation

describe('connection timers', () => {
  let server: RunningServer;
  const noKeepAlive = new http.Agent({ keepAlive: false });

  beforeAll(async () => {
    server = await startServer({
      timers: {
        connectionTimeout: T,
        headerWaitTimeout: T,
        entityBodyTimeout: T,
        minBytesPerSecond: RATE,
        requestQueueTimeout: T,
      },
      logging: { httpErrLog: HTTPERR_FILE },
      pools: [
        { name: 'app', startMode: 'AlwaysRunning' },
        { name: 'cold', startMode: 'OnDemand' },
      ],
      applications: [
        { path: '/', pool: 'app', module: LISTENER_APP },
        { path: '/cold', pool: 'cold', module: LISTENER_APP, env: { START_MS: '3000' } },
      ],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'app');
  });
  afterAll(async () => {
    noKeepAlive.destroy();
    await server?.stop();
  });

  const linesFor = (port: number) => readHttpErr(server).lines.filter((l) => l.clientPort === String(port));

  it('closes an idle keep-alive connection after connectionTimeout, sends nothing (Timer_ConnectionIdle)', async () => {
    const silent = await connect(server.port); // never sends a byte: idle too, not a slow head
    const c = await connect(server.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
    const r = await c.response();
    const answeredAt = Date.now();
    expect(r.status).toBe(200);
    expect(r.headers['keep-alive']).toBeUndefined(); // HTTP.SYS advertises no idle timeout
    const closed = await c.closed(T + 10_000);
    expect(closed.at - answeredAt).toBeGreaterThanOrEqual(T - 50);
    expect(closed.at - answeredAt).toBeLessThan(T + 5000);
    expect(c.received().length).toBe(c.received().indexOf('hello\n') + 6); // nothing after the response
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(c.localPort));
    expect(line).toMatchObject({ reason: 'Timer_ConnectionIdle', method: '-', uri: '-' });
    expect(linesFor(c.localPort)).toHaveLength(1);

    const silentClosed = await silent.closed(T + 10_000);
    expect(silentClosed.at - silent.connectedAt).toBeGreaterThanOrEqual(T - 50);
    expect(silent.received().length).toBe(0);
    const silentLine = await waitForHttpErr(server, (l) => l.clientPort === String(silent.localPort));
    expect(silentLine.reason).toBe('Timer_ConnectionIdle');
    expect(linesFor(silent.localPort)).toHaveLength(1);
  });

  it('cuts a slowloris head off after headerWaitTimeout while others are served (Timer_HeaderWait)', async () => {
    const slow = await connect(server.port);
    slow.socket.write('GET / HTTP/1.1\r\nHost: t\r\n');
    const dribble = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: 1\r\n'), 200);
    try {
      const served = [];
      for (let i = 0; i < 5; i++) served.push(await request(server.url, { agent: noKeepAlive }));
      const closed = await slow.closed(T + 10_000);
      expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(served[4]!.endedAt).toBeLessThanOrEqual(closed.at); // served while the slowloris held its connection
      expect(closed.at - slow.connectedAt).toBeGreaterThanOrEqual(T - 50);
      expect(closed.at - slow.connectedAt).toBeLessThan(T + 5000);
      expect(slow.received().length).toBe(0);
    } finally {
      clearInterval(dribble);
      slow.destroy();
    }
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(slow.localPort));
    expect(line.reason).toBe('Timer_HeaderWait');
    expect(linesFor(slow.localPort)).toHaveLength(1);
  });

  it('cuts a stalled body after entityBodyTimeout of silence, not a slow steady one (Timer_EntityBody)', async () => {
    const stalled = await connect(server.port);
    stalled.socket.write('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(100));
    const sentAt = Date.now();

    const steady = await connect(server.port);
    steady.socket.write('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 700\r\n\r\n' + 'b'.repeat(100));
    for (let i = 0; i < 6; i++) {
      await pause(300); // 1.8 s in all: longer than the timer, but never silent for that long
      steady.socket.write('b'.repeat(100));
    }
    const ok = await steady.response();
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('700\n');
    steady.destroy();

    const closed = await stalled.closed(T + 10_000);
    expect(closed.at - sentAt).toBeGreaterThanOrEqual(T - 50);
    expect(closed.at - sentAt).toBeLessThan(T + 5000);
    expect(stalled.received().length).toBe(0);
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(stalled.localPort));
    expect(line).toMatchObject({ reason: 'Timer_EntityBody', method: 'POST', uri: '/echo', queue: 'app' });
    expect(linesFor(stalled.localPort)).toHaveLength(1);
    expect(linesFor(steady.localPort)).toHaveLength(0);
  });

  it('drops a reader below minBytesPerSecond only after size/rate; fast and briefly paused ones finish', async () => {
    const path = `/big?bytes=${BIG}`;
    const get = (onResponse: (res: http.IncomingMessage) => void) => {
      const startedAt = Date.now();
      let bytes = 0;
      let complete = false;
      let localPort = 0;
      let res: http.IncomingMessage | null = null;
      const done = new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: server.port, path, agent: noKeepAlive }, (r) => {
          res = r;
          r.on('data', (c: Buffer) => (bytes += c.length));
          r.on('end', () => (complete = true));
          r.on('error', () => undefined);
          onResponse(r);
        });
        req.on('socket', (s) => s.once('connect', () => (localPort = s.localPort!)));
        req.on('error', () => undefined);
        req.on('close', () => resolve());
      });
      return { done, startedAt, bytes: () => bytes, complete: () => complete, port: () => localPort, res: () => res };
    };
    const fast = get(() => undefined);
    const paused = get((res) => {
      res.once('data', () => {
        res.pause();
        setTimeout(() => res.resume(), 1000); // a short dip: well inside the 6 s allowance
      });
    });
    // Never reads: kernel buffers fill, then Node's. A paused client cannot see the reset, so the moment of the
    // disconnect is the listener's own record of it.
    const stuck = get((res) => res.pause());
    await Promise.all([fast.done, paused.done]);
    expect([fast.complete(), fast.bytes()]).toEqual([true, BIG]);
    expect([paused.complete(), paused.bytes()]).toEqual([true, BIG]);

    const allowance = (BIG * 1000) / RATE;
    const cut = await waitUntil(
      () =>
        httpErrRecords(server).find(
          (r) => r['reason'] === 'Timer_MinBytesPerSecond' && r['clientPort'] === stuck.port(),
        ),
      allowance + 20_000,
      'the slow reader to be disconnected',
    );
    expect(cut.t - stuck.startedAt).toBeGreaterThanOrEqual(allowance);
    // Cut on the listener's periodic check, not at the end of the run: 5 s of slack was 954 ms short at load 28.
    expect(cut.t - stuck.startedAt).toBeLessThan(allowance + 12_000);
    stuck.res()!.resume();
    await stuck.done;
    expect(stuck.complete()).toBe(false);
    expect(stuck.bytes()).toBeLessThan(BIG);
    const lines = readHttpErr(server).lines.filter((l) => l.reason === 'Timer_MinBytesPerSecond');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ uri: path, status: '200', queue: 'app', clientPort: String(stuck.port()) });
  });

  it('answers 503 to a request queued in the pool longer than requestQueueTimeout (Timer_AppPool)', async () => {
    const c = await connect(server.port);
    c.socket.write('GET /cold/x HTTP/1.1\r\nHost: t\r\n\r\n');
    const sentAt = Date.now();
    const r = await c.response(T + 10_000);
    const answeredAt = Date.now();
    expect(r.status).toBe(503);
    expect(r.headers['connection']).toBe('close');
    expect(r.body.length).toBe(326);
    expect(answeredAt - sentAt).toBeGreaterThanOrEqual(T - 50);
    expect(answeredAt - sentAt).toBeLessThan(T + 2500); // well before the worker (3 s start) could answer
    await c.closed();
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(c.localPort));
    expect(line).toMatchObject({ reason: 'Timer_AppPool', status: '503', queue: 'cold', uri: '/cold/x' });
    const pools = await server.admin.request<{ name: string; queue: { length: number } }[]>('GET', '/pools');
    expect(pools.find((p) => p.name === 'cold')!.queue.length).toBe(0);
  });
});

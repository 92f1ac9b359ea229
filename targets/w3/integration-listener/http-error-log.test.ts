// The HTTPERR file (logging.httpErrLog): the W3C-style header, then exactly one line per request the listener
// rejected or abandoned, with the IIS reason phrase — here QueueFull, FieldLength, Timer_HeaderWait,
// Connection_Abandoned_By_ReqQueue and BadRequest (a malformed body), each triggered once.
import http from 'node:http';
import { startServer, request, type RunningServer } from '../test-support/server';
import { connect, exchange, readHttpErr, waitForHttpErr, HTTPERR_FILE, LISTENER_APP } from './test-support/raw-client';

jest.setTimeout(60_000);

describe('HTTPERR log', () => {
  let server: RunningServer;
  afterAll(async () => server?.stop());

  it('has the W3C header and one line with the right s-reason per rejection or abandonment', async () => {
    server = await startServer({
      timers: { headerWaitTimeout: 1000 },
      logging: { httpErrLog: HTTPERR_FILE },
      pools: [
        { name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } },
        { name: 'q', startMode: 'OnDemand', queueLength: 10 },
      ],
      applications: [
        { path: '/', pool: 'app', module: LISTENER_APP },
        { path: '/q', pool: 'q', module: LISTENER_APP, env: { START_MS: '1000' } },
      ],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'app');
    const agent = new http.Agent({ keepAlive: false });

    // QueueFull: ten requests wait for the demand-started worker (queueLength 10), the eleventh finds the queue full.
    const queued = await Promise.all(
      Array.from({ length: 11 }, (_, i) => request(server.url, { path: `/q/${i}`, agent })),
    );
    expect(queued.map((r) => r.status).sort()).toEqual([...Array(10).fill(200), 503]);

    // FieldLength: one header above the default maxFieldLength (16384).
    const big = await exchange(server.port, `GET /f HTTP/1.1\r\nHost: t\r\nX-Big: ${'x'.repeat(16_400)}\r\n\r\n`);
    expect(big.status).toBe(400);

    // Timer_HeaderWait: a head that never completes.
    const slow = await connect(server.port);
    slow.socket.write('GET /h HTTP/1.1\r\nHost: t\r\n');
    await slow.closed(10_000);

    // BadRequest: a malformed chunked body on a request already at the worker ends that request, one line.
    const badBody = await connect(server.port);
    // (Node hands the parsed head to the listener, which dispatches it, before it parses the bad chunk.)
    badBody.socket.write('POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n');
    await badBody.closed(10_000);

    // Connection_Abandoned_By_ReqQueue: the worker dies under a POST (not replayable) → 502.
    const crashed = await request(server.url, { method: 'POST', path: '/crash', body: 'x', agent });
    expect(crashed.status).toBe(502);
    agent.destroy();

    // The file is written asynchronously and in order: a reply can reach the client before its line reaches the
    // file, so wait for the line of the last rejection (the earlier ones are then in the file too), not for one
    // written long before it.
    await waitForHttpErr(server, (l) => l.reason === 'Connection_Abandoned_By_ReqQueue');
    const { header, lines } = readHttpErr(server);
    expect(header).toHaveLength(4);
    expect(header[0]).toMatch(/^#Software: /);
    expect(header[1]).toBe('#Version: 1.0');
    expect(header[2]).toMatch(/^#Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(header[3]).toBe(
      '#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename',
    );
    for (const l of lines) expect(`${l.date} ${l.time}`).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const pick = (reason: string) =>
      lines
        .filter((l) => l.reason === reason)
        .map(({ version, method, uri, status, queue }) => ({ version, method, uri, status, queue }));
    expect(pick('QueueFull')).toEqual([
      { version: 'HTTP/1.1', method: 'GET', uri: expect.stringMatching(/^\/q\/\d+$/), status: '503', queue: 'q' },
    ]);
    expect(pick('FieldLength')).toEqual([{ version: 'HTTP/1.1', method: 'GET', uri: '/f', status: '400', queue: '-' }]);
    expect(pick('Timer_HeaderWait')).toEqual([{ version: '-', method: '-', uri: '-', status: '-', queue: '-' }]);
    expect(pick('Connection_Abandoned_By_ReqQueue')).toEqual([
      { version: 'HTTP/1.1', method: 'POST', uri: '/crash', status: '502', queue: 'app' },
    ]);
    expect(pick('BadRequest')).toEqual([
      { version: 'HTTP/1.1', method: 'POST', uri: '/echo', status: '400', queue: 'app' },
    ]);
    expect(lines).toHaveLength(5);
  });
});

// HTTP.SYS request validation at the listener: each limit answers with the exact HTTP.SYS page and
// `Connection: close`, closes the connection, writes one HTTPERR line with the right reason — and the worker never
// sees the request (its completed-request count equals the number of requests that were accepted).
import { startServer, type RunningServer } from '../test-support/server';
import { PAGES, pageBody, type PageName } from '../listener/httpsys-responses';
import { exchange, readHttpErr, waitForHttpErr, HTTPERR_FILE, LISTENER_APP } from './test-support/raw-client';

jest.setTimeout(60_000);

const limits = {
  maxFieldLength: 1000,
  maxRequestBytes: 2000,
  urlSegmentMaxLength: 20,
  urlSegmentMaxCount: 5,
  maxUrlLength: 500,
};

function head(url: string, headers: [string, string][] = []): string {
  return `GET ${url} HTTP/1.1\r\nHost: t\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

describe('request limits (HTTP.SYS validation)', () => {
  let server: RunningServer;
  let accepted = 0;

  beforeAll(async () => {
    server = await startServer({
      limits,
      logging: { httpErrLog: HTTPERR_FILE },
      pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
      applications: [{ path: '/', pool: 'app', module: LISTENER_APP }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
  });
  afterAll(async () => server?.stop());

  async function expectAccepted(bytes: string): Promise<void> {
    const r = await exchange(server.port, bytes.replace('Host: t\r\n', 'Host: t\r\nConnection: close\r\n'));
    expect(r.status).toBe(200);
    accepted++;
  }

  async function expectRejected(bytes: string, page: PageName, reason: string): Promise<void> {
    const r = await exchange(server.port, bytes);
    const p = PAGES[page];
    expect(r.statusLine).toBe(`HTTP/1.1 ${p.status} ${p.reason}`);
    expect(r.headers['connection']).toBe('close');
    expect(r.headers['server']).toBe('Microsoft-HTTPAPI/2.0');
    expect(r.headers['content-type']).toBe('text/html; charset=us-ascii');
    expect(r.body.toString('latin1')).toBe(pageBody(p));
    expect(r.serverClosed).toBe(true);
    const line = await waitForHttpErr(server, (l) => l.clientPort === String(r.localPort));
    expect(line.reason).toBe(reason);
    expect(line.status).toBe(String(p.status));
    expect(readHttpErr(server).lines.filter((l) => l.clientPort === String(r.localPort))).toHaveLength(1);
  }

  it('a field over maxFieldLength → 400 Header Field Too Long (FieldLength); exactly the limit passes', async () => {
    const v = 'x'.repeat(limits.maxFieldLength - 'X-Big: '.length);
    await expectAccepted(head('/', [['X-Big', v]]));
    await expectRejected(head('/', [['X-Big', v + 'x']]), 'headerFieldTooLong', 'FieldLength');
    expect(pageBody(PAGES.headerFieldTooLong)).toHaveLength(342);
  });

  it('line + headers over maxRequestBytes → 400 Request Too Long (RequestLength); the limit passes', async () => {
    const fields = (last: number): [string, string][] => [
      ['X-1', 'a'.repeat(900)],
      ['X-2', 'b'.repeat(900)],
      ['X-3', 'c'.repeat(last)],
    ];
    // The accepted variant carries one more header (Connection: close, 19 bytes); the fill accounts for it.
    const fill = limits.maxRequestBytes - Buffer.byteLength(head('/', fields(0)));
    const exact = head('/', fields(fill - 19));
    expect(Buffer.byteLength(exact) + 19).toBe(limits.maxRequestBytes);
    await expectAccepted(exact);
    const over = head('/', fields(fill + 1));
    expect(Buffer.byteLength(over)).toBe(limits.maxRequestBytes + 1);
    await expectRejected(over, 'requestTooLong', 'RequestLength');
  });

  it("a head far beyond the limits (Node's parser backstop) → 400 Request Too Long", async () => {
    await expectRejected(head('/', [['X-Huge', 'h'.repeat(20_000)]]), 'requestTooLong', 'RequestLength');
  });

  it('URL longer than maxUrlLength → 414 (URL_Length)', async () => {
    await expectRejected(head('/' + 'a/'.repeat(250)), 'urlTooLong', 'URL_Length');
  });

  it.each([
    ['a segment longer than urlSegmentMaxLength', '/' + 's'.repeat(21)],
    ['more segments than urlSegmentMaxCount', '/a/b/c/d/e/f'],
    ['an invalid %-escape', '/a%zz'],
    ['a restricted character (%01)', '/a%01b'],
  ])('%s → 400 Invalid URL (URL)', async (_what, url) => {
    await expectRejected(head(url), 'invalidUrl', 'URL');
  });

  it('HTTP/1.1 without Host → 400 Invalid Hostname (Hostname)', async () => {
    await expectRejected('GET / HTTP/1.1\r\n\r\n', 'invalidHostname', 'Hostname');
  });

  it('the worker never saw a rejected request', async () => {
    await expectAccepted(head('/a/b/c/d/e')); // 5 segments of ≤ 20 chars: fine
    const pools = await server.admin.request<{ workers: { requests: number }[] }[]>('GET', '/pools');
    expect(pools[0]!.workers.map((w) => w.requests)).toEqual([accepted]);
    const { header, lines } = readHttpErr(server);
    expect(header[header.length - 1]).toBe(
      '#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename',
    );
    expect(lines).toHaveLength(9); // one per rejection above
  });
});

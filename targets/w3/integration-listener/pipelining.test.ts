// Nothing runs behind a rejected request. HTTP.SYS closes the connection after any error response and runs
// nothing the client sent behind it; w3 also holds a pipelined request until the response before it is finished,
// so a request behind a response that closes the connection (HTTP/1.0 without a length) never reaches a worker.
// Afterwards nothing is left in flight (a held-back request that was never released would be).
import { connect, readHttpErr } from './test-support/raw-client';
import { startEchoServer, resources, expectSettled, type EchoServer, type Resources } from './test-support/echo-server';

jest.setTimeout(60_000);

const marker = (id: string) => `POST /side-effect HTTP/1.1\r\nHost: t\r\nX-Marker: ${id}\r\nContent-Length: 0\r\n\r\n`;

describe('pipelining behind a rejected or closing request', () => {
  let server: EchoServer;
  let baseline: Resources;
  beforeAll(async () => {
    server = await startEchoServer();
    baseline = await resources(server);
  });
  afterAll(async () => server?.stop());

  /** Sends `bytes` at once, waits for the server to close; returns what came back. */
  async function run(bytes: string): Promise<string> {
    const c = await connect(server.port);
    c.socket.write(bytes);
    await c.closed(10_000);
    return c.received().toString('latin1');
  }
  const ran = (id: string) => server.recorded().filter((r) => r.marker === id);

  it('GET /%zz then POST /side-effect: the client gets the 400, the POST never runs', async () => {
    const got = await run(`GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n${marker('after-400')}`);
    expect(got).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(got.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300)); // give a wrongly dispatched POST time to show up
    expect(ran('after-400')).toEqual([]);
  });

  it('a rejected request behind a valid one: the valid one is answered, the marker behind never runs', async () => {
    const got = await run(
      `GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /bad%zz HTTP/1.1\r\nHost: t\r\n\r\n${marker('after-second')}`,
    );
    expect(got.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    await new Promise((r) => setTimeout(r, 300));
    expect(ran('after-second')).toEqual([]);
  });

  it('a valid request followed by garbage: the client gets its response, then the 400 page and the close', async () => {
    const got = await run('GET /valid HTTP/1.1\r\nHost: t\r\nX-Case: valid-garbage\r\n\r\nGARBAGE\x01\r\n\r\n');
    expect(got.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(server.recorded().filter((r) => r.case === 'valid-garbage')).toHaveLength(1);
  });

  it('a request pipelined behind an HTTP/1.0 one whose response closes the connection never runs', async () => {
    const got = await run(`GET /no-length HTTP/1.0\r\nConnection: keep-alive\r\n\r\n${marker('after-1.0')}`);
    expect(got).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(got).toContain('part one;part two');
    await new Promise((r) => setTimeout(r, 300));
    expect(ran('after-1.0')).toEqual([]);
  });

  it('behind a keep-alive HTTP/1.0 response that kept the connection, the next request runs (in order)', async () => {
    const c = await connect(server.port);
    c.socket.write(`GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n${marker('after-kept')}`);
    await new Promise<void>((resolve) => {
      const check = () =>
        c
          .received()
          .toString()
          .match(/HTTP\/1\.1 200/g)?.length === 2
          ? resolve()
          : setTimeout(check, 20);
      check();
    });
    c.destroy();
    expect(ran('after-kept')).toHaveLength(1);
  });

  it('one HTTPERR line per rejection (the two 400s and the garbage: Verb)', () => {
    const lines = readHttpErr(server).lines;
    expect(lines.map((l) => l.reason).sort()).toEqual(['URL', 'URL', 'Verb']);
  });

  it('leaves nothing in flight: descriptors and in-flight counts back at their baseline', async () => {
    await expectSettled(server, baseline);
  });
});

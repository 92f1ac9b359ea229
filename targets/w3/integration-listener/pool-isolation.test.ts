// Pool isolation that cannot be bypassed: with `/admin` → pool `adm` and `/` → pool `main`, every spelling of an
// /admin path reaches `adm` (or is rejected with 400), never `main`; the worker receives the target as the client
// sent it; absolute-form targets are routed by their path and authority. Afterwards nothing is left in flight.
import { exchange, readHttpErr } from './test-support/raw-client';
import { startEchoServer, resources, expectSettled, type EchoServer, type Resources } from './test-support/echo-server';

jest.setTimeout(60_000);

describe('pool isolation', () => {
  let server: EchoServer;
  let baseline: Resources;
  beforeAll(async () => {
    server = await startEchoServer();
    baseline = await resources(server);
  });
  afterAll(async () => server?.stop());

  const get = (target: string, host = 'Host: t\r\n', version = '1.1') =>
    exchange(server.port, `GET ${target} HTTP/${version}\r\n${host}Connection: close\r\n\r\n`);

  it.each([
    '/admin/secret',
    '/x/../admin/secret',
    '/%61dmin/secret',
    '/ADMIN/x',
    '/Admin',
    '//admin/secret',
    '/./admin/secret',
    '/x/%2e%2e/admin/secret',
    '/x/..%2fadmin/secret',
    '/x\\..\\admin\\secret',
    '/x/%5c../admin/secret',
    '/adm%69n/secret',
  ])('%s reaches the /admin pool, with the target unchanged', async (target) => {
    const r = await get(target);
    expect(r.status).toBe(200);
    const echoed = JSON.parse(r.body.toString()) as { pool: string; url: string };
    expect(echoed).toMatchObject({ pool: 'adm', url: target });
  });

  it.each(['/%2561dmin/secret', '/../admin/secret', '/x/../../admin', '/admin%00/x', '/admin#x'])(
    '%s cannot be canonicalised → 400 Invalid URL',
    async (target) => {
      const r = await get(target);
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('Bad Request - Invalid URL');
      expect(r.serverClosed).toBe(true);
    },
  );

  it('absolute-form targets: routed by path, the authority is the Host, the worker gets origin form', async () => {
    const a = await get('http://Example.test:8080/ADMIN/y?q=1', 'Host: ignored\r\n');
    expect(a.status).toBe(200);
    const echoed = JSON.parse(a.body.toString()) as { pool: string; url: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ pool: 'adm', url: '/ADMIN/y?q=1' });
    expect(echoed.headers['host']).toBe('Example.test:8080');
    const b = await get('http://example.test', '');
    expect(JSON.parse(b.body.toString())).toMatchObject({ pool: 'main', url: '/' });
  });

  it('nothing that names /admin was ever run by the main pool', () => {
    const leaked = server.recorded().filter((r) => r.pool === 'main' && /admin|%61|%69|\\/i.test(r.url));
    expect(leaked).toEqual([]);
  });

  it('every rejection wrote exactly one HTTPERR line', () => {
    const lines = readHttpErr(server).lines;
    expect(lines.filter((l) => l.reason === 'URL')).toHaveLength(5);
    expect(lines).toHaveLength(5);
  });

  it('leaves nothing in flight: descriptors and in-flight counts back at their baseline', async () => {
    await expectSettled(server, baseline);
  });
});

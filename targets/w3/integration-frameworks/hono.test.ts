// A Hono app (targets/apps/hono-app.mjs, an ES module exporting the app: a fetch handler) hosted by w3 through
// the fetch bridge: routes, JSON bodies, two Set-Cookie lines, a streamed body, and no failed request across a
// recycle and a SIGKILL under load.
import http from 'node:http';
import path from 'node:path';
import { APPS, request, type RunningServer } from '../test-support/server';
import {
  expectNoFailedRequest,
  recycleAndKillUnderLoad,
  serveApp,
  servedStyle,
} from '../test-support/framework-faults';

jest.setTimeout(180_000);

describe('Hono app under w3', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveApp(path.join(APPS, 'hono-app.mjs'));
  }, 120_000);
  afterAll(async () => server?.stop());

  it('serves its routes, cookies and a streamed body from a worker', async () => {
    expect(servedStyle(server)).toBe('fetch');
    const user = await request(server.url, { path: '/users/42' });
    expect([user.status, JSON.parse(user.body)]).toEqual([200, { id: '42', pid: user.workerPid }]);
    const created = await request(server.url, {
      method: 'POST',
      path: '/users',
      body: '{"name":"ann"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect([created.status, JSON.parse(created.body)]).toEqual([201, { created: { name: 'ann' } }]);
    const login = await request(server.url, { method: 'POST', path: '/login', body: 'x' });
    expect([login.status, login.headers['set-cookie']]).toEqual([
      204,
      ['session=s3cr3t; Path=/; HttpOnly', 'theme=dark; Path=/'],
    ]);
    // Streamed: the first line reaches the client through w3 before the app has written the last one.
    const firstLineAt = await new Promise<{ first: number; end: number; body: string }>((resolve, reject) => {
      http
        .get(`${server.url}/stream?n=200`, (res) => {
          let first = 0;
          let body = '';
          res.on('data', (c: Buffer) => {
            first ||= Date.now();
            body += c.toString();
          });
          res.on('end', () => resolve({ first, end: Date.now(), body }));
        })
        .on('error', reject);
    });
    expect(firstLineAt.body.split('\n').filter(Boolean)).toHaveLength(200);
    expect(firstLineAt.body.startsWith('line 0\nline 1\n')).toBe(true);
    expect(firstLineAt.end).toBeGreaterThan(firstLineAt.first); // more than one write reached the client
  });

  it('loses no request across a recycle and a SIGKILL of its worker under keep-alive load', async () => {
    expectNoFailedRequest(await recycleAndKillUnderLoad(server, '/slow?ms=5'));
  });
});

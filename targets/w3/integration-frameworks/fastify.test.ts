// A Fastify instance export (targets/apps/fastify-app.js) hosted by w3: ready() awaited in each worker, its routes,
// schema validation and 404s answered through w3, and no failed request across a recycle and a SIGKILL under load.
import path from 'node:path';
import { APPS, request, type RunningServer } from '../test-support/server';
import {
  expectNoFailedRequest,
  recycleAndKillUnderLoad,
  serveApp,
  servedStyle,
} from '../test-support/framework-faults';

jest.setTimeout(180_000);

describe('Fastify app under w3', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveApp(path.join(APPS, 'fastify-app.js'));
  }, 120_000);
  afterAll(async () => server?.stop());

  it('serves its routes from a worker', async () => {
    expect(servedStyle(server)).toBe('fastify');
    const user = await request(server.url, { path: '/users/42' });
    expect([user.status, JSON.parse(user.body)]).toEqual([200, { id: '42', pid: user.workerPid }]);
    const json = { 'Content-Type': 'application/json' };
    const created = await request(server.url, {
      method: 'POST',
      path: '/users',
      body: '{"name":"ann"}',
      headers: json,
    });
    expect([created.status, JSON.parse(created.body)]).toEqual([201, { created: { name: 'ann' } }]);
    const invalid = await request(server.url, { method: 'POST', path: '/users', body: '{}', headers: json });
    expect(invalid.status).toBe(400);
    expect((await request(server.url, { path: '/missing' })).status).toBe(404);
  });

  it('loses no request across a recycle and a SIGKILL of its worker under keep-alive load', async () => {
    expectNoFailedRequest(await recycleAndKillUnderLoad(server, '/slow?ms=5'));
  });
});

// A Koa app (targets/apps/koa-app.js, the application object) hosted by w3 through callback(): routes, JSON
// bodies, and no failed request across a recycle and a SIGKILL under load.
import path from 'node:path';
import { APPS, request, type RunningServer } from '../test-support/server';
import {
  expectNoFailedRequest,
  recycleAndKillUnderLoad,
  serveApp,
  servedStyle,
} from '../test-support/framework-faults';

jest.setTimeout(180_000);

describe('Koa app under w3', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveApp(path.join(APPS, 'koa-app.js'));
  }, 120_000);
  afterAll(async () => server?.stop());

  it('serves its routes from a worker', async () => {
    expect(servedStyle(server)).toBe('koa');
    const user = await request(server.url, { path: '/users/7' });
    expect([user.status, JSON.parse(user.body)]).toEqual([200, { id: '7', pid: user.workerPid }]);
    const created = await request(server.url, {
      method: 'POST',
      path: '/users',
      body: '{"a":1}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect([created.status, JSON.parse(created.body)]).toEqual([201, { created: { a: 1 } }]);
  });

  it('loses no request across a recycle and a SIGKILL of its worker under keep-alive load', async () => {
    expectNoFailedRequest(await recycleAndKillUnderLoad(server, '/slow?ms=5'));
  });
});

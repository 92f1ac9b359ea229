// A NestJS app on the Express adapter (targets/apps/nest-express-app.mjs) hosted by w3: the worker calls init(), never
// listen(), and serves the Express instance behind the adapter — routes with an injected service, params, bodies, a
// 404 from Nest — and no failed request across a recycle and a SIGKILL under load.
import path from 'node:path';
import { APPS, request, type RunningServer } from '../test-support/server';
import {
  expectNoFailedRequest,
  recycleAndKillUnderLoad,
  serveApp,
  servedStyle,
} from '../test-support/framework-faults';

jest.setTimeout(180_000);

describe('NestJS (Express adapter) app under w3', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveApp(path.join(APPS, 'nest-express-app.mjs'));
  }, 120_000);
  afterAll(async () => server?.stop());

  it('serves its controller from a worker', async () => {
    expect(servedStyle(server)).toBe('nest (express)');
    expect((await request(server.url, { path: '/' })).body).toBe('hello from nest\n');
    const user = await request(server.url, { path: '/users/42' });
    expect([user.status, JSON.parse(user.body)]).toEqual([200, { id: '42', pid: user.workerPid }]);
    const created = await request(server.url, {
      method: 'POST',
      path: '/users',
      body: '{"name":"ann"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect([created.status, JSON.parse(created.body)]).toEqual([201, { created: { name: 'ann' } }]);
    const missing = await request(server.url, { path: '/missing' });
    expect([missing.status, JSON.parse(missing.body)]).toMatchObject([404, { statusCode: 404 }]);
  });

  it('loses no request across a recycle and a SIGKILL of its worker under keep-alive load', async () => {
    expectNoFailedRequest(await recycleAndKillUnderLoad(server, '/slow?ms=5'));
  });
});

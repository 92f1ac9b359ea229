// Apps nobody here wrote run under w3: an unmodified Express app in-process, and Python's http.server in
// command mode (w3 passes PORT, waits for the port, proxies to it).
import path from 'node:path';
import { startServer, request, APPS, type RunningServer } from '../test-support/server';

jest.setTimeout(60_000);

describe('real applications', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('hosts an Express app in-process and a Python server in command mode', async () => {
    server = await startServer({
      pools: [{ name: 'node' }, { name: 'py', processModel: { pingInterval: '500ms' } }],
      applications: [
        { path: '/', pool: 'node', module: path.join(APPS, 'express-app.js') },
        { path: '/py', pool: 'py', command: ['python3', path.join(APPS, 'python_app.py')] },
      ],
    });
    const user = await request(server.url, { path: '/users/42' });
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ id: '42' });
    const created = await request(server.url, {
      method: 'POST',
      path: '/users',
      body: JSON.stringify({ n: 1 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toEqual({ created: { n: 1 } });
    const py = await request(server.url, { path: '/py/hello' });
    expect(py.status).toBe(200);
    expect(JSON.parse(py.body)).toMatchObject({ server: 'python', path: '/py/hello' });
    expect(py.workerPid).toBe(JSON.parse(py.body).pid);
  });
});

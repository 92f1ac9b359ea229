// A worker that shuts down gracefully (a recycle) ends its app's own resources first: a Fastify app's onClose hook
// (where an app closes its database pool) runs in the old worker before it exits.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../util/compiled-path';
import { request, startServer, tempDir, type RunningServer } from '../test-support/server';

jest.setTimeout(120_000);

describe('app close at worker shutdown', () => {
  let server: RunningServer;
  let dir: string;
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs a Fastify app's onClose hook in the recycled worker", async () => {
    dir = tempDir('w3-app-close-');
    const marks = path.join(dir, 'closed.txt');
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(
      app,
      [
        `const fastify = require(${JSON.stringify(path.join(repoRoot(), 'node_modules', 'fastify'))});`,
        'const app = fastify();',
        "app.get('/', async () => String(process.pid));",
        "app.addHook('onClose', async () =>",
        `  require('fs').appendFileSync(${JSON.stringify(marks)}, process.pid + '\\n'));`,
        'module.exports = app;',
        '',
      ].join('\n'),
    );
    server = await startServer({
      pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
      applications: [{ path: '/', pool: 'app', module: app }],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
    const first = Number((await request(server.url)).body);
    const from = server.events.length;
    const out = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
    await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === out.recycleIds[0], 30_000, from);
    await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === first, 30_000, from);
    expect(fs.readFileSync(marks, 'utf8')).toBe(`${first}\n`);
    const second = Number((await request(server.url)).body);
    expect(second).not.toBe(first);
  });
});

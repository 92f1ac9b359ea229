// An application module whose export no style fits: its worker fails to start with an error that names the
// module and what it exports (in w3's output, where an operator looks), and w3 goes on serving its other pools.
import fs from 'node:fs';
import path from 'node:path';
import { APPS, request, startServer, tempDir, type RunningServer } from '../test-support/server';

jest.setTimeout(120_000);

describe('an app module with an unusable export', () => {
  let server: RunningServer;
  let dir: string;
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the module and its exports; the other pool keeps serving', async () => {
    dir = tempDir('w3-bad-export-');
    const bad = path.join(dir, 'server.js');
    // The usual mistake: a module that starts its own server and exports its settings.
    fs.writeFileSync(bad, 'module.exports = { port: 3000, start() {} };\n');
    server = await startServer({
      pools: [
        { name: 'bad', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 2 } },
        { name: 'good', startMode: 'AlwaysRunning' },
      ],
      applications: [
        { path: '/bad', pool: 'bad', module: bad },
        { path: '/', pool: 'good', module: path.join(APPS, 'hello.js') },
      ],
    });
    await server.waitForEvent((e) => e.type === 'PoolStopped', 60_000);
    expect(server.output()).toContain(
      `application module ${bad} exports no app w3 can serve: ` +
        'module.exports is an object with keys { port: number, start: function(0) }',
    );
    expect(server.output()).toContain('a Fastify instance');
    const good = await request(server.url, { path: '/' });
    expect([good.status, good.body]).toEqual([200, 'hello\n']);
    expect((await request(server.url, { path: '/bad' })).status).toBe(503);
  });
});

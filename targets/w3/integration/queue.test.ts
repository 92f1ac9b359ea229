// The pool queue: requests that arrive while no worker is ready wait and are served when one is (demand start);
// more than queueLength waiting requests → exactly the overflow gets the HTTP.SYS 503.
import path from 'node:path';
import fs from 'node:fs';
import { startServer, request, tempDir, APPS, type RunningServer } from '../test-support/server';

jest.setTimeout(60_000);

function slowStartApp(ms: number): string {
  const file = path.join(tempDir('w3-app-'), 'slow-start.js');
  fs.writeFileSync(
    file,
    `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});\n` +
      `module.exports = require(${JSON.stringify(path.join(APPS, 'lab-app.js'))});\n`,
  );
  return file;
}

describe('request queue', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('demand-starts a worker and serves requests that queued while none was ready', async () => {
    server = await startServer({
      pools: [{ name: 'app', startMode: 'OnDemand' }],
      applications: [{ path: '/', pool: 'app', module: slowStartApp(800) }],
    });
    expect(server.events.some((e) => e.type === 'WorkerStarting')).toBe(false);
    const replies = await Promise.all(Array.from({ length: 10 }, () => request(server.url)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    const starting = server.events.filter((e) => e.type === 'WorkerStarting');
    expect(starting).toHaveLength(1);
    const ready = server.events.find((e) => e.type === 'WorkerReady')!;
    for (const r of replies) expect(r.endedAt).toBeGreaterThanOrEqual(ready.t);
  });

  it('queue overflow gives 503 to exactly the requests beyond queueLength', async () => {
    server = await startServer({
      pools: [{ name: 'app', startMode: 'OnDemand', queueLength: 10 }],
      applications: [{ path: '/', pool: 'app', module: slowStartApp(1500) }],
    });
    const replies = await Promise.all(Array.from({ length: 15 }, () => request(server.url)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 503)).toHaveLength(5);
    const rejected = replies.find((r) => r.status === 503)!;
    expect(rejected.headers['server']).toBe('Microsoft-HTTPAPI/2.0');
    expect(rejected.headers['connection']).toBe('close');
    expect(Buffer.byteLength(rejected.body)).toBe(326);
    expect(server.events.filter((e) => e.type === 'QueueFull')).toHaveLength(5);
    expect(server.output()).toContain('QueueFull');
  });

  it('routes by path prefix and answers 404 itself when nothing matches', async () => {
    server = await startServer({
      pools: [{ name: 'a' }, { name: 'b' }],
      applications: [
        { path: '/api', host: 'api.local', pool: 'a', module: path.join(APPS, 'lab-app.js') },
        { path: '/site', pool: 'b', module: path.join(APPS, 'hello.js') },
      ],
    });
    expect((await request(server.url, { path: '/site/x' })).status).toBe(200);
    expect((await request(server.url, { path: '/api/pid', headers: { Host: 'api.local' } })).status).toBe(200);
    const miss = await request(server.url, { path: '/api/pid' }); // wrong host
    expect(miss.status).toBe(404);
    expect(miss.headers['server']).toBe('Microsoft-HTTPAPI/2.0');
    const pools = await server.admin.request<{ name: string; workers: unknown[] }[]>('GET', '/pools');
    expect(pools.map((p) => [p.name, p.workers.length])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });
});

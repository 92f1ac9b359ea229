// Command-mode applications speak plain HTTP on their own port, never frames: with listen.transport "frames", a
// configuration that has one runs the HTTP transport for all its applications (logged at start) and serves both
// kinds; a reload cannot add a command application to a host that started on frames (the transport is chosen at
// start), and the running configuration stays.
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type RunningServer } from '../test-support/server';
import { LISTENER_APP, exchange } from '../integration-listener/test-support/raw-client';

jest.setTimeout(90_000);

const RAW_APP = path.join(__dirname, '..', 'robustness', 'test-support', 'raw-response-app.js');
const FRAMES = { host: '127.0.0.1', port: 0, transport: 'frames' };
const commandApp = { path: '/', pool: 'raw', command: [process.execPath, RAW_APP] };
const moduleApp = { path: '/m', pool: 'mod', module: LISTENER_APP };
const get = (port: number, p: string) => exchange(port, `GET ${p} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);

describe('command-mode applications and the framed transport', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('a configuration with a command application runs on HTTP and serves both kinds of application', async () => {
    server = await startServer({
      listen: FRAMES,
      pools: [
        { name: 'raw', startMode: 'AlwaysRunning' },
        { name: 'mod', startMode: 'AlwaysRunning' },
      ],
      applications: [moduleApp, commandApp],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'raw');
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === 'mod');
    expect(server.output()).toContain('a command-mode application speaks plain HTTP: the listener runs on HTTP');
    const [cmd, mod] = [await get(server.port, '/ok'), await get(server.port, '/m/plain')];
    expect([cmd.status, cmd.body.toString()]).toEqual([200, 'ok']);
    expect([mod.status, mod.body.toString()]).toEqual([200, 'hello\n']);
    expect(Number(cmd.headers['x-w3-worker-pid'])).toBeGreaterThan(0);
  });

  it('a reload that adds a command application to a host on frames is refused; the host keeps serving', async () => {
    server = await startServer({
      listen: FRAMES,
      pools: [{ name: 'mod', startMode: 'AlwaysRunning' }],
      applications: [moduleApp],
    });
    await server.waitForEvent((e) => e.type === 'WorkerReady');
    expect(server.output()).not.toContain('the listener runs on HTTP');
    const file = path.join(server.dir, 'w3.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown[]>;
    config['pools']!.push({ name: 'raw' });
    config['applications']!.push(commandApp);
    fs.writeFileSync(file, JSON.stringify(config));
    await expect(server.admin.request('POST', '/reload')).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/command-mode application needs the HTTP transport.*restart/),
    });
    const mod = await get(server.port, '/m/plain');
    expect(mod.status).toBe(200);
  });
});

// The host's logs on a real server: HTTPERR lines and the host log go to files asynchronously, roll over at their
// truncate size (HTTP.SYS: 1 MB for HTTPERR) keeping maxLogFiles old files, lose no line under a flood of bad
// requests, and what is still buffered at a SIGTERM is in the file after the exit.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, request, type RunningServer } from '../test-support/server';

const APP = path.join(__dirname, 'fixtures', 'robust-app.js');

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function linesIn(dir: string, prefix: string, match: (l: string) => boolean): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter(match).length;
}

test('HTTPERR and host log roll over at their size; a flood of 404s loses no line; the exit flushes the rest', async () => {
  server = await startServer({
    logging: {
      httpErrLog: './httperr.log',
      httpErrLogTruncateSize: 1048576,
      hostLog: './host.log',
      hostLogTruncateSize: 1048576,
      maxLogFiles: 10,
    },
    pools: [{ name: 'app' }],
    applications: [{ path: '/app', pool: 'app', module: APP }],
  });
  const dir = server.dir;
  // ~4.2 KB per HTTPERR line (the URI field is cut at 4096): 600 lines ≈ 2.5 MB, so at least two roll-overs.
  const agent = new http.Agent({ keepAlive: false, maxSockets: 20 });
  const uri = '/nope' + ('/' + 'u'.repeat(200)).repeat(20);
  const replies = await Promise.all(Array.from({ length: 600 }, () => request(server!.url, { path: uri, agent })));
  agent.destroy();
  expect(replies.every((r) => r.status === 404)).toBe(true);
  const exited = new Promise((r) => server!.proc.once('exit', r));
  server.proc.kill('SIGTERM');
  await exited;
  const files = fs.readdirSync(dir);
  expect(files).toEqual(expect.arrayContaining(['httperr.log', 'httperr.log.1', 'httperr.log.2', 'host.log', 'host.log.1']));
  for (const f of files.filter((n) => n.startsWith('httperr.log'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    expect(text.startsWith('#Software: w3 HTTP listener\n')).toBe(true);
    expect(fs.statSync(path.join(dir, f)).size).toBeLessThan(1048576 + 512 * 1024);
  }
  expect(linesIn(dir, 'httperr.log', (l) => / NotFound /.test(l))).toBe(600);
  // The host log has every HTTPERR line too, and the last events before the exit (flushed by the exit hook).
  expect(linesIn(dir, 'host.log', (l) => l.includes('"httperr"'))).toBe(600);
  const tail = fs.readFileSync(path.join(dir, 'host.log'), 'utf8');
  expect(tail).toContain('"HostStopping"');
  // The log went to the file, not stdout.
  expect(server.output()).not.toContain('"HostStopping"');
  fs.rmSync(dir, { recursive: true, force: true });
  server = null;
});

// The w3 image contract's pure parts: repository paths map into the image, a host config is adapted for the
// container (listen inside on 0.0.0.0:8080, admin socket in /run/w3, never an admin TCP port), and events are read
// from the container's log lines.
import path from 'node:path';
import { containerizeW3Config, toContainerPath, W3_CONTAINER_ADMIN_SOCKET } from './w3-container';
import { parseEventLine } from '../../faults/container/oom-kill';

test('toContainerPath maps repository files into /opt/w3lab and refuses outside files', () => {
  expect(toContainerPath('/repo/targets/apps/hello.js', '/repo')).toBe('/opt/w3lab/targets/apps/hello.js');
  expect(() => toContainerPath('/elsewhere/app.js', '/repo')).toThrow(/outside the repository/);
  expect(toContainerPath(path.join('/repo', 'dist', 'x.js'), '/repo')).toBe('/opt/w3lab/dist/x.js');
});

test('containerizeW3Config listens on 0.0.0.0:8080 inside and keeps the admin API on the socket only', () => {
  const c = containerizeW3Config({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { socket: './a.sock', tcp: { host: '127.0.0.1', port: 0, token: 't' } },
    pools: [{ name: 'app' }],
  });
  expect(c.listen).toEqual({ host: '0.0.0.0', port: 8080 });
  expect(c.admin).toEqual({ socket: W3_CONTAINER_ADMIN_SOCKET, tcp: null });
  expect(c.pools).toEqual([{ name: 'app' }]);
});

test('parseEventLine reads w3 pino lines and node-cluster event lines, and ignores the rest', () => {
  expect(parseEventLine('{"level":30,"event":{"type":"WorkerCrashed","pid":7,"signal":"SIGKILL"}}')).toMatchObject({
    type: 'WorkerCrashed',
    pid: 7,
  });
  expect(parseEventLine('{"event":{"t":1,"type":"HostStarted"}}')).toMatchObject({ type: 'HostStarted' });
  expect(parseEventLine('{"level":30,"msg":"hello"}')).toBeNull();
  expect(parseEventLine('w3lab: "event" in plain text')).toBeNull();
});

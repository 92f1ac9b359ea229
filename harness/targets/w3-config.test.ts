// Unit tests of the generated w3 config: defaults, overrides, the admin socket path limit, settings validation.
import path from 'node:path';
import os from 'node:os';
import { adminSocketPath, buildW3Config, MAX_SOCKET_PATH_BYTES, parseW3Settings } from './w3-config';

describe('w3 config generation', () => {
  it('defaults: pool app, lab-app at /, loopback port 0, admin socket and HTTPERR log in the run folder', () => {
    const g = buildW3Config('/tmp/run', '/repo/lab-app.js');
    expect(g.config).toEqual({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { socket: '/tmp/run/w3-admin.sock' },
      logging: { httpErrLog: '/tmp/run/httperr.log' },
      pools: [{ name: 'app' }],
      applications: [{ path: '/', pool: 'app', module: '/repo/lab-app.js' }],
    });
    expect(g).toMatchObject({ adminSocket: '/tmp/run/w3-admin.sock', temporarySocket: false });
  });

  it('deep-merges scenario overrides; arrays replace', () => {
    const g = buildW3Config('/tmp/run', '/repo/lab-app.js', {
      pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
      logging: { accessLog: true },
    });
    expect(g.config['pools']).toEqual([{ name: 'app', startMode: 'AlwaysRunning' }]);
    expect(g.config['logging']).toEqual({ httpErrLog: '/tmp/run/httperr.log', accessLog: true });
  });

  it('moves the socket to the temp folder when the run folder path is too long for a Unix socket', () => {
    const deep = '/tmp/' + 'x'.repeat(120);
    const s = adminSocketPath(deep, () => 'abc');
    expect(s).toEqual({ path: path.join(os.tmpdir(), 'w3lab-abc.sock'), temporary: true });
    expect(Buffer.byteLength(s.path)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(buildW3Config(deep, '/a.js', undefined, () => 'abc')).toMatchObject({
      adminSocket: s.path,
      temporarySocket: true,
    });
  });

  it('honours a socket chosen by the scenario (relative to the run folder) and rejects one too long', () => {
    expect(buildW3Config('/tmp/run', '/a.js', { admin: { socket: 'my.sock' } }).adminSocket).toBe('/tmp/run/my.sock');
    expect(() => buildW3Config('/tmp/run', '/a.js', { admin: { socket: 'y'.repeat(120) } })).toThrow(
      expect.objectContaining({ code: 'LAB_ERR_TARGET_SETTINGS' }),
    );
  });

  it('settings: only `config`, an object', () => {
    expect(parseW3Settings({ config: { a: 1 } })).toEqual({ config: { a: 1 } });
    expect(parseW3Settings(undefined)).toEqual({});
    expect(() => parseW3Settings({ config: [] })).toThrow(/settings\.config/);
    expect(() => parseW3Settings({ workers: 2 })).toThrow(expect.objectContaining({ code: 'LAB_ERR_TARGET_SETTINGS' }));
  });
});

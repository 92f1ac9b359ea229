import { ConfigError, parseConfig } from './index';
import { issuesOf as issuesIn, makeFixtureDir, minimal, removeFixtureDir } from './test-support/fixtures';

let dir: string;
beforeAll(() => {
  dir = makeFixtureDir();
});
afterAll(() => {
  removeFixtureDir(dir);
});
const issuesOf = (raw: unknown) => issuesIn(raw, dir);

describe('parseConfig errors', () => {
  it('rejects an unknown key at its own path, suggesting the intended key', () => {
    const raw = { ...minimal(), pools: [{ name: 'app', processModel: { pingIntervall: '1s' } }] };
    expect(issuesOf(raw)).toEqual([
      { path: 'pools.0.processModel.pingIntervall', message: 'unknown key (did you mean "pingInterval"?)' },
    ]);
    expect(issuesOf({ ...minimal(), zzz: 1 })[0]).toEqual({
      path: 'zzz',
      message: expect.stringMatching(/^unknown key \(allowed: \$schema, listen, /),
    });
  });

  it('rejects wrong types with the path', () => {
    expect(issuesOf({ ...minimal(), listen: { port: '8080' } })).toEqual([
      { path: 'listen.port', message: expect.stringMatching(/expected number, received string/) },
    ]);
    expect(issuesOf('not an object')[0]).toMatchObject({ path: '', message: expect.stringMatching(/expected object/) });
  });

  it('rejects out-of-range values and bad enums', () => {
    const raw = {
      ...minimal(),
      pools: [{ name: 'app', queueLength: 5, startMode: 'Sometimes', processModel: { maxProcesses: 0 } }],
    };
    expect(
      issuesOf(raw)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['pools.0.processModel.maxProcesses', 'pools.0.queueLength', 'pools.0.startMode']);
  });

  it('rejects a bad duration with the formatted message', () => {
    const raw = { ...minimal(), pools: [{ name: 'app', processModel: { pingInterval: '3x' } }] };
    let error: unknown;
    try {
      parseConfig(raw, { baseDir: dir, file: '/abs/file.json' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('W3_ERR_CONFIG');
    expect((error as ConfigError).message).toBe(
      'invalid config /abs/file.json: pools.0.processModel.pingInterval: ' +
        'bad duration "3x" (use ms or "500ms", "90s", "20m", "29h", "00:01:30")',
    );
  });

  it('rejects zero for timers that must be positive', () => {
    const raw = { ...minimal(), pools: [{ name: 'app', processModel: { pingInterval: 0 } }] };
    expect(issuesOf(raw)).toEqual([{ path: 'pools.0.processModel.pingInterval', message: 'must be greater than 0' }]);
  });

  it('validates schedule times, pool names and paths', () => {
    const raw = {
      pools: [{ name: 'my pool', recycling: { periodicRestart: { schedule: ['03:00', '24:00', '12:00:61'] } } }],
      applications: [{ path: 'api', pool: 'my pool', module: './apps/hello.js' }],
    };
    expect(issuesOf(raw).map((i) => i.path)).toEqual([
      'pools.0.name',
      'pools.0.recycling.periodicRestart.schedule.1',
      'pools.0.recycling.periodicRestart.schedule.2',
      'applications.0.path',
    ]);
  });

  it('requires at least one pool and one application', () => {
    expect(issuesOf({ pools: [], applications: [] })).toEqual([
      { path: 'pools', message: 'at least one pool is required' },
      { path: 'applications', message: 'at least one application is required' },
    ]);
  });

  it('puts one issue per line when there are several', () => {
    try {
      parseConfig(
        { ...minimal(), listen: { port: -1 }, timers: { connectionTimeout: 'soon' } },
        { baseDir: dir, file: '/x/w3.json' },
      );
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message.split('\n')).toEqual([
        'invalid config /x/w3.json (2 issues):',
        expect.stringMatching(/^ {2}listen\.port: /),
        '  timers.connectionTimeout: bad duration "soon" (use ms or "500ms", "90s", "20m", "29h", "00:01:30")',
      ]);
    }
  });
});

describe('parseConfig cross-field rules', () => {
  const app = { path: '/', pool: 'app', module: './apps/hello.js' };

  it('rejects duplicate pool names', () => {
    expect(issuesOf({ pools: [{ name: 'app' }, { name: 'app' }], applications: [app] })).toEqual([
      { path: 'pools.1.name', message: 'duplicate pool name "app" (also pools.0.name)' },
    ]);
  });

  it('rejects an application naming a missing pool', () => {
    expect(issuesOf({ pools: [{ name: 'app' }], applications: [{ ...app, pool: 'nope' }] })).toEqual([
      { path: 'applications.0.pool', message: 'no pool named "nope" (pools: app)' },
    ]);
  });

  it('rejects duplicate (host, path) bindings, host case-insensitive and trailing slash ignored', () => {
    const apps = [
      { ...app, path: '/api' },
      { ...app, path: '/api/' },
      { ...app, path: '/api', host: 'a.example' },
      { ...app, path: '/api', host: 'A.example' },
    ];
    expect(issuesOf({ pools: [{ name: 'app' }], applications: apps })).toEqual([
      { path: 'applications.1.path', message: 'duplicate binding: host (any) path "/api/" (also applications.0)' },
      { path: 'applications.3.path', message: 'duplicate binding: host "a.example" path "/api" (also applications.2)' },
    ]);
  });

  it('requires exactly one of module and command', () => {
    const apps = [
      { path: '/a', pool: 'app' },
      { path: '/b', pool: 'b', module: './apps/hello.js', command: ['node', 'x.js'] },
    ];
    expect(issuesOf({ pools: [{ name: 'app' }, { name: 'b' }], applications: apps })).toEqual([
      { path: 'applications.0', message: 'needs exactly one of "module" or "command"' },
      { path: 'applications.1', message: 'has both "module" and "command"; use exactly one' },
    ]);
  });

  it('rejects an empty command', () => {
    expect(issuesOf({ pools: [{ name: 'app' }], applications: [{ path: '/', pool: 'app', command: [] }] })).toEqual([
      { path: 'applications.0.command', message: 'must name a program (non-empty argv)' },
    ]);
  });

  it('gives a command application a pool of its own, and reserves PORT', () => {
    const apps = [app, { path: '/py', pool: 'app', command: ['python3', 'app.py'], env: { PORT: '1' } }];
    expect(issuesOf({ pools: [{ name: 'app' }], applications: apps })).toEqual([
      { path: 'applications.1.env.PORT', message: 'PORT is set by w3 for command applications; remove it' },
      {
        path: 'applications.1.pool',
        message: 'pool "app" also serves applications.0; a command application needs a pool of its own',
      },
    ]);
  });

  it('rejects healthPath on a module application', () => {
    expect(issuesOf({ pools: [{ name: 'app' }], applications: [{ ...app, healthPath: '/h' }] })).toEqual([
      { path: 'applications.0.healthPath', message: 'healthPath applies to command applications only' },
    ]);
  });

  it('rejects an admin TCP port equal to the listener port', () => {
    const raw = { ...minimal(), listen: { port: 9000 }, admin: { tcp: { port: 9000, token: 't' } } };
    expect(issuesOf(raw)).toEqual([
      { path: 'admin.tcp.port', message: "admin port 9000 is the public listener's port" },
    ]);
  });
});

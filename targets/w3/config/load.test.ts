import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from './index';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3cfg-'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.writeFileSync(path.join(dir, 'apps', 'hello.js'), 'module.exports = (req, res) => res.end("hi");\n');
  fs.mkdirSync(path.join(dir, 'node_modules', 'fake-app'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'fake-app', 'index.js'), 'module.exports = () => {};\n');
  fs.mkdirSync(path.join(dir, 'py'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The smallest valid file: one pool, one module application. */
function minimal(): Record<string, unknown> {
  return {
    pools: [{ name: 'app' }],
    applications: [{ path: '/', pool: 'app', module: './apps/hello.js' }],
  };
}

function issuesOf(raw: unknown, baseDir = dir): { path: string; message: string }[] {
  try {
    parseConfig(raw, { baseDir });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig defaults', () => {
  it('fills every section with the IIS defaults (durations in ms)', () => {
    const cfg = parseConfig(minimal(), { baseDir: dir });
    expect(cfg.file).toBeNull();
    expect(cfg.baseDir).toBe(dir);
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(cfg.admin).toEqual({ socket: path.join(dir, 'w3-admin.sock'), tcp: null });
    expect(cfg.logging).toEqual({ level: 'info', httpErrLog: null, accessLog: false });
    expect(cfg.faultInjection).toEqual({ enabled: false, token: null });
    expect(cfg.limits).toEqual({
      maxFieldLength: 16384,
      maxRequestBytes: 16384,
      urlSegmentMaxLength: 260,
      urlSegmentMaxCount: 255,
      maxUrlLength: 16384,
    });
    expect(cfg.timers).toEqual({
      connectionTimeout: 120_000,
      headerWaitTimeout: 120_000,
      entityBodyTimeout: 120_000,
      minBytesPerSecond: 240,
      requestQueueTimeout: 120_000,
    });
    expect(cfg.cache).toEqual({
      enabled: true,
      frequentHitThreshold: 2,
      frequentHitTimePeriod: 10_000,
      maxResponseSize: 262144,
      maxCacheSize: 0,
      scavengerPeriod: 120_000,
    });
    expect(cfg.pools).toEqual([
      {
        name: 'app',
        queueLength: 1000,
        startMode: 'OnDemand',
        autoStart: true,
        retryIdempotent: true,
        processModel: {
          maxProcesses: 1,
          pingingEnabled: true,
          pingInterval: 30_000,
          pingResponseTime: 90_000,
          startupTimeLimit: 90_000,
          shutdownTimeLimit: 90_000,
          idleTimeout: 1_200_000,
          requestProgressTimeout: 0,
        },
        recycling: {
          periodicRestart: { time: 104_400_000, requests: 0, privateMemory: 0, memory: 0, schedule: [] },
          disallowOverlappingRotation: false,
          disallowRotationOnConfigChange: false,
        },
        failure: {
          rapidFailProtection: true,
          rapidFailProtectionInterval: 300_000,
          rapidFailProtectionMaxCrashes: 5,
          loadBalancerCapabilities: 'HttpLevel',
          orphanWorkerProcess: false,
          orphanActionCommand: null,
          autoShutdownCommand: null,
        },
        cpu: { limit: 0, action: 'NoAction', resetInterval: 300_000 },
      },
    ]);
    expect(cfg.applications).toEqual([
      {
        path: '/',
        host: null,
        pool: 'app',
        module: path.join(dir, 'apps', 'hello.js'),
        command: null,
        cwd: dir,
        env: {},
        healthPath: null,
      },
    ]);
  });

  it('keeps given values and accepts lab timings', () => {
    const raw = minimal();
    raw['pools'] = [{ name: 'app', processModel: { pingInterval: '200ms', pingResponseTime: 300, idleTimeout: 0 } }];
    const pm = parseConfig(raw, { baseDir: dir }).pools[0]!.processModel;
    expect(pm).toMatchObject({ pingInterval: 200, pingResponseTime: 300, idleTimeout: 0, startupTimeLimit: 90_000 });
  });

  it('lowers maxFieldLength to maxRequestBytes as HTTP.sys does', () => {
    const cfg = parseConfig({ ...minimal(), limits: { maxRequestBytes: 4096 } }, { baseDir: dir });
    expect(cfg.limits.maxFieldLength).toBe(4096);
  });
});

describe('parseConfig paths', () => {
  it('resolves module, cwd, admin.socket and logging.httpErrLog against baseDir', () => {
    const cfg = parseConfig(
      {
        admin: { socket: 'run/admin.sock' },
        logging: { httpErrLog: './logs/httperr.log' },
        pools: [{ name: 'app' }, { name: 'py' }],
        applications: [
          { path: '/', pool: 'app', module: 'apps/hello.js', cwd: 'apps' },
          { path: '/py/', host: 'Example.COM', pool: 'py', command: ['python3', 'app.py'], cwd: './py', env: { X: '1' }, healthPath: '/health' },
        ],
      },
      { baseDir: dir, file: path.join(dir, 'w3.json') },
    );
    expect(cfg.file).toBe(path.join(dir, 'w3.json'));
    expect(cfg.admin.socket).toBe(path.join(dir, 'run', 'admin.sock'));
    expect(cfg.logging.httpErrLog).toBe(path.join(dir, 'logs', 'httperr.log'));
    expect(cfg.applications[0]).toMatchObject({ module: path.join(dir, 'apps', 'hello.js'), cwd: path.join(dir, 'apps') });
    expect(cfg.applications[1]).toEqual({
      path: '/py', // trailing slash dropped: the router matches on segment boundaries anyway
      host: 'example.com',
      pool: 'py',
      module: null,
      command: ['python3', 'app.py'],
      cwd: path.join(dir, 'py'),
      env: { X: '1' },
      healthPath: '/health',
    });
  });

  it('resolves extension-less module paths and installed packages from baseDir', () => {
    const raw = { ...minimal(), applications: [{ path: '/', pool: 'app', module: './apps/hello' }] };
    expect(parseConfig(raw, { baseDir: dir }).applications[0]!.module).toBe(path.join(dir, 'apps', 'hello.js'));
    raw.applications[0]!.module = 'fake-app';
    expect(parseConfig(raw, { baseDir: dir }).applications[0]!.module).toBe(path.join(dir, 'node_modules', 'fake-app', 'index.js'));
  });

  it('names applications.N.module when the module does not exist', () => {
    const raw = { ...minimal(), applications: [{ path: '/', pool: 'app', module: './apps/missing.js' }] };
    expect(issuesOf(raw)).toEqual([
      { path: 'applications.0.module', message: `module file not found: ${path.join(dir, 'apps', 'missing.js')}` },
    ]);
    raw.applications[0]!.module = 'no-such-package';
    expect(issuesOf(raw)[0]).toMatchObject({ path: 'applications.0.module', message: expect.stringMatching(/no package "no-such-package"/) });
    raw.applications[0]!.module = 'http';
    expect(issuesOf(raw)[0]?.message).toMatch(/Node built-in/);
  });

  it('names applications.N.cwd when the folder does not exist', () => {
    const raw = { ...minimal(), applications: [{ path: '/', pool: 'app', module: './apps/hello.js', cwd: 'nope' }] };
    expect(issuesOf(raw)).toEqual([{ path: 'applications.0.cwd', message: `directory not found: ${path.join(dir, 'nope')}` }]);
  });

  it('rejects an admin socket path too long for a Unix socket', () => {
    expect(issuesOf({ ...minimal(), admin: { socket: `/tmp/${'x'.repeat(120)}.sock` } })[0]).toMatchObject({
      path: 'admin.socket',
      message: expect.stringMatching(/Unix sockets allow at most/),
    });
  });
});

describe('parseConfig errors', () => {
  it('rejects an unknown key at its own path, suggesting the intended key', () => {
    const raw = { ...minimal(), pools: [{ name: 'app', processModel: { pingIntervall: '1s' } }] };
    expect(issuesOf(raw)).toEqual([{ path: 'pools.0.processModel.pingIntervall', message: 'unknown key (did you mean "pingInterval"?)' }]);
    expect(issuesOf({ ...minimal(), zzz: 1 })[0]).toEqual({ path: 'zzz', message: expect.stringMatching(/^unknown key \(allowed: \$schema, listen, /) });
  });

  it('rejects wrong types with the path', () => {
    expect(issuesOf({ ...minimal(), listen: { port: '8080' } })).toEqual([
      { path: 'listen.port', message: expect.stringMatching(/expected number, received string/) },
    ]);
    expect(issuesOf('not an object')[0]).toMatchObject({ path: '', message: expect.stringMatching(/expected object/) });
  });

  it('rejects out-of-range values and bad enums', () => {
    const raw = { ...minimal(), pools: [{ name: 'app', queueLength: 5, startMode: 'Sometimes', processModel: { maxProcesses: 0 } }] };
    expect(issuesOf(raw).map((i) => i.path).sort()).toEqual(['pools.0.processModel.maxProcesses', 'pools.0.queueLength', 'pools.0.startMode']);
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
      'invalid config /abs/file.json: pools.0.processModel.pingInterval: bad duration "3x" (use ms or "500ms", "90s", "20m", "29h", "00:01:30")',
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
      parseConfig({ ...minimal(), listen: { port: -1 }, timers: { connectionTimeout: 'soon' } }, { baseDir: dir, file: '/x/w3.json' });
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
      { path: 'applications.1.pool', message: 'pool "app" also serves applications.0; a command application needs a pool of its own' },
    ]);
  });

  it('rejects healthPath on a module application', () => {
    expect(issuesOf({ pools: [{ name: 'app' }], applications: [{ ...app, healthPath: '/h' }] })).toEqual([
      { path: 'applications.0.healthPath', message: 'healthPath applies to command applications only' },
    ]);
  });

  it('rejects an admin TCP port equal to the listener port', () => {
    const raw = { ...minimal(), listen: { port: 9000 }, admin: { tcp: { port: 9000, token: 't' } } };
    expect(issuesOf(raw)).toEqual([{ path: 'admin.tcp.port', message: "admin port 9000 is the public listener's port" }]);
  });
});

describe('loadConfig', () => {
  it('loads JSON relative to the file folder', () => {
    const file = path.join(dir, 'w3.json');
    fs.writeFileSync(file, '\uFEFF' + JSON.stringify(minimal()));
    const cfg = loadConfig(file);
    expect(cfg.file).toBe(file);
    expect(cfg.baseDir).toBe(dir);
  });

  it('loads YAML (.yaml and .yml), keeping timespans as strings', () => {
    const yaml = [
      'listen: { port: 0 }',
      'pools:',
      '  - name: app',
      '    processModel:',
      '      pingInterval: 200ms',
      '      startupTimeLimit: 00:00:05',
      'applications:',
      '  - { path: /, pool: app, module: ./apps/hello.js }',
      '',
    ].join('\n');
    for (const name of ['w3.yaml', 'w3.yml']) {
      fs.writeFileSync(path.join(dir, name), yaml);
      const cfg = loadConfig(path.join(dir, name));
      expect(cfg.listen.port).toBe(0);
      expect(cfg.pools[0]!.processModel).toMatchObject({ pingInterval: 200, startupTimeLimit: 5000 });
    }
  });

  it('names the file when it is missing', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => loadConfig(file)).toThrow(`invalid config ${file}: file not found`);
  });

  it('names the file and the position on a JSON syntax error', () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{\n  "pools": []\n  "applications": []\n}'); // missing comma
    expect(() => loadConfig(file)).toThrow(new RegExp(`^invalid config ${file}: JSON syntax error: .*\\(line 3 column 3\\)$`));
    // V8 quotes the text around some errors; the message stays on one line
    fs.writeFileSync(file, '{\n  "pools": [,]\n}');
    expect(() => loadConfig(file)).toThrow(new RegExp(`^invalid config ${file}: JSON syntax error: Unexpected token ',', [^\\n]*$`));
  });

  it('names the file on a YAML syntax error and on an unknown extension', () => {
    const bad = path.join(dir, 'broken.yaml');
    fs.writeFileSync(bad, 'pools: [\n');
    expect(() => loadConfig(bad)).toThrow(new RegExp(`^invalid config ${bad}: YAML syntax error`));
    const toml = path.join(dir, 'w3.toml');
    fs.writeFileSync(toml, '');
    expect(() => loadConfig(toml)).toThrow(`invalid config ${toml}: unknown config file type ".toml" (use .json, .yaml or .yml)`);
  });

  it('loads the shipped example', () => {
    const example = path.join(__dirname, '..', 'examples', 'hello.json');
    const cfg = loadConfig(example);
    expect(cfg.applications[0]!.module).toBe(path.resolve(__dirname, '..', '..', 'apps', 'hello.js'));
    expect(cfg.admin.socket).toBe(path.join(path.dirname(example), 'w3-admin.sock'));
    expect(cfg.pools.map((p) => p.name)).toEqual(['app']);
  });
});

import * as path from 'node:path';
import { parseConfig } from './index';
import { issuesOf as issuesIn, makeFixtureDir, minimal, removeFixtureDir } from './test-support/fixtures';

let dir: string;
beforeAll(() => {
  dir = makeFixtureDir();
});
afterAll(() => {
  removeFixtureDir(dir);
});
const issuesOf = (raw: unknown) => issuesIn(raw, dir);

describe('parseConfig defaults', () => {
  it('fills every section with the IIS defaults (durations in ms)', () => {
    const cfg = parseConfig(minimal(), { baseDir: dir });
    expect(cfg.file).toBeNull();
    expect(cfg.baseDir).toBe(dir);
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 8080, transport: 'frames' });
    expect(cfg.admin).toEqual({ socket: path.join(dir, 'w3-admin.sock'), tcp: null });
    expect(cfg.logging).toEqual({
      level: 'info',
      httpErrLog: null,
      accessLog: false,
      httpErrLogTruncateSize: 1048576,
      hostLog: null,
      hostLogTruncateSize: 67108864,
      maxLogFiles: 10,
    });
    expect(cfg.faultInjection).toEqual({ enabled: false, token: null });
    expect(cfg.limits).toEqual({
      maxFieldLength: 16384,
      maxRequestBytes: 16384,
      urlSegmentMaxLength: 260,
      urlSegmentMaxCount: 255,
      maxUrlLength: 16384,
      maxConnections: 0,
      appConcurrentRequestLimit: 5000,
    });
    expect(cfg.forwarding).toEqual({ addHeaders: true, trustedProxies: [] });
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
          webGardenDispatch: 'spread',
          pingingEnabled: true,
          pingInterval: 30_000,
          pingResponseTime: 90_000,
          startupTimeLimit: 90_000,
          shutdownTimeLimit: 90_000,
          idleTimeout: 1_200_000,
          requestProgressTimeout: 0,
          maxConcurrentRequestsPerWorker: 100,
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
          {
            path: '/py/',
            host: 'Example.COM',
            pool: 'py',
            command: ['python3', 'app.py'],
            cwd: './py',
            env: { X: '1' },
            healthPath: '/health',
          },
        ],
      },
      { baseDir: dir, file: path.join(dir, 'w3.json') },
    );
    expect(cfg.file).toBe(path.join(dir, 'w3.json'));
    expect(cfg.admin.socket).toBe(path.join(dir, 'run', 'admin.sock'));
    expect(cfg.logging.httpErrLog).toBe(path.join(dir, 'logs', 'httperr.log'));
    expect(cfg.applications[0]).toMatchObject({
      module: path.join(dir, 'apps', 'hello.js'),
      cwd: path.join(dir, 'apps'),
    });
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
    expect(parseConfig(raw, { baseDir: dir }).applications[0]!.module).toBe(
      path.join(dir, 'node_modules', 'fake-app', 'index.js'),
    );
  });

  it('names applications.N.module when the module does not exist', () => {
    const raw = { ...minimal(), applications: [{ path: '/', pool: 'app', module: './apps/missing.js' }] };
    expect(issuesOf(raw)).toEqual([
      { path: 'applications.0.module', message: `module file not found: ${path.join(dir, 'apps', 'missing.js')}` },
    ]);
    raw.applications[0]!.module = 'no-such-package';
    expect(issuesOf(raw)[0]).toMatchObject({
      path: 'applications.0.module',
      message: expect.stringMatching(/no package "no-such-package"/),
    });
    raw.applications[0]!.module = 'http';
    expect(issuesOf(raw)[0]?.message).toMatch(/Node built-in/);
  });

  it('names applications.N.cwd when the folder does not exist', () => {
    const raw = { ...minimal(), applications: [{ path: '/', pool: 'app', module: './apps/hello.js', cwd: 'nope' }] };
    expect(issuesOf(raw)).toEqual([
      { path: 'applications.0.cwd', message: `directory not found: ${path.join(dir, 'nope')}` },
    ]);
  });

  it('rejects an admin socket path too long for a Unix socket', () => {
    expect(issuesOf({ ...minimal(), admin: { socket: `/tmp/${'x'.repeat(120)}.sock` } })[0]).toMatchObject({
      path: 'admin.socket',
      message: expect.stringMatching(/Unix sockets allow at most/),
    });
  });
});

// Config generation and log parsing of the front-proxy peers (nginx, HAProxy), the scenario → settings mapping,
// and what the lab does when a peer's program is missing.
import { haproxyDriverSettings, parseHaproxySettings, HAPROXY_CAPABILITIES } from './haproxy-target';
import { nginxDriverSettings, parseNginxSettings, NGINX_CAPABILITIES } from './nginx-target';
import { findBinary, requireBinary } from './peer-binaries';
import { poolIntent } from './pool-intent';
import { isTargetError } from './errors';
import { getTarget } from './registry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nginxConfig, parseAccessLine } = require('../../targets/peers/nginx/config') as {
  nginxConfig: (o: Record<string, unknown>) => string;
  parseAccessLine: (
    line: string,
  ) => null | { retried: boolean; upstreams: string[]; upstreamStatuses: string[]; status: number; t: number };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { haproxyConfig, parseHaproxyLine } = require('../../targets/peers/haproxy/config') as {
  haproxyConfig: (o: Record<string, unknown>) => string;
  parseHaproxyLine: (line: string) => null | Record<string, unknown>;
};

const webGarden = {
  pools: [
    {
      name: 'app',
      processModel: { maxProcesses: 3, shutdownTimeLimit: '1s', pingInterval: '200ms', pingResponseTime: '500ms' },
    },
  ],
};

test('pool intent: only what the scenario says, durations parsed, the pool of "/" preferred', () => {
  expect(poolIntent(webGarden)).toEqual({
    workers: 3,
    shutdownTimeLimitMs: 1000,
    pingIntervalMs: 200,
    pingResponseTimeMs: 500,
  });
  expect(poolIntent({})).toEqual({});
  expect(
    poolIntent({
      pools: [
        { name: 'a', processModel: { maxProcesses: 1 } },
        { name: 'b', processModel: { maxProcesses: 4 } },
      ],
      applications: [{ path: '/', pool: 'b' }],
    }).workers,
  ).toBe(4);
  expect(poolIntent({ pools: [{ name: 'a', processModel: { shutdownTimeLimit: 'soon' } }] })).toEqual({});
});

test('nginx: settings from the scenario, explicit settings win, at least two backends by default', () => {
  const d = nginxDriverSettings(parseNginxSettings({ config: webGarden }), '/usr/sbin/nginx', '/app.js');
  expect(d).toMatchObject({ backends: 3, shutdownTimeoutMs: 1000, keepalive: 32, bin: '/usr/sbin/nginx' });
  expect(nginxDriverSettings(parseNginxSettings({}), 'nginx', '/app.js')).toMatchObject({
    backends: 2,
    shutdownTimeoutMs: 10_000,
    app: '/app.js',
  });
  expect(
    nginxDriverSettings(parseNginxSettings({ config: webGarden, workers: 1, shutdownTimeoutMs: 50 }), 'nginx', '/a.js'),
  ).toMatchObject({ backends: 1, shutdownTimeoutMs: 50 });
  expect(() => parseNginxSettings({ keepalive: -1 })).toThrow(/settings\.keepalive/);
  expect(() => parseNginxSettings({ bogus: 1 })).toThrow(/nginx target settings/);
});

test('nginx config: every path in the run folder, upstream keep-alive, retries on error and timeout', () => {
  const conf = nginxConfig({
    prefix: '/run/x/nginx',
    host: '127.0.0.1',
    port: 8080,
    backends: [9001, 9002],
    workerProcesses: 1,
    keepalive: 16,
    maxFails: 1,
    failTimeoutS: 10,
  });
  expect(conf).toContain('daemon off;');
  expect(conf).toContain('pid /run/x/nginx/nginx.pid;');
  expect(conf).toContain('access_log /run/x/nginx/access.log lab;');
  expect(conf).toMatch(/server 127\.0\.0\.1:9001 max_fails=1 fail_timeout=10s;\s+server 127\.0\.0\.1:9002/);
  expect(conf).toContain('keepalive 16;');
  expect(conf).toContain('proxy_http_version 1.1;');
  expect(conf).toContain('proxy_next_upstream error timeout;');
  expect(conf).toContain('listen 127.0.0.1:8080;');
  // No path outside the run folder (nothing root-owned): every absolute path starts with the prefix.
  for (const m of conf.matchAll(/ (\/[^\s;]+)/g)) expect(m[1]!.startsWith('/run/x/nginx/')).toBe(true);
});

test('nginx access log: a request tried on two upstreams is a retry', () => {
  const retried = parseAccessLine(
    '{"msec":"1796025002.841","status":"200","up":"127.0.0.1:9001, 127.0.0.1:9002",' +
      '"upStatus":"502, 200","method":"GET","uri":"/slow?ms=10"}',
  );
  expect(retried).toMatchObject({
    retried: true,
    status: 200,
    upstreams: ['127.0.0.1:9001', '127.0.0.1:9002'],
    upstreamStatuses: ['502', '200'],
    t: 1796025002841,
  });
  expect(
    parseAccessLine('{"msec":"1.000","status":"200","up":"127.0.0.1:9001","upStatus":"200","method":"GET","uri":"/"}')
      ?.retried,
  ).toBe(false);
  expect(
    parseAccessLine('{"msec":"1.000","status":"502","up":"backends","upStatus":"-","method":"GET","uri":"/"}')
      ?.upstreamStatuses,
  ).toEqual([]);
  expect(parseAccessLine('2026/11/30 07:50:05 [error] no live upstreams')).toBeNull();
  expect(parseAccessLine('{"msec": broken')).toBeNull();
});

test("haproxy: health checks follow the scenario's pings (fall 1), else HAProxy's usual 2 s / fall 3", () => {
  const pinged = haproxyDriverSettings(parseHaproxySettings({ config: webGarden }), 'haproxy', '/a.js');
  expect(pinged['check']).toEqual({ interMs: 200, timeoutMs: 500, fall: 1, rise: 2 });
  expect(haproxyDriverSettings(parseHaproxySettings({}), 'haproxy', '/a.js')['check']).toEqual({
    interMs: 2000,
    timeoutMs: 2000,
    fall: 3,
    rise: 2,
  });
  const conf = haproxyConfig({
    host: '127.0.0.1',
    port: 8080,
    backends: [9001],
    check: { interMs: 200, timeoutMs: 500, fall: 1, rise: 2 },
    retries: 3,
    timeoutConnectMs: 5000,
    timeoutClientMs: 50000,
    timeoutServerMs: 50000,
    healthPath: '/',
  });
  expect(conf).toContain('server b1 127.0.0.1:9001 check inter 200ms fall 1 rise 2');
  expect(conf).toContain('option redispatch');
  expect(conf).toContain('retries 3');
  expect(conf).toContain('timeout check 500ms');
  expect(conf).toContain('option httpchk GET /');
});

test('haproxy log lines: requests with retries, failed checks, DOWN/UP; stderr copies are ignored', () => {
  expect(
    parseHaproxyLine(
      '{"ts":1796025000,"ms":125,"status":200,"retries":"+1","srv":"b2","term":"--","method":"GET","uri":"/"}',
    ),
  ).toEqual({
    kind: 'request',
    t: 1796025000125,
    status: 200,
    retries: 1,
    redispatched: true,
    server: 'b2',
    term: '--',
  });
  expect(
    parseHaproxyLine(
      'Health check for server backends/b2 failed, reason: Layer4 connection problem, ' +
        'info: "Connection refused", check duration: 1ms, status: 0/2 DOWN.',
    ),
  ).toEqual({ kind: 'check-failed', server: 'b2', reason: 'Layer4 connection problem, info: "Connection refused"' });
  expect(parseHaproxyLine('Server backends/b2 is DOWN. 1 active and 0 backup servers left.')).toEqual({
    kind: 'down',
    server: 'b2',
  });
  expect(parseHaproxyLine('Server backends/b1 is UP. 2 active and 0 backup servers online.')).toEqual({
    kind: 'up',
    server: 'b1',
  });
  expect(
    parseHaproxyLine('[WARNING]  (31586) : Server backends/b2 is DOWN. 1 active and 0 backup servers left.'),
  ).toBeNull();
  expect(parseHaproxyLine('[NOTICE]   (31478) : haproxy version is 2.6.12')).toBeNull();
});

test('capabilities: proxies have no memory recycle or rapid-fail; only HAProxy checks health', () => {
  expect(getTarget('nginx').capabilities?.({})).toEqual(NGINX_CAPABILITIES);
  expect(NGINX_CAPABILITIES).not.toContain('hangDetection');
  expect(HAPROXY_CAPABILITIES).toEqual(expect.arrayContaining(['hangDetection', 'stallDetection', 'frontReload']));
  for (const caps of [NGINX_CAPABILITIES, HAPROXY_CAPABILITIES]) {
    expect(caps).not.toContain('memoryRecycle');
    expect(caps).not.toContain('rapidFailProtection');
  }
});

test('a missing program is a clear error naming the package to install', () => {
  expect(findBinary('sh')).toMatch(/\/sh$/);
  expect(findBinary('w3lab-no-such-program')).toBeUndefined();
  let err: unknown;
  try {
    requireBinary('nginx', 'w3lab-no-such-program', 'nginx');
  } catch (e) {
    err = e;
  }
  expect(isTargetError(err, 'LAB_ERR_TARGET_MISSING')).toBe(true);
  expect((err as Error).message).toMatch(/apt-get install -y nginx/);
  expect((err as Error).message).toMatch(/scripts\/ensure-peers\.sh/);
});

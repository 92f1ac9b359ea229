// The gunicorn peer without starting it: scenario → settings mapping, capabilities per worker class, the generated
// config, reading Gunicorn's log lines, the worker/recycle bookkeeping built from them, and a missing Python.
import { isTargetError } from './errors';
import {
  findGunicornPython,
  gunicornCapabilities,
  gunicornDriverSettings,
  parseGunicornSettings,
} from './gunicorn-target';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { gunicornConfig, parseLogLine } = require('../../targets/peers/gunicorn/config') as {
  gunicornConfig: (o: Record<string, unknown>) => string;
  parseLogLine: (line: string) => null | Record<string, unknown>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { GunicornObserver } = require('../../targets/peers/gunicorn/observer') as {
  GunicornObserver: new (o: { kit: Kit; timeoutS: number; now?: () => number }) => {
    onLine(p: unknown): void;
    beginReload(): { recycleIds: number[]; oldPids: number[] };
    workers(pool: string): { pid: number; state: string }[];
  };
};

interface Kit {
  emit: (type: string, f: Record<string, unknown>) => void;
}

const config = {
  pools: [
    {
      name: 'app',
      processModel: { maxProcesses: 3, shutdownTimeLimit: '1500ms', pingInterval: '200ms', pingResponseTime: '500ms' },
      recycling: { periodicRestart: { requests: 500 } },
    },
  ],
};

test('settings: the scenario pool in whole seconds, explicit settings win, Gunicorn defaults otherwise', () => {
  expect(gunicornDriverSettings(parseGunicornSettings({ config }), '/usr/bin/python3', '/app')).toMatchObject({
    workers: 3,
    timeoutS: 1,
    gracefulTimeoutS: 2,
    maxRequests: 500,
    workerClass: 'sync',
    threads: 1,
    keepaliveS: 2,
    wsgiApp: 'lab_app:application',
    appDir: '/app',
    python: '/usr/bin/python3',
  });
  expect(gunicornDriverSettings(parseGunicornSettings({}), 'py', '/app')).toMatchObject({
    workers: 1,
    timeoutS: 30,
    gracefulTimeoutS: 30,
    maxRequests: 0,
  });
  expect(
    gunicornDriverSettings(parseGunicornSettings({ config, workers: 2, timeoutS: 5, maxRequests: 0 }), 'py', '/a'),
  ).toMatchObject({ workers: 2, timeoutS: 5, maxRequests: 0 });
  expect(() => parseGunicornSettings({ threads: 4 })).toThrow(
    /settings\.threads: threads > 1 needs workerClass "gthread"/,
  );
  expect(() => parseGunicornSettings({ workerClass: 'gevent' })).toThrow(/settings\.workerClass/);
  expect(() => parseGunicornSettings({ wsgiApp: 'app; import os' })).toThrow(
    /settings\.wsgiApp: expected module or module:callable/,
  );
  expect(() => parseGunicornSettings({ timeoutS: 0 })).toThrow(/settings\.timeoutS/);
});

test('capabilities: hang detection always; stall detection only where the heartbeat shares the request thread', () => {
  const sync = gunicornCapabilities({});
  expect(sync).toEqual(expect.arrayContaining(['hangDetection', 'stallDetection', 'recycle', 'faults']));
  expect(gunicornCapabilities({ workerClass: 'gthread', threads: 4 })).not.toContain('stallDetection');
  for (const c of ['memoryRecycle', 'rapidFailProtection', 'poolControl', 'pools', 'requestQueue', 'frontReload']) {
    expect(gunicornCapabilities({})).not.toContain(c);
  }
});

test('config: a Python file with every path in the run folder and the lab hooks', () => {
  const text = gunicornConfig({
    faultsDir: '/repo/faults/wsgi',
    appDir: '/repo/targets/peers/gunicorn',
    host: '127.0.0.1',
    port: 8123,
    workers: 2,
    workerClass: 'gthread',
    threads: 4,
    timeoutS: 1,
    gracefulTimeoutS: 10,
    keepaliveS: 2,
    maxRequests: 0,
    maxRequestsJitter: 0,
    pidfile: '/run/x/gunicorn/gunicorn.pid',
    accessLog: '/run/x/gunicorn/access.log',
    wsgiApp: 'lab_app:application',
  });
  for (const line of [
    'bind = ["127.0.0.1:8123"]',
    'workers = 2',
    'worker_class = "gthread"',
    'threads = 4',
    'timeout = 1',
    'graceful_timeout = 10',
    'pidfile = "/run/x/gunicorn/gunicorn.pid"',
    "errorlog = '-'",
    'post_worker_init = _w3lab.post_worker_init',
    'wsgi_app = "lab_app:application"',
  ])
    expect(text).toContain(line);
  expect(() => gunicornConfig({ workers: '2; import os' })).toThrow(/expected an integer/);
});

test('log lines: what each says about which worker', () => {
  const L = (m: string, pid = 100): string => `[2026-11-30 08:39:48 +0000] [${pid}] [INFO] ${m}`;
  const P = (m: string, pid?: number): unknown => parseLogLine(L(m, pid));
  expect(P('Listening at: http://127.0.0.1:40605 (100)')).toMatchObject({ kind: 'listening', masterPid: 100 });
  expect(parseLogLine(L('Booting worker with pid: 101', 101))).toMatchObject({ kind: 'booting', pid: 101, from: 101 });
  expect(parseLogLine(L('w3lab: worker ready (pid: 101, control: 127.0.0.1:4000)', 101))).toMatchObject({
    kind: 'ready',
    pid: 101,
    control: { host: '127.0.0.1', port: 4000 },
  });
  expect(P('w3lab: worker ready (pid: 101)', 101)).toEqual(expect.not.objectContaining({ control: expect.anything() }));
  expect(parseLogLine(L('WORKER TIMEOUT (pid:101)'))).toMatchObject({ kind: 'timeout', pid: 101, from: 100 });
  const signaled = P('Worker with pid 101 was terminated due to signal 9');
  expect(signaled).toMatchObject({ kind: 'signaled', pid: 101, signo: 9 });
  expect(P('Autorestarting worker after current request.', 101)).toMatchObject({ kind: 'max-requests', pid: 101 });
  expect(P('Reason: Worker failed to boot.')).toMatchObject({ kind: 'reason', reason: 'Worker failed to boot.' });
  expect(parseLogLine(L('Using worker: sync'))).toMatchObject({ kind: 'other' });
  expect(parseLogLine('Traceback (most recent call last):')).toBeNull();
});

function observe() {
  const events: { type: string; [k: string]: unknown }[] = [];
  let now = 1000;
  const kit = { emit: (type: string, f: Record<string, unknown>) => void events.push({ type, ...f }) };
  const o = new GunicornObserver({ kit, timeoutS: 1, now: () => now });
  const line = (kind: string, f: Record<string, unknown> = {}): void => o.onLine({ kind, ...f });
  return { o, events, line, tick: (ms: number) => (now += ms) };
}

test('observer: a crash, a hang killed by the timeout, and the workers that remain', () => {
  const { o, events, line } = observe();
  for (const pid of [11, 12]) line('booting', { pid });
  line('ready', { pid: 11, control: { host: '127.0.0.1', port: 1 } });
  line('ready', { pid: 12 });
  line('signaled', { pid: 11, signo: 9 });
  line('gone', { pid: 11 });
  line('timeout', { pid: 12 });
  line('gone', { pid: 12 });
  expect(events.map((e) => `${e.type}:${String(e['pid'])}`)).toEqual([
    'WorkerStarting:11',
    'WorkerStarting:12',
    'WorkerReady:11',
    'WorkerReady:12',
    'WorkerCrashed:11',
    'PingFailed:12',
    'WorkerKilled:12',
  ]);
  expect(events.find((e) => e.type === 'WorkerCrashed')).toMatchObject({ signal: 'SIGKILL', reason: 'crash' });
  expect(events.find((e) => e.type === 'WorkerKilled')!['reason']).toMatch(/ping/);
  expect(o.workers('app')).toEqual([]);
});

test('observer: a HUP pairs old and new workers; overlapped only when the new one was ready first', () => {
  const { o, events, line, tick } = observe();
  for (const pid of [11, 12]) {
    line('booting', { pid });
    line('ready', { pid });
  }
  expect(o.beginReload()).toEqual({ recycleIds: [1, 2], oldPids: [11, 12] });
  tick(100);
  line('booting', { pid: 21 });
  line('booting', { pid: 22 });
  line('ready', { pid: 21 });
  tick(100);
  line('gone', { pid: 11 }); // after 21 was ready: overlapped
  line('gone', { pid: 12 }); // before 22 was ready: not
  tick(100);
  line('ready', { pid: 22 });
  const done = events.filter((e) => e.type === 'RecycleCompleted');
  expect(done).toEqual([
    expect.objectContaining({ recycleId: 1, oldPid: 11, newPid: 21, overlapped: true, readyMs: 100, oldExitMs: 200 }),
    expect.objectContaining({ recycleId: 2, oldPid: 12, newPid: 22, overlapped: false, readyMs: 300, oldExitMs: 200 }),
  ]);
  expect(events.filter((e) => e.type === 'WorkerExited').map((e) => e['reason'])).toEqual(['recycle', 'recycle']);
  expect(events.find((e) => e.type === 'WorkerStarting' && e['pid'] === 22)).toMatchObject({ recycleId: 2 });
});

test('observer: max_requests is a recycle of one worker whose replacement boots after it exits', () => {
  const { events, line } = observe();
  line('booting', { pid: 11 });
  line('ready', { pid: 11 });
  line('max-requests', { pid: 11 });
  line('exiting', { pid: 11 });
  line('gone', { pid: 11 });
  line('booting', { pid: 12 });
  line('booting', { pid: 13 }); // a crash replacement later is not part of it
  line('ready', { pid: 12 });
  const find = (type: string) => events.find((e) => e.type === type);
  expect(find('RecycleStarted')).toMatchObject({ reason: 'Requests', pid: 11, overlapped: false });
  expect(find('RecycleCompleted')).toMatchObject({ oldPid: 11, newPid: 12, overlapped: false });
  expect(events.find((e) => e.type === 'WorkerStarting' && e['pid'] === 13)).not.toHaveProperty('recycleId');
});

test('a Python that cannot import gunicorn is LAB_ERR_TARGET_MISSING naming the package to install', () => {
  let err: unknown;
  try {
    findGunicornPython('/bin/false');
  } catch (e) {
    err = e;
  }
  expect(isTargetError(err, 'LAB_ERR_TARGET_MISSING')).toBe(true);
  expect((err as Error).message).toMatch(/apt-get install -y python3-gunicorn.*scripts\/ensure-peers\.sh/s);
});

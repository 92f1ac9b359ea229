// The pm2 driver's bookkeeping without PM2: workers as PM2 forks them (a cluster worker carrying pm2_env), PM2's own
// log lines (copied from PM2 7.0.4's output in a real run), and the events with old/new pairs they must produce.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Pm2Observer } = require('../../targets/peers/pm2/observer') as {
  Pm2Observer: new (o: { kit: { emit(type: string, f: Record<string, unknown>): void }; now?: () => number }) => {
    forked(w: FakeWorker): unknown;
    listening(pid: number): void;
    exited(pid: number, code: number | null, signal: string | null): unknown;
    beginReload(): number[];
    logLine(text: string): void;
    workers(pool: string): { pid: number; state: string }[];
    stopping: boolean;
  };
};

interface FakeWorker {
  id: number;
  process: { pid: number };
  pm2_env: { pm_id: number | string };
}

function setup() {
  const events: { type: string; [k: string]: unknown }[] = [];
  let now = 0;
  const o = new Pm2Observer({ kit: { emit: (type, f) => events.push({ type, ...f }) }, now: () => now });
  let id = 0;
  const fork = (pid: number, pmId: number): FakeWorker => {
    const w = { id: ++id, process: { pid }, pm2_env: { pm_id: pmId } };
    o.forked(w);
    return w;
  };
  /** What PM2's hardReload does to the old worker: the same pm2_env object, its pm_id moved to "_old_<id>". */
  const park = (w: FakeWorker): void => void (w.pm2_env.pm_id = `_old_${String(w.pm2_env.pm_id)}`);
  const types = (): string[] => events.map((e) => `${e.type}:${String(e['pid'])}`);
  return { o, events, fork, park, tick: (ms: number) => (now += ms), types };
}

test('a reload pairs each old worker with the replacement PM2 forks under the same pm_id', () => {
  const { o, events, fork, park, tick } = setup();
  const a = fork(11, 0);
  const b = fork(12, 1);
  o.listening(11);
  o.listening(12);
  expect(o.beginReload()).toEqual([1, 2]);
  park(a);
  tick(10);
  fork(21, 0);
  tick(10);
  o.listening(21);
  o.logLine('Stopping app:app id:_old_0');
  tick(10);
  o.exited(11, 0, 'SIGINT');
  park(b);
  fork(22, 1);
  o.exited(12, null, 'SIGKILL'); // kill_timeout passed before the replacement listened
  tick(5);
  o.listening(22);
  const done = events.filter((e) => e.type === 'RecycleCompleted');
  expect(done).toEqual([
    expect.objectContaining({
      recycleId: 1,
      oldPid: 11,
      newPid: 21,
      overlapped: true,
      readyMs: 20,
      oldExitMs: 30,
      reason: 'OnDemand',
    }),
    expect.objectContaining({ recycleId: 2, oldPid: 12, newPid: 22, overlapped: false }),
  ]);
  expect(events.find((e) => e.type === 'WorkerDraining')).toMatchObject({ pid: 11, reason: 'recycle' });
  expect(events.find((e) => e.type === 'WorkerExited')).toMatchObject({ pid: 11, reason: 'recycle' });
  expect(events.find((e) => e.type === 'WorkerKilled')).toMatchObject({ pid: 12, reason: 'shutdown-timeout' });
  expect(events.find((e) => e.type === 'WorkerStarting' && e['pid'] === 22)).toMatchObject({ recycleId: 2 });
});

test("PM2's max_memory_restart line is a PrivateMemory recycle of that pm_id, with what PM2 measured", () => {
  const { o, events, fork, park } = setup();
  const a = fork(11, 0);
  o.listening(11);
  o.logLine(
    '[PM2][WORKER] Process 0 restarted because it exceeds --max-memory-restart value (current_memory=207269888 ' +
      'max_memory_limit=204800000 [octets])',
  );
  park(a);
  fork(21, 0);
  o.listening(21);
  o.exited(11, 0, 'SIGINT');
  expect(events.find((e) => e.type === 'RecycleStarted')).toMatchObject({
    reason: 'PrivateMemory',
    pid: 11,
    privateMemoryKB: 202412,
    limitKB: 200000,
    eventId: 5117,
  });
  const completed = events.find((e) => e.type === 'RecycleCompleted');
  expect(completed).toMatchObject({ oldPid: 11, newPid: 21, reason: 'PrivateMemory' });
  expect(events.filter((e) => e.type === 'WorkerCrashed')).toEqual([]);
});

test('an exit PM2 did not ask for is a crash; the restart is a plain start; the end of the run is a stop', () => {
  const { o, events, fork, types } = setup();
  fork(11, 0);
  o.listening(11);
  o.exited(11, null, 'SIGKILL');
  fork(12, 0);
  o.exited(12, 70, null);
  fork(13, 0);
  o.listening(13);
  o.stopping = true;
  o.exited(13, 0, 'SIGINT');
  expect(types()).toEqual([
    'WorkerStarting:11',
    'WorkerReady:11',
    'WorkerCrashed:11',
    'WorkerStarting:12',
    'WorkerCrashed:12',
    'WorkerStarting:13',
    'WorkerReady:13',
    'WorkerExited:13',
  ]);
  expect(events.filter((e) => e.type === 'WorkerCrashed').map((e) => e['reason'])).toEqual(['crash', 'startup-crash']);
  expect(events.filter((e) => 'recycleId' in e)).toEqual([]);
  expect(events.at(-1)).toMatchObject({ reason: 'stop' });
});

test('a parked worker is not offered for faults; unknown log lines change nothing', () => {
  const { o, fork, park } = setup();
  const a = fork(11, 0);
  o.listening(11);
  o.beginReload();
  park(a);
  o.logLine('App [app:0] starting in -cluster mode-');
  expect(o.workers('app')).toEqual([expect.objectContaining({ pid: 11, state: 'Parked' })]);
  expect(o.beginReload()).toEqual([]); // its recycle is still pending
});

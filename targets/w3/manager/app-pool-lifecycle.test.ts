// A pool's life beyond app-pool.test.ts (found by mutation testing of app-pool.ts): what a reload changes at once
// (applications of new workers, the rapid-fail window, the queue timer), what a stopped or shut-down pool does (no
// replacements, the drain reason, orphans killed and waited for), failures of workers already gone, the worker a new
// start is given (its logger), and the pool's snapshot and recycle entry points.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness, settles } from './test-support/pool-harness';
import type { ApplicationConfig, PoolConfig } from '../config/types';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });

describe('a reload', () => {
  it('gives new workers the new applications', () => {
    const h = new PoolHarness(always()).bootReady();
    const apps: ApplicationConfig[] = [{ ...h.pool.apps[0]!, path: '/v2' }];
    h.pool.reconfigure(h.pool.config, apps);
    expect(h.worker(0).spec.apps[0]?.path).toBe('/');
    h.worker(0).exit(); // crash: its replacement runs the new applications
    expect(h.worker(1).spec.apps).toBe(apps);
  });

  it('applies new rapid-fail settings at once', () => {
    const h = new PoolHarness(always());
    h.pool.boot();
    const c: PoolConfig = h.pool.config;
    h.pool.reconfigure({ ...c, failure: { ...c.failure, rapidFailProtectionMaxCrashes: 1 } }, h.pool.apps);
    h.worker(0).exit(1, null);
    expect(h.pool.state).toBe('Stopped');
    expect(h.pool.stopReason).toBe('RapidFail');
  });

  it('re-arms the queue timer with the new requestQueueTimeout for requests already waiting', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit(); // no queue timer yet (requestQueueTimeout 0)
    jest.advanceTimersByTime(500);
    h.queueTimeoutMs = 1000;
    h.pool.reconfigure(h.pool.config, h.pool.apps);
    jest.advanceTimersByTime(499); // the deadline counts from when it entered the queue
    expect(a.rejected).toBeNull();
    jest.advanceTimersByTime(1);
    expect(a.rejected).toEqual({ reason: 'Timer_AppPool', tcpReset: false });
    expect(h.queued).toHaveLength(0);
  });
});

describe('a stopped pool', () => {
  it('drains its workers with reason pool-stop for an admin or CPU-limit stop, and replaces none that exits', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    h.pool.stop('Admin');
    expect(h.of('WorkerDraining').map((e) => e.reason)).toEqual(['pool-stop', 'pool-stop']);
    h.worker(0).exit(0, null);
    h.worker(1).exit(0, null);
    expect(h.of('WorkerExited').map((e) => e.reason)).toEqual(['pool-stop', 'pool-stop']);
    expect(h.workers).toHaveLength(2); // no new worker
    expect(h.live).toHaveLength(0);

    const cpu = new PoolHarness(always()).bootReady();
    cpu.pool.stop('CpuLimit');
    expect(cpu.of('WorkerDraining').map((e) => e.reason)).toEqual(['pool-stop']);
  });
});

describe('shutdown (host stop, pool removed)', () => {
  it('stops the pool, drains with reason host-stop, kills orphans, resolves once they have exited too', async () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 }, failure: { orphanWorkerProcess: true } }));
    h.bootReady();
    const [hung, w2] = [h.worker(0), h.worker(1)];
    h.pool.failure(hung as never, 'ping', 'no ping response'); // orphaned, replaced
    const w3 = h.worker(2).ready();
    const done = h.pool.shutdown();
    expect(h.pool.state).toBe('Stopped');
    expect(h.pool.stopReason).toBe('Admin');
    expect(h.of('WorkerDraining').map((e) => [e.workerId, e.reason])).toEqual([
      [w2.id, 'host-stop'],
      [w3.id, 'host-stop'],
    ]);
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({ workerId: hung.id, reason: 'orphan (host-stop)' }),
    ]);
    expect(hung.calls).toContain('kill host-stop');
    expect(h.submit().rejected).toEqual({ reason: 'Disabled', tcpReset: false });
    w2.exit(0, null);
    w3.exit(0, null);
    expect(await settles(done)).toBe(false); // the orphan is still alive
    hung.exit();
    expect(await settles(done)).toBe(true);
    await done;
    expect(h.of('WorkerCrashed')).toHaveLength(0);
  });
  it('without orphans, resolves only once every draining worker has exited', async () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const done = h.pool.shutdown('pool-removed');
    expect(h.of('WorkerDraining').map((e) => e.reason)).toEqual(['pool-removed', 'pool-removed']);
    expect(await settles(done)).toBe(false);
    w1.exit(0, null);
    expect(await settles(done)).toBe(false); // w2 still drains
    w2.exit(0, null);
    expect(await settles(done)).toBe(true);
  });
});

describe('failures', () => {
  it('a failure reported for a worker that already exited kills nothing and counts nothing more', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    w.exit(); // a crash: counted once
    h.pool.failure(w as never, 'ping', 'late ping failure');
    expect(h.of('WorkerKilled')).toHaveLength(0);
    expect(h.of('RapidFailCount')).toHaveLength(1);
    expect(w.calls.some((c) => c.startsWith('kill'))).toBe(false);
  });

  it('without orphanWorkerProcess a hung (ping) worker is killed, not orphaned', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'ping', 'no ping response');
    expect(w.calls).toContain('kill ping');
    expect(w.calls).not.toContain('orphan');
    expect(h.of('WorkerOrphaned')).toHaveLength(0);
  });
});

describe('the old worker of an overlapped recycle fails before its replacement is ready', () => {
  // The replacement stands in for it: no second worker starts beside it (maxProcesses stays the bound).
  const cases: [string, Record<string, unknown>, (h: PoolHarness) => void][] = [
    ['crashes', {}, (h) => h.worker(0).exit()],
    ['is killed (no ping answer)', {}, (h) => h.pool.failure(h.worker(0) as never, 'ping', 'no ping response')],
    [
      'is orphaned (no ping answer)',
      { failure: { orphanWorkerProcess: true } },
      (h) => h.pool.failure(h.worker(0) as never, 'ping', 'no ping response'),
    ],
  ];
  it.each(cases)('it %s: the replacement takes its place and no other worker starts', (_what, extra, fail) => {
    const h = new PoolHarness(always(extra)).bootReady();
    const old = h.worker(0);
    h.pool.recycler.recycleWorker(old as never, 'OnDemand');
    const repl = h.worker(1);
    fail(h);
    expect(h.workers).toHaveLength(2);
    repl.ready();
    if (!old.exited && old.state !== 'Orphaned') old.exit();
    expect(h.workers).toHaveLength(2);
    expect(h.live).toEqual([repl]);
    expect(h.submit().ranOn).toEqual([repl]);
  });
});

describe('an orphan', () => {
  it('that exits leaves the orphan list: the pool no longer shows it or kills it', () => {
    const h = new PoolHarness(always({ failure: { orphanWorkerProcess: true } })).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'stalled', 'no progress');
    expect(h.pool.snapshot().workers.map((x) => [x.id, x.state])).toEqual([
      [2, 'Starting'],
      [1, 'Orphaned'],
    ]);
    w.exit();
    expect(h.pool.orphans.list).toHaveLength(0);
    expect(h.pool.snapshot().workers.map((x) => x.id)).toEqual([2]);
    expect(h.of('WorkerExited')).toEqual([expect.objectContaining({ workerId: 1, reason: 'orphaned' })]);
  });
});

describe('a new worker', () => {
  it('is started once, with a logger that names its worker id', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    expect(w.calls.filter((c) => c === 'start')).toHaveLength(1);
    expect(w.spec.log.bindings()).toMatchObject({ workerId: w.id });
  });
});

describe('entry points of the admin API', () => {
  it('snapshot shows the pool and its workers', () => {
    const h = new PoolHarness(always()).bootReady();
    h.submit();
    expect(h.pool.snapshot()).toMatchObject({
      name: 'app',
      state: 'Started',
      queue: { length: 0, limit: 1000 },
      workers: [{ id: 1, state: 'Ready', inFlight: 1 }],
    });
  });

  it('recycle recycles every worker and returns the recycle ids', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    const ids = h.pool.recycle('OnDemand');
    expect(ids).toHaveLength(2);
    expect(h.of('RecycleStarted').map((e) => e.recycleId)).toEqual(ids);
  });
});

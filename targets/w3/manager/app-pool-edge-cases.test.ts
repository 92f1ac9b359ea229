// Pool behaviour that app-pool.test.ts left unchecked (found by mutation testing, `npm run mutate`): the request-
// count recycle, which workers a lower maxProcesses drains, garden growth beside a recycle's replacement, what a
// stop does to workers already being killed and to cancelled requests, orphaned zombies, the pool's commands
// (autoShutdownCommand) and what a new worker is told (its transport).
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));
// The pool's commands are recorded, not run (no process starts in these tests).
jest.mock('./pool-commands', () => ({
  ...jest.requireActual('./pool-commands'),
  runPoolCommand: jest.fn(),
}));

import { runPoolCommand } from './pool-commands';
import { PoolHarness, settles } from './test-support/pool-harness';
import type { PoolConfig } from '../config/types';

const commands = runPoolCommand as jest.MockedFunction<typeof runPoolCommand>;

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
  commands.mockReset();
});
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });
const withMaxProcesses = (c: PoolConfig, maxProcesses: number): PoolConfig => ({
  ...c,
  processModel: { ...c.processModel, maxProcesses },
});

describe('recycle by request count (periodicRestart.requests)', () => {
  it('recycles a worker when it has completed that many responses; unfinished ones do not count', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { requests: 3 } } })).bootReady();
    h.done(h.submit());
    h.done(h.submit());
    h.done(h.submit(), false); // the response was not delivered whole
    expect(h.of('RecycleStarted')).toHaveLength(0);
    h.done(h.submit());
    expect(h.of('RecycleStarted')).toEqual([
      expect.objectContaining({ reason: 'Requests', eventId: 5075, workerId: 1 }),
    ]);
  });

  it('0 is off: no count recycles a worker', () => {
    const h = new PoolHarness(always()).bootReady();
    for (let i = 0; i < 20; i++) h.done(h.submit());
    expect(h.worker(0).requests).toBe(20);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });
});

describe('a reload that lowers maxProcesses', () => {
  it('drains a worker still starting before an idle ready one', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } }));
    h.pool.boot();
    h.worker(0).ready(); // the second is still starting
    h.pool.reconfigure(withMaxProcesses(h.pool.config, 1), h.pool.apps);
    expect(h.of('WorkerDraining').map((e) => e.workerId)).toEqual([2]);
  });

  it('among ready workers drains the least busy', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 3 } })).bootReady();
    const [a, b, c] = [h.worker(0), h.worker(1), h.worker(2)];
    a.inFlight = 2;
    b.inFlight = 0;
    c.inFlight = 1;
    h.pool.reconfigure(withMaxProcesses(h.pool.config, 2), h.pool.apps);
    expect(h.of('WorkerDraining').map((e) => e.workerId)).toEqual([b.id]);
  });

  it('never drains the replacement an overlapped recycle is starting', () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 2 } })).bootReady();
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    const repl = h.worker(2);
    expect(repl.overlapReplacement).toBe(true);
    h.pool.reconfigure(withMaxProcesses(h.pool.config, 1), h.pool.apps);
    const drained = h.of('WorkerDraining').map((e) => e.workerId);
    expect(drained).toHaveLength(1);
    expect(drained).not.toContain(repl.id);
  });
});

describe('web-garden growth', () => {
  it('a recycle replacement that is starting does not hold back growth when every worker is busy', () => {
    const h = new PoolHarness({ processModel: { maxProcesses: 3 } });
    h.pool.boot();
    h.submit();
    h.worker(0).ready(); // busy with the first request
    h.pool.recycler.recycleWorker(h.worker(0) as never, 'OnDemand');
    expect(h.workers).toHaveLength(2); // its replacement, starting
    h.submit(); // still goes to the old worker: every ready worker is busy
    expect(h.workers).toHaveLength(3);
    expect(h.worker(2).overlapReplacement).toBe(false);
  });
});

describe('stopping', () => {
  it('a stop does not drain a worker whose kill was already asked for', () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'malformed-message', 'bad message'); // killed; its replacement starts
    h.pool.stop('Admin');
    expect(h.of('WorkerDraining').map((e) => e.workerId)).toEqual([h.worker(1).id]);
  });

  it('a shutdown drains no worker whose kill was already asked for', async () => {
    const h = new PoolHarness(always()).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'malformed-message', 'bad message');
    const done = h.pool.shutdown();
    expect(h.of('WorkerDraining').map((e) => e.workerId)).toEqual([h.worker(1).id]);
    w.exit();
    h.worker(1).exit(0, null);
    expect(await settles(done)).toBe(true);
    await done;
  });

  it('a shutdown leaves a request the client cancelled unanswered', async () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    const b = h.submit();
    b.cancelled = true;
    const done = h.pool.shutdown();
    expect(a.rejected).toEqual({ reason: 'Disabled', tcpReset: false });
    expect(b.rejected).toBeNull();
    h.worker(0).exit();
    expect(await settles(done)).toBe(true);
    await done;
  });

  it('autoShutdownCommand runs, with the pool name for %1%, when rapid-fail protection stops the pool', () => {
    const h = new PoolHarness(
      always({ failure: { rapidFailProtectionMaxCrashes: 1, autoShutdownCommand: ['/bin/notify', 'pool=%1%'] } }),
    ).bootReady();
    h.worker(0).exit();
    expect(h.pool.stopReason).toBe('RapidFail');
    expect(commands).toHaveBeenCalledTimes(1);
    expect(commands.mock.calls[0]?.slice(0, 2)).toEqual([['/bin/notify', 'pool=app'], 'autoShutdownCommand']);
  });

  it('autoShutdownCommand does not run for an admin stop, nor when none is set', () => {
    const h = new PoolHarness(always({ failure: { autoShutdownCommand: ['/bin/notify'] } })).bootReady();
    h.pool.stop('Admin');
    const none = new PoolHarness(always({ failure: { rapidFailProtectionMaxCrashes: 1 } })).bootReady();
    none.worker(0).exit();
    expect(none.pool.stopReason).toBe('RapidFail');
    expect(commands).not.toHaveBeenCalled();
  });
});

describe('failures', () => {
  it('with orphanWorkerProcess a zombie (stalled) worker is orphaned, not killed', () => {
    const h = new PoolHarness(always({ failure: { orphanWorkerProcess: true } })).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'stalled', 'no progress');
    expect(w.calls).toContain('orphan');
    expect(w.calls.some((c) => c.startsWith('kill'))).toBe(false);
    expect(h.of('WorkerOrphaned')).toEqual([expect.objectContaining({ workerId: w.id, reason: 'no progress' })]);
  });

  it('an orphan that exits later is reported as such: no crash, no failure counted', () => {
    const h = new PoolHarness(always({ failure: { orphanWorkerProcess: true } })).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'ping', 'no ping');
    w.exit();
    expect(h.of('WorkerExited')).toEqual([expect.objectContaining({ workerId: w.id, reason: 'orphaned' })]);
    expect(h.of('WorkerCrashed')).toHaveLength(0);
    expect(h.of('RapidFailCount')).toHaveLength(1);
  });

  it('the kill for an ill-formed control message says what was wrong', () => {
    const h = new PoolHarness(always()).bootReady();
    h.worker(0).emit('malformed', 'not JSON');
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({ kind: 'malformed-message', reason: 'ill-formed control message (IIS 5127): not JSON' }),
    ]);
  });
});

describe('what a new worker is told', () => {
  it("its socket, and the host's transport (http when the host names none)", () => {
    const h = new PoolHarness(always()).bootReady();
    expect(h.worker(0).spec).toMatchObject({ transport: 'http', socketPath: '/nowhere/worker-1.sock', id: 1 });
    h.pool.ctx.transport = () => 'frames';
    h.worker(0).exit();
    expect(h.worker(1).spec.transport).toBe('frames');
  });
});

// Health-check behaviour that health.test.ts left unchecked (found by mutation testing, `npm run mutate`): the
// pool tick after a reload and at a host stop, limits at exactly their value and switched off (0), workers that are
// starting, being killed or already gone when a check or a ping answer comes, and what the kill reasons say.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: jest.fn(async () => null), sampleCpuMs: async () => null }));

import { sampleMemory } from './memory-sampler';
import { PoolHarness, settles } from './test-support/pool-harness';
import type { PoolConfig } from '../config/types';

const memory = sampleMemory as jest.MockedFunction<typeof sampleMemory>;

beforeEach(() => {
  jest.useFakeTimers({ now: new Date(2026, 0, 5, 10, 0, 0).getTime() });
  memory.mockReset();
  memory.mockResolvedValue(null);
});
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });
const flush = () => jest.advanceTimersByTimeAsync(0);
/** The pool's settings with some processModel values changed (as a reload gives them). */
const withProcessModel = (c: PoolConfig, pm: Partial<PoolConfig['processModel']>): PoolConfig => ({
  ...c,
  processModel: { ...c.processModel, ...pm },
});

describe('the pool tick across a reload and a host stop', () => {
  it('a reload replaces the tick: once the monitor stops, no check runs any more', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 1000 } });
    h.pool.boot();
    const j = h.submit();
    h.worker(0).ready();
    h.done(j);
    h.pool.reconfigure(h.pool.config, h.pool.apps);
    h.pool.health.stop();
    jest.advanceTimersByTime(10_000);
    expect(h.of('IdleShutdown')).toHaveLength(0);
  });

  it('a host stop ends the pings of the workers it drains', async () => {
    const h = new PoolHarness(always({ processModel: { pingInterval: 1000, pingResponseTime: 500 } })).bootReady();
    const w = h.worker(0);
    h.submit(); // in flight: the drain waits for it
    const done = h.pool.shutdown();
    jest.advanceTimersByTime(5000);
    expect(w.calls).not.toContain('ping');
    w.exit(0, null);
    expect(await settles(done)).toBe(true);
    await done;
  });

  it('turning the request-progress watchdog off by reload stops it for requests already running', () => {
    const h = new PoolHarness(always({ processModel: { requestProgressTimeout: 4000 } })).bootReady();
    h.submit();
    h.pool.reconfigure(withProcessModel(h.pool.config, { requestProgressTimeout: 0 }), h.pool.apps);
    jest.advanceTimersByTime(10_000);
    expect(h.of('RequestStalled')).toHaveLength(0);
  });
});

describe('the tick period and the monitor across a reload', () => {
  it('a reload re-derives the tick period from the new timings', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 0 } }); // tick every 1 s
    h.pool.boot();
    const j = h.submit();
    h.worker(0).ready();
    h.done(j);
    const c = h.pool.config;
    h.pool.reconfigure({ ...c, processModel: { ...c.processModel, idleTimeout: 400 } }, h.pool.apps); // every 100 ms
    jest.advanceTimersByTime(500);
    expect(h.of('IdleShutdown')).toHaveLength(1);
  });

  it('a stopped monitor stays stopped across a reload', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 400 } });
    h.pool.boot();
    const j = h.submit();
    h.worker(0).ready();
    h.done(j);
    h.pool.health.stop();
    h.pool.reconfigure(h.pool.config, h.pool.apps);
    jest.advanceTimersByTime(5000);
    expect(h.of('IdleShutdown')).toHaveLength(0);
  });

  it('a host stop clears the startup timer of a worker still starting', () => {
    const h = new PoolHarness(always({ processModel: { pingingEnabled: false } }));
    h.pool.boot(); // the tick, and the startup timer of the starting worker
    const before = jest.getTimerCount();
    void h.pool.shutdown(); // the tick and the startup timer go; the drain's kill timer comes
    expect(jest.getTimerCount()).toBe(before - 1);
  });
});

describe('startup and ping reports', () => {
  it('a worker stopped while it was starting is not reported for its startup time', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 3000 } }));
    h.pool.boot();
    h.pool.stop('Admin'); // its kill is asked for; it has not exited yet
    jest.advanceTimersByTime(3000);
    expect(h.of('StartupTimeout')).toHaveLength(0);
    expect(h.of('RapidFailCount')).toHaveLength(0);
  });

  it('the kill of a worker not ready in time says which limit it missed', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 3000 } }));
    h.pool.boot();
    jest.advanceTimersByTime(3000);
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({ kind: 'startup-timeout', reason: 'not ready within startupTimeLimit 3000 ms' }),
    ]);
  });

  it('the kill of a hung worker says how long its ping waited', async () => {
    const h = new PoolHarness(always({ processModel: { pingInterval: 1000, pingResponseTime: 500 } })).bootReady();
    jest.advanceTimersByTime(1000);
    h.worker(0).answerPing(false);
    await flush();
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({ kind: 'ping', reason: 'no ping response within 500 ms' }),
    ]);
  });

  it('a ping that times out after its worker exited reports nothing', async () => {
    const h = new PoolHarness(always({ processModel: { pingInterval: 1000, pingResponseTime: 500 } })).bootReady();
    const w = h.worker(0);
    jest.advanceTimersByTime(1000);
    w.exit(); // crashed while the ping was out
    w.answerPing(false);
    await flush();
    expect(h.of('PingFailed')).toHaveLength(0);
  });

  it('a request reported done after its worker died is no error', () => {
    const h = new PoolHarness(always({ processModel: { requestProgressTimeout: 4000 } })).bootReady();
    const a = h.submit();
    h.worker(0).exit();
    expect(() => h.done(a, false)).not.toThrow();
  });
});

describe('checks on the tick: which workers they skip', () => {
  it('a worker still starting is not idled out, though it never served', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 1000 } });
    h.pool.boot();
    h.submit(); // demand-starts a worker; the request waits for it
    jest.advanceTimersByTime(5000);
    expect(h.of('IdleShutdown')).toHaveLength(0);
    expect(h.worker(0).calls).toEqual(['start']);
  });

  it('a worker whose kill was asked for is not also recycled by time while it still runs', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { time: 10_000 } } })).bootReady();
    const w = h.worker(0);
    jest.advanceTimersByTime(9500);
    h.pool.failure(w as never, 'malformed-message', 'bad message');
    jest.advanceTimersByTime(1500);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });

  it('periodicRestart.time 0 never recycles by time', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { time: 0 } } })).bootReady();
    jest.advanceTimersByTime(60_000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });

  it('a worker due for a time recycle that cannot start yet is still watched for stalls', () => {
    const h = new PoolHarness(
      always({
        processModel: { requestProgressTimeout: 4000 },
        recycling: { periodicRestart: { time: 10_000 } },
      }),
    ).bootReady();
    jest.advanceTimersByTime(7000);
    h.submit(); // never answered: stalled from 11 s on
    jest.advanceTimersByTime(3000); // the time recycle starts; its replacement stays starting
    expect(h.of('RecycleStarted')).toHaveLength(1);
    jest.advanceTimersByTime(2000);
    expect(h.of('RequestStalled')).toEqual([expect.objectContaining({ workerId: 1 })]);
  });

  it('the kill of a zombie says how long its request made no progress', () => {
    const h = new PoolHarness(always({ processModel: { requestProgressTimeout: 4000 } })).bootReady();
    h.submit();
    jest.advanceTimersByTime(4000);
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({
        kind: 'stalled',
        reason: 'a request made no progress for 4000 ms while pings were answered',
      }),
    ]);
  });

  it('with the request-progress watchdog on, an idle worker still idles out', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 8000, requestProgressTimeout: 4000 } });
    h.pool.boot();
    const j = h.submit();
    h.worker(0).ready();
    h.done(j);
    jest.advanceTimersByTime(9000);
    expect(h.of('IdleShutdown')).toHaveLength(1);
  });

  it('a time of day given as HH:MM recycles at that minute', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { schedule: ['10:01'] } } })).bootReady();
    jest.advanceTimersByTime(59_000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    expect(h.of('RecycleStarted')).toEqual([expect.objectContaining({ reason: 'Schedule' })]);
  });
});

describe('memory limits', () => {
  it('memory exactly at a limit is not over it', async () => {
    const h = new PoolHarness(
      always({ recycling: { periodicRestart: { privateMemory: 1000, memory: 5000 } } }),
    ).bootReady();
    memory.mockResolvedValue({ privateKB: 1000, virtualKB: 5000, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(3000);
    expect(h.worker(0).privateMemoryKB).toBe(1000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });

  it('limits of 0 are off, whatever the worker uses', async () => {
    const h = new PoolHarness(always()).bootReady();
    memory.mockResolvedValue({ privateKB: 50_000_000, virtualKB: 90_000_000, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(3000);
    expect(h.worker(0).privateMemoryKB).toBe(50_000_000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });

  it('a worker whose memory cannot be read does not stop the limits of the others', async () => {
    const h = new PoolHarness(
      always({ processModel: { maxProcesses: 2 }, recycling: { periodicRestart: { privateMemory: 1000 } } }),
    ).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    memory.mockImplementation(async (pid) => (pid === a.pid ? null : { privateKB: 2000, virtualKB: 1, rssKB: 1 }));
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.of('RecycleStarted')).toEqual([expect.objectContaining({ workerId: b.id, reason: 'PrivateMemory' })]);
  });

  it('reads the memory of ready workers only, not of one starting or being ended', async () => {
    const h = new PoolHarness(always({ processModel: { maxProcesses: 3 } }));
    h.pool.boot();
    const [ready, ending] = [h.worker(0).ready(), h.worker(1).ready()];
    h.pool.recycler.drain(ending as never, 'idle'); // worker 3 is still starting
    await jest.advanceTimersByTimeAsync(1000);
    expect(memory.mock.calls.map(([pid]) => pid)).toEqual([ready.pid]);
  });

  it('memory is sampled again exactly 500 ms after the last sample', async () => {
    new PoolHarness(always({ processModel: { pingInterval: 100 } })).bootReady();
    memory.mockResolvedValue({ privateKB: 1, virtualKB: 1, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(1100); // ticks every 100 ms: samples at 100, 600 and 1100
    expect(memory).toHaveBeenCalledTimes(3);
  });
});

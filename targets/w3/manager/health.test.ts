// The pool's health checks on fake workers and Jest's clock: startup time limit, health pings (a hung worker is
// reported and killed; an answered ping releases held requests), the suspect probe after a transport failure, the
// queue timer (request-queue.ts), the request-progress watchdog, idle shutdown, and time / memory / schedule
// recycles on the pool tick.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: jest.fn(async () => null), sampleCpuMs: async () => null }));

import { sampleMemory } from './memory-sampler';
import { PoolHarness, job } from './test-support/pool-harness';

const memory = sampleMemory as jest.MockedFunction<typeof sampleMemory>;

beforeEach(() => {
  jest.useFakeTimers({ now: new Date(2026, 0, 5, 10, 0, 0).getTime() });
  memory.mockReset();
  memory.mockResolvedValue(null);
});
afterEach(() => jest.useRealTimers());

const always = (extra: Record<string, unknown> = {}) => ({ startMode: 'AlwaysRunning', ...extra });
/** Settles pending promise callbacks (ping answers) without moving the clock. */
const flush = () => jest.advanceTimersByTimeAsync(0);

describe('startup time limit', () => {
  it('a worker not ready within startupTimeLimit is reported and killed as a failure', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 3000 } }));
    h.pool.boot();
    const w = h.worker(0);
    jest.advanceTimersByTime(2999);
    expect(h.of('StartupTimeout')).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(h.of('StartupTimeout')).toEqual([
      expect.objectContaining({ pool: 'app', workerId: 1, pid: w.pid, limitMs: 3000 }),
    ]);
    expect(w.calls).toContain('kill startup-timeout');
    expect(h.of('RapidFailCount')).toEqual([expect.objectContaining({ reason: 'startup-timeout' })]);
  });

  it('ready in time clears the timer', () => {
    const h = new PoolHarness(always({ processModel: { startupTimeLimit: 3000 } }));
    h.pool.boot();
    jest.advanceTimersByTime(1000);
    h.worker(0).ready();
    jest.advanceTimersByTime(5000);
    expect(h.of('StartupTimeout')).toHaveLength(0);
  });
});

describe('pings', () => {
  const pinged = (extra: Record<string, unknown> = {}) =>
    always({ processModel: { pingInterval: 1000, pingResponseTime: 500, ...extra } });

  it('pings every pingInterval, one at a time; a failed ping reports PingFailed and kills the worker', async () => {
    const h = new PoolHarness(pinged()).bootReady();
    const w = h.worker(0);
    jest.advanceTimersByTime(999);
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(1);
    jest.advanceTimersByTime(2000); // still outstanding: no second ping
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(1);
    w.answerPing(true);
    await flush();
    jest.advanceTimersByTime(1000);
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(2);
    w.answerPing(false);
    await flush();
    expect(h.of('PingFailed')).toEqual([expect.objectContaining({ workerId: 1, pid: w.pid, pingResponseTimeMs: 500 })]);
    expect(w.calls).toContain('kill ping');
    expect(h.of('RapidFailCount')).toEqual([expect.objectContaining({ reason: 'ping' })]);
  });

  it('pingingEnabled: false never pings', () => {
    const h = new PoolHarness(pinged({ pingingEnabled: false })).bootReady();
    jest.advanceTimersByTime(10_000);
    expect(h.worker(0).calls).not.toContain('ping');
  });

  it('an answered ping releases requests held back while it was overdue', async () => {
    const h = new PoolHarness(pinged()).bootReady();
    const w = h.worker(0);
    jest.advanceTimersByTime(1000);
    jest.advanceTimersByTime(300); // ping overdue (> pingResponseTime / 2): no new requests for this worker
    const held = h.submit();
    expect(held.ranOn).toEqual([]);
    w.answerPing(true);
    await flush();
    expect(held.ranOn).toEqual([w]);
  });

  it('a ping answer for a worker already being ended changes nothing', async () => {
    const h = new PoolHarness(pinged()).bootReady();
    const w = h.worker(0);
    jest.advanceTimersByTime(1000);
    w.endReason = 'recycle';
    w.answerPing(false);
    await flush();
    expect(h.of('PingFailed')).toHaveLength(0);
  });

  it('no ping is sent to an orphaned or exited worker', () => {
    const h = new PoolHarness(pinged()).bootReady();
    const w = h.worker(0);
    w.state = 'Orphaned';
    jest.advanceTimersByTime(3000);
    expect(w.calls).not.toContain('ping');
  });

  it('forgetting a worker (it exited) stops its pings', () => {
    const h = new PoolHarness(pinged()).bootReady();
    const w = h.worker(0);
    w.endReason = 'idle';
    w.exit(0, null);
    const before = w.calls.length;
    jest.advanceTimersByTime(5000);
    expect(w.calls.slice(before)).not.toContain('ping');
  });
});

describe('suspect (the transport to a worker failed)', () => {
  it('holds the worker until it answers; then jobs that avoided it may use it again', async () => {
    const h = new PoolHarness(always({ processModel: { pingResponseTime: 700 } })).bootReady();
    const w = h.worker(0);
    const a = job();
    a.avoid = w as never;
    w.suspected = true;
    h.pool.submit(a);
    w.suspected = false;
    h.pool.health.suspect(w as never);
    expect(w.suspected).toBe(true);
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(1);
    h.pool.health.suspect(w as never); // already suspected: no second probe
    expect(w.calls.filter((c) => c === 'ping')).toHaveLength(1);
    w.answerPing(true);
    await flush();
    expect(w.suspected).toBe(false);
    expect(a.avoid).toBeNull();
    expect(a.ranOn).toEqual([w]);
  });

  it('no answer: the worker is reported hung and killed, even with pinging disabled', async () => {
    const h = new PoolHarness(always({ processModel: { pingingEnabled: false, pingResponseTime: 700 } })).bootReady();
    const w = h.worker(0);
    h.pool.health.suspect(w as never);
    w.answerPing(false);
    await flush();
    expect(h.of('PingFailed')).toEqual([expect.objectContaining({ pingResponseTimeMs: 700 })]);
    expect(w.calls).toContain('kill ping');
  });

  it('a worker that is not Ready or already ending is not probed', () => {
    const h = new PoolHarness(always());
    h.pool.boot();
    const w = h.worker(0);
    h.pool.health.suspect(w as never);
    w.ready();
    w.endReason = 'recycle';
    h.pool.health.suspect(w as never);
    expect(w.calls).not.toContain('ping');
    expect(w.suspected).toBe(false);
  });
});

describe('the pool tick', () => {
  it('queue timer: a request that waited requestQueueTimeout gets 503 Timer_AppPool (never a reset)', () => {
    const h = new PoolHarness({ failure: { loadBalancerCapabilities: 'TcpLevel' } });
    h.queueTimeoutMs = 2000;
    h.pool.boot();
    const a = h.submit();
    jest.advanceTimersByTime(1000);
    const b = h.submit();
    const c = h.submit();
    h.pool.cancel(c);
    jest.advanceTimersByTime(999);
    expect(a.rejected).toBeNull();
    jest.advanceTimersByTime(1);
    expect(a.rejected).toEqual({ reason: 'Timer_AppPool', tcpReset: false });
    expect(b.rejected).toBeNull();
    expect(h.queued).toEqual([b]);
    jest.advanceTimersByTime(1000);
    expect(b.rejected?.reason).toBe('Timer_AppPool');
    expect(c.rejected).toBeNull();
    expect(h.queued).toHaveLength(0);
  });

  it('the queue timer counts from when a job re-entered the queue', () => {
    const h = new PoolHarness(always());
    h.queueTimeoutMs = 2000;
    h.bootReady();
    const w = h.worker(0);
    const a = h.submit();
    jest.advanceTimersByTime(1500);
    h.pool.requeue(a, w as never); // w is now suspected: a waits
    jest.advanceTimersByTime(1999);
    expect(a.rejected).toBeNull();
    jest.advanceTimersByTime(1);
    expect(a.rejected?.reason).toBe('Timer_AppPool');
  });

  it('no queue timer when requestQueueTimeout is 0', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    jest.advanceTimersByTime(600_000);
    expect(a.rejected).toBeNull();
  });

  it('a stopped pool does no checks', () => {
    const h = new PoolHarness(always({ processModel: { idleTimeout: 1000 } })).bootReady();
    h.queueTimeoutMs = 100;
    h.pool.state = 'Stopped';
    jest.advanceTimersByTime(10_000);
    expect(h.of('IdleShutdown')).toHaveLength(0);
  });

  it('request-progress watchdog: a request with no response byte for requestProgressTimeout stalls the worker', () => {
    const h = new PoolHarness(always({ processModel: { requestProgressTimeout: 4000 } })).bootReady();
    const w = h.worker(0);
    h.submit();
    jest.advanceTimersByTime(1000);
    h.submit();
    const c = h.submit();
    c.responseStarted = true;
    jest.advanceTimersByTime(2000);
    expect(h.of('RequestStalled')).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    expect(h.of('RequestStalled')).toEqual([
      expect.objectContaining({ workerId: 1, pid: w.pid, waitedMs: 4000, stalledRequests: 3 }),
    ]);
    expect(w.calls).toContain('kill stalled');
  });

  it('a finished request is no longer watched; the watchdog is off at 0', () => {
    const h = new PoolHarness(always({ processModel: { requestProgressTimeout: 4000 } })).bootReady();
    const a = h.submit();
    h.done(a);
    jest.advanceTimersByTime(10_000);
    expect(h.of('RequestStalled')).toHaveLength(0);
    const off = new PoolHarness(always()).bootReady();
    off.submit();
    jest.advanceTimersByTime(10_000);
    expect(off.of('RequestStalled')).toHaveLength(0);
  });

  it('idle timeout: an OnDemand worker with nothing in flight for idleTimeout drains', () => {
    const h = new PoolHarness({ processModel: { idleTimeout: 8000 } });
    h.pool.boot();
    const a = h.submit();
    const w = h.worker(0).ready();
    jest.advanceTimersByTime(10_000);
    expect(h.of('IdleShutdown')).toHaveLength(0); // busy
    h.done(a);
    jest.advanceTimersByTime(7000);
    expect(h.of('IdleShutdown')).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    expect(h.of('IdleShutdown')).toEqual([expect.objectContaining({ workerId: 1, pid: w.pid, idleMs: 8000 })]);
    expect(w.state).toBe('Draining');
    expect(w.endReason).toBe('idle');
    expect(w.calls).toContain('shutdown');
  });

  it('AlwaysRunning workers and idleTimeout 0 never idle out', () => {
    const a = new PoolHarness(always({ processModel: { idleTimeout: 1000 } })).bootReady();
    const d = new PoolHarness({ processModel: { idleTimeout: 0 } });
    d.pool.boot();
    const j = d.submit();
    d.worker(0).ready();
    d.done(j);
    jest.advanceTimersByTime(60_000);
    expect(a.of('IdleShutdown')).toHaveLength(0);
    expect(d.of('IdleShutdown')).toHaveLength(0);
  });

  it('periodic restart by time: a worker ready for periodicRestart.time is recycled', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { time: 10_000 } } })).bootReady();
    jest.advanceTimersByTime(9000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    expect(h.of('RecycleStarted')).toEqual([expect.objectContaining({ reason: 'Time', workerId: 1, eventId: 5074 })]);
  });

  it('private and virtual memory limits recycle with what was measured', async () => {
    const h = new PoolHarness(
      always({ recycling: { periodicRestart: { privateMemory: 1000, memory: 5000 } } }),
    ).bootReady();
    memory.mockResolvedValue({ privateKB: 900, virtualKB: 4000, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
    expect(h.worker(0).privateMemoryKB).toBe(900);
    expect(h.worker(0).virtualMemoryKB).toBe(4000);
    memory.mockResolvedValue({ privateKB: 1001, virtualKB: 4000, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.of('RecycleStarted')).toEqual([
      expect.objectContaining({
        reason: 'PrivateMemory',
        privateMemoryKB: 1001,
        limitKB: 1000,
        detail: '1001 KB > 1000 KB',
      }),
    ]);

    const v = new PoolHarness(always({ recycling: { periodicRestart: { memory: 5000 } } })).bootReady();
    memory.mockResolvedValue({ privateKB: 99_999, virtualKB: 5001, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(v.of('RecycleStarted')).toEqual([
      expect.objectContaining({ reason: 'Memory', memoryKB: 5001, limitKB: 5000, detail: '5001 KB > 5000 KB' }),
    ]);
  });

  it('a memory sample that arrives after the worker started ending changes nothing', async () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { privateMemory: 1000 } } })).bootReady();
    let answer: (m: { privateKB: number; virtualKB: number; rssKB: number }) => void = () => undefined;
    memory.mockImplementation(() => new Promise((r) => (answer = r)));
    await jest.advanceTimersByTimeAsync(1000);
    expect(memory).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2000); // one sampling at a time
    expect(memory).toHaveBeenCalledTimes(1);
    h.worker(0).endReason = 'idle';
    answer({ privateKB: 5000, virtualKB: 1, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.worker(0).privateMemoryKB).toBe(0);
    expect(h.of('RecycleStarted')).toHaveLength(0);
  });

  it('memory is sampled at most every 500 ms even with a faster tick', async () => {
    const h = new PoolHarness(always({ processModel: { pingInterval: 100 } })).bootReady();
    memory.mockResolvedValue({ privateKB: 1, virtualKB: 1, rssKB: 1 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(memory.mock.calls.length).toBe(2);
    expect(h.worker(0).privateMemoryKB).toBe(1);
  });

  it('a scheduled time of day recycles once when the clock passes it', () => {
    const h = new PoolHarness(always({ recycling: { periodicRestart: { schedule: ['10:00:05'] } } })).bootReady();
    jest.advanceTimersByTime(4000);
    expect(h.of('RecycleStarted')).toHaveLength(0);
    jest.advanceTimersByTime(1000);
    expect(h.of('RecycleStarted')).toEqual([expect.objectContaining({ reason: 'Schedule', eventId: 5076 })]);
    h.worker(1).ready();
    jest.advanceTimersByTime(60_000);
    expect(h.of('RecycleStarted')).toHaveLength(1);
  });

  it('the tick runs at least every second, faster when a configured timing needs it', () => {
    const spy = jest.spyOn(global, 'setInterval');
    const period = (processModel: Record<string, unknown>): unknown => {
      const h = new PoolHarness(always({ processModel }));
      h.pool.health.start();
      const ms = spy.mock.calls.at(-1)?.[1];
      h.pool.health.stop();
      return ms;
    };
    expect(period({ idleTimeout: 0 })).toBe(1000);
    expect(period({ idleTimeout: 400 })).toBe(100);
    expect(period({ idleTimeout: 0, requestProgressTimeout: 2000 })).toBe(500);
    expect(period({ idleTimeout: 0, pingInterval: 700 })).toBe(700);
    expect(period({ idleTimeout: 0, pingInterval: 10 })).toBe(50); // never below 50 ms
    spy.mockRestore();
  });
});

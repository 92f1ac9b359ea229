// The pool's request policy on fake workers: which worker serves a job (least in flight, round-robin on ties, never
// one that is not dispatchable or that the job must avoid), what waits in the queue and in which order, QueueFull,
// the reject reason of a stopped pool, demand starts and web-garden growth, crashes and rapid-fail protection.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { PoolHarness, job, settles } from './test-support/pool-harness';
import { pingOverdueMs } from './app-pool';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe('dispatch', () => {
  it('an OnDemand pool starts one worker for the first request, which waits in the queue until it is ready', () => {
    const h = new PoolHarness();
    h.pool.boot();
    expect(h.workers).toHaveLength(0);
    const j = h.submit();
    expect(h.workers).toHaveLength(1);
    expect(h.queued).toEqual([j]);
    expect(j.ranOn).toEqual([]);
    jest.advanceTimersByTime(250);
    h.worker(0).ready();
    expect(j.ranOn).toEqual([h.worker(0)]);
    expect(h.queued).toHaveLength(0);
    expect(h.worker(0).inFlight).toBe(1);
    expect(j.dispatchedAt).toBe(Date.now());
    expect(h.worker(0).lastActivity).toBe(Date.now());
    const [starting] = h.of('WorkerStarting');
    const [ready] = h.of('WorkerReady');
    expect(starting).toMatchObject({ pool: 'app', workerId: 1, pid: h.worker(0).pid });
    expect(starting?.recycleId).toBeUndefined();
    expect(ready).toMatchObject({ pool: 'app', workerId: 1, startupMs: 250 });
  });

  it('a ready worker takes a job at once; queued jobs keep their order', () => {
    const h = new PoolHarness().bootReady();
    h.pool.boot();
    const a = h.submit();
    h.worker(0).ready();
    expect(a.ranOn).toHaveLength(1);
    const b = h.submit();
    expect(b.ranOn).toHaveLength(1);
    expect(h.worker(0).inFlight).toBe(2);
    h.done(a);
    h.done(b, false);
    expect(h.worker(0).inFlight).toBe(0);
    expect(h.worker(0).requests).toBe(1); // only completed responses count
  });

  it('prefers the worker with the fewest requests in flight, round-robin among equals', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 3 } }).bootReady();
    expect(h.workers).toHaveLength(3);
    const first = [h.submit(), h.submit(), h.submit()].map((j) => j.ranOn[0]);
    expect(new Set(first).size).toBe(3); // one each, not three on the first
    h.done(h.submit()); // all at 1 in flight: any; done at once
    const w2 = h.worker(1);
    // Finish worker 2's job: it is now the least loaded and must get the next one.
    const j2 = job();
    j2.ranOn.push(w2);
    h.pool.jobDone(w2 as never, j2, true);
    expect(h.submit().ranOn).toEqual([w2]);
  });

  it('rotates the starting point so equal workers share the load', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }).bootReady();
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const j = h.submit();
      seen.push(j.ranOn[0]!.id);
      h.done(j);
    }
    expect(seen).toEqual([1, 2, 1, 2]);
  });

  it('gives a tie to the worker the job prefers, but never a busier one (workers that do not keep up)', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }).bootReady();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    // Near a full CPU each: neither keeps up, so the connection's age and the counts decide (dispatch-policy.ts).
    w1.cpuShare = w2.cpuShare = 0.9;
    const j = job();
    j.prefer = w2 as never;
    for (let i = 0; i < 3; i++) expect(h.pool.pickWorker(j)).toBe(w2); // the rotation would alternate
    j.prefer = w1 as never;
    expect(h.pool.pickWorker(j)).toBe(w1);
    w1.inFlight = 1;
    expect(h.pool.pickWorker(j)).toBe(w2);
  });

  it('skips a worker the job must avoid, and one that is not dispatchable (draining, suspected, ping overdue)', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }).bootReady();
    const [w1, w2] = [h.worker(0), h.worker(1)];
    const j = job();
    j.avoid = w1 as never;
    expect(h.pool.pickWorker(j)).toBe(w2);
    w2.suspected = true;
    expect(h.pool.pickWorker(j)).toBeNull();
    w2.suspected = false;
    w2.pingOutstandingSince = Date.now() - pingOverdueMs(h.pool.config);
    expect(h.pool.pickWorker(j)).toBeNull();
    w2.pingOutstandingSince = Date.now() - pingOverdueMs(h.pool.config) + 1;
    expect(h.pool.pickWorker(j)).toBe(w2);
    expect(h.pool.pickWorker(null)).not.toBeNull();
  });

  it('queued jobs go before a new one even when a worker is free, and cancelled ones are dropped', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    const b = h.submit();
    a.cancelled = true;
    h.worker(0).ready();
    expect(a.ranOn).toEqual([]);
    expect(b.ranOn).toEqual([h.worker(0)]);
    expect(h.queued).toHaveLength(0);
  });

  it('a job submitted while others wait joins the back of the queue', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    h.worker(0).ready();
    h.worker(0).suspected = true; // not dispatchable for a moment
    const b = h.submit();
    const c = h.submit();
    expect(h.queued).toEqual([b, c]);
    h.worker(0).suspected = false;
    h.pool.drainQueue();
    expect([a, b, c].map((j) => j.ranOn.length)).toEqual([1, 1, 1]);
  });

  it('QueueFull: at queueLength waiting requests the next one is rejected (503 or reset) with an event', () => {
    const h = new PoolHarness({ queueLength: 10 });
    h.pool.boot();
    const waiting = Array.from({ length: 10 }, () => h.submit());
    expect(waiting.every((j) => j.rejected === null)).toBe(true);
    const extra = h.submit();
    expect(extra.rejected).toEqual({ reason: 'QueueFull', tcpReset: false });
    expect(h.of('QueueFull')).toEqual([expect.objectContaining({ pool: 'app', queueLength: 10 })]);
    expect(h.queued).toHaveLength(10);

    const tcp = new PoolHarness({ queueLength: 10, failure: { loadBalancerCapabilities: 'TcpLevel' } });
    tcp.pool.boot();
    for (let i = 0; i < 10; i++) tcp.submit();
    expect(tcp.submit().rejected).toEqual({ reason: 'QueueFull', tcpReset: true });
  });

  it('requeue: the job leaves its worker and goes back to the head of the queue; the worker is probed first', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const w = h.worker(0);
    const a = h.submit();
    w.suspected = true;
    const b = h.submit();
    w.suspected = false;
    expect(h.queued).toEqual([b]);
    expect(w.inFlight).toBe(1);
    a.responseStarted = true;
    h.pool.requeue(a, w as never);
    expect(a.avoid).toBe(w);
    expect(a.responseStarted).toBe(false);
    expect(w.calls).toContain('ping');
    expect(w.suspected).toBe(true);
    expect(w.inFlight).toBe(0);
    expect(w.requests).toBe(0); // not a completed response
    expect(h.queued).toEqual([a, b]); // the freed slot was not refilled: the worker is suspected
  });

  it('a requeued job that finds the queue full is answered QueueFull', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', queueLength: 10 }).bootReady();
    const w = h.worker(0);
    const a = h.submit();
    w.suspected = true;
    for (let i = 0; i < 10; i++) h.submit();
    h.pool.requeue(a, w as never);
    expect(a.rejected).toEqual({ reason: 'QueueFull', tcpReset: false });
    expect(h.queued).toHaveLength(10);
  });

  it('cancel: a queued job leaves the queue at once and never runs', () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    const b = h.submit();
    h.pool.cancel(a);
    expect(a.cancelled).toBe(true);
    expect(h.queued).toEqual([b]);
    h.worker(0).ready();
    expect(a.ranOn).toEqual([]);
    expect(b.ranOn).toHaveLength(1);
  });

  it('trustAgain: jobs that avoided a worker may use it again', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const w = h.worker(0);
    w.suspected = true;
    const a = h.submit();
    const b = h.submit();
    a.avoid = w as never;
    const other = {};
    b.avoid = other as never;
    h.pool.trustAgain(w as never);
    expect(a.avoid).toBeNull();
    expect(b.avoid).toBe(other);
  });

  it('admission control: a worker runs at most maxConcurrentRequestsPerWorker; a finished one lets the next in', () => {
    const h = new PoolHarness({
      startMode: 'AlwaysRunning',
      processModel: { maxConcurrentRequestsPerWorker: 2 },
    }).bootReady();
    const w = h.worker(0);
    const [a, b, c] = [h.submit(), h.submit(), h.submit()];
    expect(w.inFlight).toBe(2);
    expect(c.ranOn).toEqual([]);
    expect(h.queued).toEqual([c]);
    h.done(a);
    expect(c.ranOn).toEqual([w]);
    expect(w.inFlight).toBe(2);
    h.done(b);
    h.done(c);
    expect(w.inFlight).toBe(0);
  });

  it('maxConcurrentRequestsPerWorker 0 is no limit', () => {
    const h = new PoolHarness({
      startMode: 'AlwaysRunning',
      processModel: { maxConcurrentRequestsPerWorker: 0 },
    }).bootReady();
    for (let i = 0; i < 150; i++) h.submit();
    expect(h.worker(0).inFlight).toBe(150);
  });
});

describe('stopped pools and workers', () => {
  it('a stopped pool rejects with the reason of its stop; TcpLevel asks for a reset', () => {
    const h = new PoolHarness({ autoStart: false });
    h.pool.boot();
    expect(h.pool.state).toBe('Stopped');
    expect(h.submit().rejected).toEqual({ reason: 'Disabled', tcpReset: false });
    h.pool.start('admin');
    h.pool.stop('CpuLimit');
    expect(h.submit().rejected).toEqual({ reason: 'AppShutdown', tcpReset: false });
    h.pool.start('admin');
    h.pool.stop('RapidFail');
    expect(h.submit().rejected).toEqual({ reason: 'AppOffline', tcpReset: false });
    h.pool.start('admin');
    h.pool.stop('Admin');
    expect(h.submit().rejected?.reason).toBe('Disabled');
  });

  it('stop answers the queued requests at once and drains every worker', () => {
    const h = new PoolHarness({ failure: { loadBalancerCapabilities: 'TcpLevel' } });
    h.pool.boot();
    const a = h.submit();
    const b = h.submit();
    b.cancelled = true;
    h.pool.stop('RapidFail');
    expect(a.rejected).toEqual({ reason: 'AppOffline', tcpReset: true });
    expect(b.rejected).toBeNull();
    expect(h.queued).toHaveLength(0);
    expect(h.of('PoolStopped')).toEqual([expect.objectContaining({ pool: 'app', reason: 'RapidFail', eventId: 5002 })]);
    expect(h.of('WorkerDraining')).toEqual([expect.objectContaining({ reason: 'rapid-fail' })]);
    h.pool.stop('Admin'); // already stopped: nothing more
    expect(h.of('PoolStopped')).toHaveLength(1);
  });

  it('start is idempotent and resets the rapid-fail window', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    h.pool.countFailure('crash');
    h.pool.start('admin');
    expect(h.of('PoolStarted')).toHaveLength(1);
    h.pool.stop('Admin');
    h.pool.start('admin');
    expect(h.pool.rapidFail.count()).toBe(0);
    expect(h.pool.stopReason).toBeNull();
    expect(h.of('PoolStarted').map((e) => e.reason)).toEqual(['boot', 'admin']);
  });

  it('a crash is reported, counted, and replaced; an exit the manager asked for is not a crash', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const w = h.worker(0);
    w.exit(null, 'SIGKILL');
    expect(h.of('WorkerCrashed')).toEqual([
      expect.objectContaining({
        pool: 'app',
        workerId: 1,
        pid: w.pid,
        reason: 'crash',
        signal: 'SIGKILL',
        exitCode: null,
      }),
    ]);
    expect(h.of('RapidFailCount')).toEqual([expect.objectContaining({ reason: 'crash', count: 1, windowMs: 300_000 })]);
    expect(h.workers).toHaveLength(2);
    expect(h.live).toEqual([h.worker(1)]);
    h.worker(1).endReason = 'idle';
    h.worker(1).exit(0, null);
    expect(h.of('WorkerExited')).toEqual([expect.objectContaining({ reason: 'idle', exitCode: 0 })]);
    expect(h.of('WorkerCrashed')).toHaveLength(1);
  });

  it('a worker that dies before it was ready is a startup crash', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' });
    h.pool.boot();
    h.worker(0).exit(1, null);
    expect(h.of('WorkerCrashed')[0]).toMatchObject({ reason: 'startup-crash', exitCode: 1 });
  });

  it('rapid-fail: the Nth failure in the window stops the pool, and no replacement starts', () => {
    const h = new PoolHarness({
      startMode: 'AlwaysRunning',
      failure: { rapidFailProtectionMaxCrashes: 2 },
    }).bootReady();
    h.worker(0).exit();
    expect(h.pool.state).toBe('Started');
    h.worker(1).ready().exit();
    expect(h.pool.state).toBe('Stopped');
    expect(h.pool.stopReason).toBe('RapidFail');
    expect(h.workers).toHaveLength(2);
    expect(h.submit().rejected?.reason).toBe('AppOffline');
  });

  it('a failure kills a live worker once and counts; a dead or ending worker is left alone', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'startup-timeout', 'too slow');
    expect(w.calls).toContain('kill startup-timeout');
    expect(w.endReason).toBe('startup-timeout');
    expect(h.of('WorkerKilled')).toEqual([
      expect.objectContaining({ workerId: 1, reason: 'too slow', kind: 'startup-timeout' }),
    ]);
    h.pool.failure(w as never, 'ping', 'again');
    expect(h.of('WorkerKilled')).toHaveLength(1);
    expect(h.pool.rapidFail.count()).toBe(1);
    // Killed but not exited: a replacement starts now (a worker being killed is not live).
    expect(h.workers).toHaveLength(2);
  });

  it('with orphanWorkerProcess a hung (ping) or zombie (stalled) worker is orphaned, a crash-like one is not', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', failure: { orphanWorkerProcess: true } }).bootReady();
    const w = h.worker(0);
    h.pool.failure(w as never, 'ping', 'no ping');
    expect(w.calls).toContain('orphan');
    expect(w.calls.some((c) => c.startsWith('kill'))).toBe(false);
    expect(h.live).not.toContain(w);
    expect(h.live).toHaveLength(1);
    const w2 = h.worker(1).ready();
    h.pool.failure(w2 as never, 'malformed-message', 'bad message');
    expect(w2.calls).toContain('kill malformed-message');
  });

  it('malformed control messages count as a failure; an unhealthy report recycles the worker', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const w = h.worker(0);
    w.emit('unhealthy', 'app said so');
    expect(h.of('RecycleStarted')).toEqual([
      expect.objectContaining({ reason: 'IsapiUnhealthy', detail: 'app said so' }),
    ]);
    const w2 = h.worker(1);
    w2.ready();
    w2.emit('malformed', '{');
    expect(h.of('WorkerKilled')).toEqual([expect.objectContaining({ workerId: w2.id, kind: 'malformed-message' })]);
  });

  it('shutdown rejects queued requests as Disabled and resolves once every worker has exited', async () => {
    const h = new PoolHarness();
    h.pool.boot();
    const a = h.submit();
    let done = false;
    const p = h.pool.shutdown('pool-removed').then(() => (done = true));
    expect(a.rejected).toEqual({ reason: 'Disabled', tcpReset: false });
    await Promise.resolve();
    expect(done).toBe(false);
    expect(h.worker(0).calls).toContain('kill pool-removed'); // it was still starting
    h.worker(0).exit();
    expect(await settles(p)).toBe(true);
    await p;
    expect(done).toBe(true);
    expect(h.of('WorkerCrashed')).toHaveLength(0);
  });
});

describe('how many workers', () => {
  it('AlwaysRunning keeps maxProcesses workers; OnDemand none until a request', () => {
    const always = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 3 } });
    always.pool.boot();
    expect(always.workers).toHaveLength(3);
    const demand = new PoolHarness({ processModel: { maxProcesses: 3 } });
    demand.pool.boot();
    expect(demand.workers).toHaveLength(0);
  });

  it('a web garden grows when every ready worker is busy, one start at a time, up to maxProcesses', () => {
    const h = new PoolHarness({ processModel: { maxProcesses: 2 } });
    h.pool.boot();
    h.submit();
    h.worker(0).ready();
    expect(h.workers).toHaveLength(1); // the job arrived before ready: it was queued, no growth yet
    h.submit(); // dispatched to the busy worker: all busy → grow
    expect(h.workers).toHaveLength(2);
    h.submit(); // second still starting: no third start
    expect(h.workers).toHaveLength(2);
    h.worker(1).ready();
    h.submit();
    h.submit();
    expect(h.workers).toHaveLength(2); // at maxProcesses
  });

  it('a garden does not grow while a ready worker is idle', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 3 } });
    h.pool.boot();
    h.worker(0).ready();
    h.worker(1).ready();
    h.worker(2).exit(); // crash while starting: replaced
    const replacement = h.worker(3);
    replacement.ready();
    const a = h.submit();
    h.done(a);
    expect(h.workers).toHaveLength(4);
  });

  it('a single-process pool never grows', () => {
    const h = new PoolHarness().bootReady();
    h.submit();
    h.worker(0).ready();
    h.submit();
    h.submit();
    expect(h.workers).toHaveLength(1);
  });

  it('a startup fault is passed to the next workers, the given number of times, only with fault injection', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }, { faultPlugin: '/plugin.js' });
    h.pool.startupFault = { mode: 'crash', remaining: 2 };
    h.pool.boot();
    h.worker(0).exit();
    h.worker(1).exit();
    expect(h.workers.map((w) => w.spec.startupFault)).toEqual(['crash', 'crash', null]);
    expect(h.pool.startupFault).toBeNull();

    const off = new PoolHarness({ startMode: 'AlwaysRunning' });
    off.pool.startupFault = { mode: 'hang', remaining: 0 };
    off.pool.boot();
    expect(off.worker(0).spec.startupFault).toBeNull();

    const forever = new PoolHarness({ startMode: 'AlwaysRunning' }, { faultPlugin: '/plugin.js' });
    forever.pool.startupFault = { mode: 'hang', remaining: 0 };
    forever.pool.boot();
    forever.worker(0).exit();
    expect(forever.workers.map((w) => w.spec.startupFault)).toEqual(['hang', 'hang']);
  });

  it('a reload that lowers maxProcesses drains the excess: workers not yet ready first, then the least busy', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning', processModel: { maxProcesses: 4 } });
    h.pool.boot();
    const [a, b, c, d] = h.workers;
    a!.ready();
    b!.ready();
    c!.ready();
    h.submit(); // a, b, c busy in turn: one request each, then b gets a second
    h.submit();
    h.submit();
    const extra = job();
    h.pool.submit(extra);
    const busiest = extra.ranOn[0]!;
    const lower = JSON.parse(JSON.stringify(h.pool.config)) as typeof h.pool.config;
    lower.processModel.maxProcesses = 2;
    h.pool.reconfigure(lower, h.pool.apps);
    const drained = h.of('WorkerDraining');
    expect(drained.map((e) => e.reason)).toEqual(['max-processes', 'max-processes']);
    expect(drained[0]?.workerId).toBe(d!.id); // still starting
    expect(drained[1]?.workerId).not.toBe(busiest.id);
    expect(h.workers).toHaveLength(4); // nothing new started
    h.pool.reconfigure(lower, h.pool.apps); // at the limit now: nothing more
    expect(h.of('WorkerDraining')).toHaveLength(2);
  });

  it('a reload that raises maxProcesses of an AlwaysRunning pool starts the missing workers', () => {
    const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
    const more = JSON.parse(JSON.stringify(h.pool.config)) as typeof h.pool.config;
    more.processModel.maxProcesses = 3;
    h.pool.reconfigure(more, h.pool.apps);
    expect(h.workers).toHaveLength(3);
    expect(h.of('WorkerDraining')).toHaveLength(0);
  });

  it('killAll sends SIGKILL to every worker still alive, orphans included', () => {
    const h = new PoolHarness({
      startMode: 'AlwaysRunning',
      processModel: { maxProcesses: 2 },
      failure: { orphanWorkerProcess: true },
    }).bootReady();
    const [a, b] = [h.worker(0), h.worker(1)];
    h.pool.failure(a as never, 'ping', 'hung');
    b.state = 'Exited';
    h.pool.killAll();
    expect(a.calls).toContain('kill host-stop');
    expect(b.calls).not.toContain('kill host-stop');
    expect(h.worker(2).calls).toContain('kill host-stop');
  });

  it('pingOverdueMs is half of pingResponseTime, at most 1 s', () => {
    expect(pingOverdueMs(new PoolHarness({ processModel: { pingResponseTime: 600 } }).pool.config)).toBe(300);
    expect(pingOverdueMs(new PoolHarness({ processModel: { pingResponseTime: 90_000 } }).pool.config)).toBe(1000);
  });
});

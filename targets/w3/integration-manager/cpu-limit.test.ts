// cpu.limit + cpu.action (IIS <cpu>), per worker, in 1/1000 % of one CPU over resetInterval windows:
// NoAction → CpuLimitExceeded only; KillW3wp → the worker is killed (not a rapid-fail failure; the next request
// starts a new one); Throttle → the worker is duty-cycled with SIGSTOP/SIGCONT down to about the limit and keeps
// answering pings and requests.
import { request, type RunningServer } from '../test-support/server';
import { FAST, cpuMs, delay, eventsOf, injectFault, onePool, pool, startFaultServer } from './test-support/manager-helpers';

jest.setTimeout(90_000);

const SPIN = { kind: 'cpu-spin', dutyPercent: 100, durationMs: 8000 };

describe('cpu limit', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('NoAction: one CpuLimitExceeded per window, the worker keeps serving', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: FAST, cpu: { limit: 20_000, action: 'NoAction', resetInterval: '3s' } }));
    const hot = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await injectFault(server, hot.workerId, SPIN);
    const exceeded = await server.waitForEvent((e) => e.type === 'CpuLimitExceeded', 15_000);
    expect([exceeded.pid, exceeded['action']]).toEqual([hot.pid, 'NoAction']);
    // 20 % of a 3 s window is 600 ms of CPU: spent after about 0.6 s of spinning, reported once in that window.
    expect(exceeded['usedMs']).toBeGreaterThan(600);
    const second = await server.waitForEvent((e) => e.type === 'CpuLimitExceeded' && e.t > exceeded.t, 15_000);
    expect(second.t - exceeded.t).toBeGreaterThanOrEqual(1000);
    expect((await request(server.url, { path: '/pid' })).workerPid).toBe(hot.pid);
    expect(eventsOf(server, 'WorkerKilled')).toEqual([]);
  });

  it('KillW3wp: the worker is killed, not counted toward rapid-fail; the next request starts a new worker', async () => {
    server = await startFaultServer(
      onePool({ processModel: FAST, cpu: { limit: 20_000, action: 'KillW3wp', resetInterval: '3s' }, failure: { rapidFailProtectionMaxCrashes: 1 } }),
    );
    const first = await request(server.url, { path: '/pid' });
    const hot = eventsOf(server, 'WorkerReady')[0]!;
    await injectFault(server, hot.workerId, SPIN);
    const exceeded = await server.waitForEvent((e) => e.type === 'CpuLimitExceeded', 15_000);
    expect(exceeded['action']).toBe('KillW3wp');
    await server.waitForEvent((e) => e.type === 'WorkerKilled' && e.pid === first.workerPid && e.reason === 'cpu-limit');
    await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === first.workerPid);
    const next = await request(server.url, { path: '/pid' });
    expect(next.status).toBe(200);
    expect(next.workerPid).not.toBe(first.workerPid);
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
    expect((await pool(server)).state).toBe('Started');
  });

  it('Throttle: a spinning worker is held near the limit and still answers pings and requests', async () => {
    server = await startFaultServer(onePool({ startMode: 'AlwaysRunning', processModel: FAST, cpu: { limit: 30_000, action: 'Throttle', resetInterval: '5s' } }));
    const hot = await server.waitForEvent((e) => e.type === 'WorkerReady');
    const from = server.events.length;
    await injectFault(server, hot.workerId, SPIN);
    const exceeded = await server.waitForEvent((e) => e.type === 'CpuLimitExceeded', 15_000, from);
    expect(exceeded['action']).toBe('Throttle');
    const c0 = cpuMs(hot.pid!);
    const t0 = Date.now();
    const replies = [];
    while (Date.now() - t0 < 3000) {
      replies.push(await request(server.url, { path: '/pid' }));
      await delay(150);
    }
    const share = (cpuMs(hot.pid!) - c0) / (Date.now() - t0);
    expect(share).toBeLessThan(0.45); // 30 % ± the granularity of /proc accounting and a 100 ms control slice
    expect(share).toBeGreaterThan(0.05); // throttled, not frozen
    expect(replies.every((r) => r.status === 200 && r.workerPid === hot.pid)).toBe(true);
    expect(eventsOf(server, 'PingFailed', from)).toEqual([]);
    expect(eventsOf(server, 'WorkerKilled', from)).toEqual([]);
  });
});

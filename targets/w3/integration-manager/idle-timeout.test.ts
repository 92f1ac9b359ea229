// idleTimeout (IIS processModel.idleTimeout): a worker with no requests for idleTimeout exits (5186) and is not
// replaced; the next request demand-starts one. AlwaysRunning pools are never idle-shut-down (IIS leaves it open; w3's
// choice).
import { request, type RunningServer } from '../test-support/server';
import { FAST, delay, eventsOf, onePool, pool, startFaultServer } from './test-support/manager-helpers';

jest.setTimeout(60_000);

describe('idle timeout', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('an idle worker exits (5186) without replacement; the next request demand-starts a new one', async () => {
    server = await startFaultServer(onePool({ processModel: { ...FAST, idleTimeout: '1s' } }));
    const first = await request(server.url, { path: '/pid' });
    const idle = await server.waitForEvent((e) => e.type === 'IdleShutdown', 10_000);
    expect([idle.eventId, idle.pid]).toEqual([5186, first.workerPid]);
    // Idle time counts from the end of the request on the host, which is after the worker became ready: on the host's
    // clock, at least idleTimeout after WorkerReady (stamped a ms or so after the worker's readyAt). Not from the
    // client's end of the response: that came later by a few ms, and on a loaded machine by hundreds.
    const ready = eventsOf(server, 'WorkerReady')[0]!;
    expect(idle.t - ready.t).toBeGreaterThanOrEqual(1000 - 5);
    expect(Number(idle['idleMs'])).toBeGreaterThanOrEqual(1000);
    const exited = await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === first.workerPid, 10_000);
    expect(exited.reason).toBe('idle');
    expect(server.events.filter((e) => e.type === 'WorkerStarting' && e.t > idle.t)).toEqual([]);
    expect((await pool(server)).workers).toEqual([]);

    const next = await request(server.url, { path: '/pid' });
    expect(next.status).toBe(200);
    expect(next.workerPid).not.toBe(first.workerPid);
    expect(server.events.filter((e) => e.type === 'WorkerStarting' && e.t > exited.t)).toHaveLength(1);
    expect(eventsOf(server, 'RapidFailCount')).toEqual([]);
  });

  it('an AlwaysRunning pool ignores idleTimeout', async () => {
    server = await startFaultServer(
      onePool({ startMode: 'AlwaysRunning', processModel: { ...FAST, idleTimeout: '300ms' } }),
    );
    const worker = await server.waitForEvent((e) => e.type === 'WorkerReady');
    await delay(2000); // several idle periods with no traffic: nothing may happen
    expect(eventsOf(server, 'IdleShutdown')).toEqual([]);
    expect((await pool(server)).workers.map((w) => w.pid)).toEqual([worker.pid]);
  });
});

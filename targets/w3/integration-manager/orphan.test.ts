// orphanWorkerProcess + orphanActionCommand (IIS failure settings): a worker that fails its pings is left running
// (WorkerOrphaned) instead of killed, the command runs with %1% = its PID, a replacement serves. w3 kills orphans
// when the host stops (IIS leaves them; the lab must not leak processes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request, type RunningServer } from '../test-support/server';
import {
  PINGS,
  delay,
  eventsOf,
  injectFault,
  isAlive,
  onePool,
  pool,
  startFaultServer,
  waitUntil,
} from './test-support/manager-helpers';

jest.setTimeout(60_000);

describe('orphaned workers', () => {
  let server: RunningServer;
  afterEach(async () => server?.stop());

  it('a ping-failed worker is orphaned, the action runs with its PID, a replacement serves; stop kills', async () => {
    const markerDir = path.join(os.tmpdir(), `w3-orphans-${process.pid}-${Date.now()}`);
    fs.mkdirSync(markerDir);
    server = await startFaultServer(
      onePool({
        startMode: 'AlwaysRunning',
        // PINGS' deadline, not a shorter one: on a loaded machine a healthy worker misses 500 ms now and then; here
        // that orphans it before the fault is injected, and an orphan's fault acknowledgement is never read (409),
        // or it orphans the replacement too.
        processModel: PINGS,
        failure: { orphanWorkerProcess: true, orphanActionCommand: ['touch', path.join(markerDir, 'orphan-%1%')] },
      }),
    );
    const sick = await server.waitForEvent((e) => e.type === 'WorkerReady');
    // ignore-pings leaves the worker's event loop running: it would notice a closed control channel and exit.
    await injectFault(server, sick.workerId, { kind: 'hang', mode: 'ignore-pings' });
    const orphaned = await server.waitForEvent((e) => e.type === 'WorkerOrphaned', 15_000);
    expect(orphaned.pid).toBe(sick.pid);
    await server.waitForEvent((e) => e.type === 'PingFailed' && e.pid === sick.pid);
    await waitUntil(() => fs.existsSync(path.join(markerDir, `orphan-${sick.pid}`)), 10_000, 'the orphan action file');
    const replacement = await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pid !== sick.pid, 30_000);
    const reply = await request(server.url, { path: '/pid' });
    expect(Number(reply.body)).toBe(replacement.pid);

    await delay(1000); // five ping rounds later the orphan is still there, untouched
    expect(isAlive(sick.pid!)).toBe(true);
    const p = await pool(server);
    expect(p.workers.map((w) => [w.pid, w.state])).toEqual([
      [replacement.pid, 'Ready'],
      [sick.pid, 'Orphaned'],
    ]);
    expect(eventsOf(server, 'WorkerKilled')).toEqual([]);
    expect(eventsOf(server, 'RapidFailCount').map((e) => e.reason)).toEqual(['ping']);

    await server.stop();
    await waitUntil(() => !isAlive(sick.pid!), 10_000, 'the orphan to be gone after host stop');
    fs.rmSync(markerDir, { recursive: true, force: true });
  });
});

// Integration test of the pm2 target with the real PM2 (npm devDependency, God in no-daemon mode inside the driver,
// a private PM2_HOME in the run folder): the peer lifecycle (serve, SIGKILL a worker → PM2 restarts it, `pm2
// reload` as one old/new pair per instance, no God, worker or daemon left behind), and PM2's max_memory_restart
// seen as a memory recycle of the leaking worker, with what PM2 measured.
import { workerFaultSpec } from '../../faults/spec';
import type { LabEvent } from '../events';
import { createPm2Target } from './pm2-target';
import { waitForEvent } from './test-support/context';
import { describePeerLifecycle } from './test-support/peer-lifecycle';

describePeerLifecycle(
  'pm2',
  {
    create: createPm2Target,
    settings: { instances: 2, killTimeoutMs: 3000, maxMemoryRestart: '150M', workerIntervalMs: 500 },
    workers: 2,
    helpers: 0,
    runFiles: ['pm2-home'],
    recycleCompletions: 2,
  },
  (get$) => {
    it('restarts a worker over max_memory_restart: a private-memory recycle, paired with its replacement', async () => {
      const { t } = get$();
      const [w] = await t.workers!();
      const from = t.events!().length;
      await t.injectFault!(w!, workerFaultSpec.parse({ kind: 'leak', rateKBps: 81920, capKB: 400 * 1024 }));
      const isMemory = (e: LabEvent): boolean => e.type === 'RecycleStarted' && e.reason === 'private-memory';
      // 60 s: the leak grows one step per timer tick, and a worker starved of CPU on a loaded machine gets fewer.
      const started = await waitForEvent(t, isMemory, 'a memory recycle', 60_000, from);
      expect(started).toMatchObject({ pid: w!.pid, limitKB: 150 * 1024 });
      expect(started.type === 'RecycleStarted' && started.privateMemoryKB! > 150 * 1024).toBe(true);
      const id = (started as { recycleId: number }).recycleId;
      const isDone = (e: LabEvent): boolean => e.type === 'RecycleCompleted' && e.recycleId === id;
      const done = await waitForEvent(t, isDone, 'its completion', 30_000, from);
      expect(done).toMatchObject({ oldPid: w!.pid, reason: 'private-memory' });
    }, 120_000);
  },
);

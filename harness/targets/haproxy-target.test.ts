// Integration test of the haproxy target with Debian's HAProxy (master-worker) in front of two Node backends under
// the fault agent: the peer lifecycle (serve, SIGKILL a backend → restarted, rolling restart, nothing left behind),
// a front reload (through its master CLI) under which requests keep being served, and a fault delivered into a
// backend.
import { workerFaultSpec } from '../../faults/spec';
import { createHaproxyTarget } from './haproxy-target';
import { get, waitForEvent } from './test-support/context';
import { describePeerLifecycle } from './test-support/peer-lifecycle';

describePeerLifecycle(
  'haproxy',
  {
    create: createHaproxyTarget,
    settings: { workers: 2, shutdownTimeoutMs: 3000 },
    workers: 2,
    helpers: 1,
    runFiles: ['haproxy/haproxy.cfg', 'haproxy/master.sock'],
    recycleCompletions: 2,
  },
  (get$) => {
    it('reloads its configuration (through its master CLI) and keeps serving', async () => {
      const { t } = get$();
      const from = t.events!().length;
      await t.frontReload!();
      await waitForEvent(t, (e) => e.type === 'ConfigReloaded', 'ConfigReloaded', 30_000, from);
      expect((await get(t.endpoint.url + '/')).status).toBe(200);
    }, 60_000);

    it('delivers a fault into a backend through the agent and heals it', async () => {
      const { t } = get$();
      const workers = await t.workers!();
      for (const w of workers) await t.injectFault!(w, workerFaultSpec.parse({ kind: 'error', status: 500 }));
      expect((await get(t.endpoint.url + '/')).status).toBe(500);
      for (const w of workers) await t.healFaults!(w);
      expect((await get(t.endpoint.url + '/')).status).toBe(200);
    });
  },
);

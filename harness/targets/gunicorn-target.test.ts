// Integration test of the gunicorn target with the real Gunicorn (Debian's python3-gunicorn): the peer lifecycle
// (serve, SIGKILL → replaced, HUP recycle, nothing left behind), and the WSGI fault agent in a Gunicorn worker —
// an error fault healed, a hung worker killed by Gunicorn's timeout (PingFailed), a startup crash, and a rejected spec.
import { workerFaultSpec } from '../../faults/spec';
import { createGunicornTarget } from './gunicorn-target';
import { get } from './test-support/context';
import { describePeerLifecycle, since } from './test-support/peer-lifecycle';
import { waitForEvent, waitForPoolAtRest } from './test-support/context';

describePeerLifecycle(
  'gunicorn',
  {
    create: createGunicornTarget,
    settings: { workers: 2, timeoutS: 2, gracefulTimeoutS: 5 },
    workers: 2,
    helpers: 1,
    runFiles: ['gunicorn/gunicorn.conf.py', 'gunicorn/gunicorn.pid', 'gunicorn/access.log'],
    recycleCompletions: 2,
  },
  (get$) => {
    it('injects an error fault into a worker and heals it', async () => {
      const { t } = get$();
      const workers = await t.workers!();
      for (const w of workers) await t.injectFault!(w, workerFaultSpec.parse({ kind: 'error', status: 503 }));
      const r = await get(t.endpoint.url + '/');
      expect([r.status, r.headers['x-w3lab-fault']]).toEqual([503, 'error']);
      for (const w of workers) await t.healFaults!(w);
      expect((await get(t.endpoint.url + '/')).status).toBe(200);
    });

    it("a worker whose main thread is blocked is killed by Gunicorn's timeout and replaced", async () => {
      const { t } = get$();
      const [w] = await t.workers!();
      const from = t.events!().length;
      const injected = Date.now();
      await t.injectFault!(w!, workerFaultSpec.parse({ kind: 'hang', mode: 'block-loop' }));
      const mine = (type: string) => (e: { type: string; pid?: number }) => e.type === type && e.pid === w!.pid;
      const ping = await waitForEvent(t, mine('PingFailed'), 'PingFailed', 30_000, from);
      // Gunicorn counts its 2 s timeout from the worker's last heartbeat, which an idle sync worker beats every
      // timeout / 2 (1 s): the block may start up to 1 s after that beat, so detection comes 1–3 s after the
      // injection (its master checks once a second). Not before 1 s: earlier would not be the timeout.
      expect(ping.t - injected).toBeGreaterThanOrEqual(900);
      await waitForEvent(t, mine('WorkerKilled'), 'WorkerKilled', 30_000, from);
      // Two ready workers, neither of them the killed one (which the master may still be ending): the next test
      // picks a worker from this list.
      await waitForPoolAtRest(t, 2, [w!.pid]);
    }, 60_000);

    it('a startup crash breaks the next start only (count 1); the spec is validated in the worker', async () => {
      const { t } = get$();
      const [w] = await t.workers!();
      await t.setStartupFault!('app', { kind: 'startup', mode: 'crash', count: 1 });
      const from = t.events!().length;
      await t.signal!(w!.pid, 'SIGKILL');
      await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.duringStartup, 'a startup crash', 30_000, from);
      await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a healthy start after it', 30_000, from);
      await t.setStartupFault!('app', null);
      expect(since(t, from).filter((e) => e.type === 'WorkerCrashed' && e.duringStartup)).toHaveLength(1);
      // A worker of the pool at rest: one still starting would refuse the fault before its agent reads the spec.
      const [v] = await waitForPoolAtRest(t, 2, [w!.pid]);
      await expect(t.injectFault!(v!, { kind: 'slow' } as never)).rejects.toThrow(/fault\.delayMs: required/);
    }, 60_000);
  },
);

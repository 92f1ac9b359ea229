// The life of a peer target, as every peer's integration test checks it with the real program (nginx, HAProxy, PM2,
// Gunicorn) on free ports: it comes up with its workers and serves a request; a worker (or backend) killed with
// SIGKILL is reported and replaced; a recycle replaces every worker; stop() leaves no process behind — neither a
// worker nor the proxy / master / daemon the driver announced. Each test file calls describePeerLifecycle() and adds
// what is particular to its peer.
import fs from 'node:fs';
import path from 'node:path';
import type { LabEvent } from '../../events';
import type { StartedTarget, Target, TargetContext } from '../types';
import { get, removeRunDir, stillAlive, testContext, waitForEvent } from './context';

const GONE = ['WorkerExited', 'WorkerCrashed', 'WorkerKilled'];

export interface PeerLifecycle {
  create(): Target;
  settings: Record<string, unknown>;
  /** Workers (backends) it should run with these settings. */
  workers: number;
  /** Files the driver must have generated into the run folder (configs, pid files). */
  runFiles: string[];
  /** Processes the driver runs beside the workers and announces (HelperStarted): the proxy, Gunicorn's master. */
  helpers: number;
  /** RecycleCompleted events one recycle of `workers` workers produces. */
  recycleCompletions: number;
  /** Generous: the machine is shared. */
  timeoutMs?: number;
}

/**
 * Every process the target reported: its driver, its workers, and the helpers (proxy, master) its driver announced
 * — read from the driver's own lines in its log, since HelperStarted has no word in the lab's vocabulary.
 */
export function everyReportedPid(t: StartedTarget, ctx: TargetContext, name: string): number[] {
  const pids = new Set<number>();
  if (t.pid) pids.add(t.pid);
  for (const e of t.events?.() ?? []) if (e.type === 'WorkerStarting') pids.add(e.pid);
  for (const line of fs.readFileSync(path.join(ctx.runDir, `${name}.log`), 'utf8').split('\n')) {
    if (!line.startsWith('{"event":')) continue;
    const e = (JSON.parse(line) as { event: { type: string; pid?: unknown } }).event;
    if (e.type === 'HelperStarted' && typeof e.pid === 'number') pids.add(e.pid);
  }
  return [...pids];
}

export function since(t: StartedTarget, from: number): LabEvent[] {
  return (t.events?.() ?? []).slice(from);
}

export type Started = () => { t: StartedTarget; ctx: TargetContext };

export function describePeerLifecycle(name: string, o: PeerLifecycle, more?: (started: Started) => void): void {
  const wait = o.timeoutMs ?? 30_000;
  describe(`${name} target (real ${name})`, () => {
    let ctx: TargetContext;
    let t: StartedTarget;

    beforeAll(async () => {
      ctx = testContext(o.settings, true);
      t = await o.create().setup(ctx);
    }, 60_000);

    afterAll(async () => {
      await t?.kill();
      removeRunDir(ctx);
    });

    it('comes up with its workers and serves GET / from one of them', async () => {
      const workers = await t.workers!();
      expect(workers).toHaveLength(o.workers);
      expect(workers.every((w) => w.state === 'Ready' && w.pool === 'app')).toBe(true);
      const r = await get(t.endpoint.url + '/');
      expect([r.status, r.body]).toEqual([200, 'hello\n']);
      expect(workers.map((w) => w.pid)).toContain(Number(r.headers['x-worker-pid']));
      for (const f of o.runFiles) expect(fs.existsSync(path.join(ctx.runDir, f))).toBe(true);
    });

    it('reports a worker killed with SIGKILL and replaces it', async () => {
      const [w] = await t.workers!();
      const from = t.events!().length;
      await t.signal!(w!.pid, 'SIGKILL');
      const isCrash = (e: LabEvent): boolean => e.type === 'WorkerCrashed' && e.pid === w!.pid;
      const crashed = await waitForEvent(t, isCrash, 'WorkerCrashed', wait, from);
      expect(crashed).toMatchObject({ pool: 'app', signal: 'SIGKILL' });
      await waitForEvent(t, (e) => e.type === 'WorkerReady' && e.pid !== w!.pid, 'the replacement ready', wait, from);
      await waitFor(async () => (await t.workers!()).length === o.workers, 'the worker count restored', wait);
      expect((await t.workers!()).map((x) => x.pid)).not.toContain(w!.pid);
      expect((await get(t.endpoint.url + '/')).status).toBe(200);
    }, 60_000);

    it('recycles: every worker replaced, the recycle reported as completed', async () => {
      const before = (await t.workers!()).map((w) => w.pid);
      const from = t.events!().length;
      await t.recycle!();
      const done = () => since(t, from).filter((e) => e.type === 'RecycleCompleted').length >= o.recycleCompletions;
      const allGone = () => before.every((pid) => since(t, from).some((e) => GONE.includes(e.type) && e.pid === pid));
      const what = `${o.recycleCompletions} RecycleCompleted and the old workers gone`;
      await waitForEvent(t, () => done() && allGone(), what, wait, from);
      const ready = async () => (await t.workers!()).filter((w) => w.state === 'Ready').length === o.workers;
      await waitFor(ready, 'new workers ready', wait);
      const after = (await t.workers!()).map((w) => w.pid);
      expect(after.filter((p) => before.includes(p))).toEqual([]);
      expect((await get(t.endpoint.url + '/')).status).toBe(200);
    }, 60_000);

    more?.(() => ({ t, ctx }));

    it('stop() ends the driver, its workers and its helpers', async () => {
      const pids = everyReportedPid(t, ctx, name);
      expect(pids.length).toBeGreaterThanOrEqual(1 + o.workers + o.helpers);
      await Promise.all([t.stop(), t.stop()]);
      expect(await stillAlive(pids, 15_000)).toEqual([]);
    }, 60_000);
  });
}

export async function waitFor(pred: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Integration tests of the node-cluster target: a real cluster primary (targets/peers/node-cluster/primary.js) and
// its workers. Fault injection needs the compiled agent (dist/faults/agent/preload.js, `npm run build`).
import fs from 'node:fs';
import path from 'node:path';
import { workerFaultSpec } from '../../faults/spec';
import { readLabEvent } from '../events';
import { appModule, createNodeClusterTarget, parseNodeClusterSettings } from './node-cluster-target';
import { labPaths } from './repo-paths';
import type { StartedTarget, TargetContext } from './types';
import { alive, get, removeRunDir, reportedPids, stillAlive, testContext, waitForEvent } from './test-support/context';

const preloadBuilt = fs.existsSync(labPaths().faultPreload);
/** A fault test: it needs the compiled agent, and without it fails saying so (`npm test` builds it first). */
const withAgent = (name: string, fn: () => Promise<void>, timeoutMs?: number): void =>
  it(
    name,
    async () => {
      if (!preloadBuilt) throw new Error(`${labPaths().faultPreload} is not built: run npm run build`);
      await fn();
    },
    timeoutMs,
  );

describe('node-cluster target', () => {
  let ctx: TargetContext;
  let t: StartedTarget;

  beforeAll(async () => {
    ctx = testContext({ workers: 2 }, preloadBuilt);
    t = await createNodeClusterTarget().setup(ctx);
  });

  afterAll(async () => {
    await t?.kill();
    removeRunDir(ctx);
  });

  it('comes up with its workers listening and serves GET /', async () => {
    const workers = await t.workers!();
    expect(workers).toHaveLength(2);
    expect(workers.every((w) => w.state === 'Ready' && w.pool === 'app')).toBe(true);
    const r = await get(t.endpoint.url + '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello\n');
    expect(workers.map((w) => w.pid)).toContain(Number(r.headers['x-worker-pid']));
  });

  it('re-forks a worker killed with SIGKILL (WorkerCrashed, then WorkerReady)', async () => {
    const [w] = await t.workers!('app');
    const from = t.events!().length;
    await t.signal!(w!.pid, 'SIGKILL');
    const crashed = await waitForEvent(
      t,
      (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid,
      'WorkerCrashed',
      10_000,
      from,
    );
    expect(crashed).toMatchObject({ pool: 'app', signal: 'SIGKILL', duringStartup: false });
    await waitForEvent(t, (e) => e.type === 'WorkerReady' && e.pid !== w!.pid, 'the replacement', 30_000, from);
    expect(await t.workers!()).toHaveLength(2);
  });

  it('recycles as a rolling restart: every worker replaced, RecycleCompleted for each', async () => {
    const before = (await t.workers!()).map((w) => w.pid);
    const from = t.events!().length;
    await t.recycle!('app');
    const completed = async (n: number) =>
      waitForEvent(
        t,
        () =>
          t.events!()
            .slice(from)
            .filter((e) => e.type === 'RecycleCompleted').length >= n,
        `${n} RecycleCompleted`,
        60_000,
        from,
      );
    await completed(2);
    const done = t.events!()
      .slice(from)
      .filter((e) => e.type === 'RecycleCompleted');
    expect(done.map((e) => e['oldPid']).sort()).toEqual([...before].sort());
    const after = (await t.workers!()).map((w) => w.pid);
    expect(after).toHaveLength(2);
    expect(after.filter((p) => before.includes(p))).toEqual([]);
    expect((await get(t.endpoint.url + '/')).status).toBe(200);
  });

  withAgent('injects a crash through the control endpoint; the worker dies and is replaced', async () => {
    const [w] = await t.workers!();
    const from = t.events!().length;
    await t.injectFault!(w!, workerFaultSpec.parse({ kind: 'crash' }));
    await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid, 'WorkerCrashed', 30_000, from);
    await waitForEvent(t, (e) => e.type === 'WorkerReady' && e.pid !== w!.pid, 'the replacement', 30_000, from);
    expect(await stillAlive([w!.pid])).toEqual([]);
  });

  withAgent('injects and heals an error fault (responses become 500, then 200 again)', async () => {
    const workers = await t.workers!();
    for (const w of workers) await t.injectFault!(w, workerFaultSpec.parse({ kind: 'error', status: 500 }));
    expect((await get(t.endpoint.url + '/')).status).toBe(500);
    for (const w of workers) await t.healFaults!(w);
    expect((await get(t.endpoint.url + '/')).status).toBe(200);
  });

  withAgent('a startup fault breaks the next fork only (count 1)', async () => {
    const [w] = await t.workers!();
    await t.setStartupFault!('app', { kind: 'startup', mode: 'crash', count: 1 });
    const from = t.events!().length;
    await t.signal!(w!.pid, 'SIGKILL');
    await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.duringStartup, 'a startup crash', 30_000, from);
    await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a healthy fork after it', 30_000, from);
    await t.setStartupFault!('app', null);
  });

  it('maps every event the primary emitted into the lab vocabulary', () => {
    const events = t.events!();
    for (const e of events) expect({ type: e.type, read: readLabEvent(e) }).toMatchObject({ read: { ok: true } });
    expect(events.every((e) => e.source === 'node-cluster')).toBe(true);
    expect(events.find((e) => e.type === 'RecycleStarted')).toMatchObject({ reason: 'admin' });
    expect(events.find((e) => e.type === 'WorkerCrashed')).toMatchObject({ signal: 'SIGKILL', duringStartup: false });
  });

  it('rejects a fault for a pid it does not have, and other pools', async () => {
    const ghost = { pool: 'app', id: 999, pid: 999_999, state: 'Ready' };
    await expect(t.injectFault!(ghost, workerFaultSpec.parse({ kind: 'crash' }))).rejects.toMatchObject({
      code: 'LAB_ERR_FAULT',
    });
    await expect(t.recycle!('other')).rejects.toMatchObject({ code: 'LAB_ERR_TARGET_CONTROL' });
    await expect(t.signal!(process.pid, 'SIGCONT')).rejects.toMatchObject({ code: 'LAB_ERR_TARGET_CONTROL' });
  });

  it('stop() disconnects the workers, exits, and leaves no process behind', async () => {
    const pids = reportedPids(t);
    await Promise.all([t.stop(), t.stop()]);
    expect(await stillAlive(pids)).toEqual([]);
    const exits = t.events!().filter((e) => e.type === 'WorkerExited' && e.reason === 'stop');
    expect(exits).toHaveLength(2);
  });
});

describe('node-cluster target: kill() and settings', () => {
  it('kill() leaves no primary or worker behind', async () => {
    const ctx = testContext({ workers: 2 }, false);
    const t = await createNodeClusterTarget().setup(ctx);
    try {
      const pids = reportedPids(t);
      expect(pids.every(alive)).toBe(true);
      await t.kill();
      await t.kill();
      expect(await stillAlive(pids)).toEqual([]);
    } finally {
      await t.kill();
      removeRunDir(ctx);
    }
  });

  it('refuses fault injection when the run did not enable it', async () => {
    const ctx = testContext({}, false);
    const t = await createNodeClusterTarget().setup(ctx);
    try {
      const [w] = await t.workers!();
      await expect(t.injectFault!(w!, workerFaultSpec.parse({ kind: 'crash' }))).rejects.toMatchObject({
        code: 'LAB_ERR_FAULT',
      });
    } finally {
      await t.stop();
      removeRunDir(ctx);
    }
  });

  it('fails setup fast with LAB_ERR_TARGET_START and the log tail when the app cannot load', async () => {
    const ctx = testContext({ app: path.join(__dirname, 'test-support', 'fixtures', 'broken-app.js') }, false);
    try {
      const t0 = Date.now();
      await expect(createNodeClusterTarget().setup(ctx)).rejects.toMatchObject({
        code: 'LAB_ERR_TARGET_START',
        message: expect.stringMatching(/exited \(code 1\)[\s\S]*broken app \(test fixture\)/),
      });
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      removeRunDir(ctx);
    }
  });

  it('validates settings (unknown keys, bad counts) with LAB_ERR_TARGET_SETTINGS', () => {
    expect(() => parseNodeClusterSettings({ wrokers: 2 })).toThrow(
      expect.objectContaining({ code: 'LAB_ERR_TARGET_SETTINGS' }),
    );
    expect(() => parseNodeClusterSettings({ workers: 0 })).toThrow(/settings\.workers/);
    expect(parseNodeClusterSettings({ config: {}, workers: 3 })).toMatchObject({
      workers: 3,
      pool: 'app',
      shutdownTimeoutMs: 5000,
    });
  });

  it('takes the app from settings.app, else the scenario\'s "/" application, else lab-app.js', () => {
    const lab = labPaths().labApp;
    const s = (x: unknown) => parseNodeClusterSettings(x);
    expect(appModule(s({}), lab)).toBe(lab);
    expect(appModule(s({ app: '/x/a.js' }), lab)).toBe('/x/a.js');
    const config = {
      applications: [
        { path: '/b', module: '/x/b.js' },
        { path: '/', module: '/x/root.js' },
      ],
    };
    expect(appModule(s({ config }), lab)).toBe('/x/root.js');
    expect(appModule(s({ config: { applications: [{ path: '/b', module: '/x/b.js' }] } }), lab)).toBe('/x/b.js');
  });
});

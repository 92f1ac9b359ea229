// Integration tests of the w3 target: a real `w3lab serve` process from dist/ (run `npm run build` first).
import fs from 'node:fs';
import path from 'node:path';
import { workerFaultSpec } from '../../faults/spec';
import { readLabEvent } from '../events';
import { createW3Target } from './w3-target';
import { isTargetError } from './errors';
import type { StartedTarget, TargetContext } from './types';
import { alive, get, stillAlive, removeRunDir, reportedPids, testContext, waitForEvent } from './test-support/context';

describe('w3 target', () => {
  let ctx: TargetContext;
  let t: StartedTarget;

  beforeAll(async () => {
    ctx = testContext({ config: { pools: [{ name: 'app', startMode: 'AlwaysRunning' }] } });
    t = await createW3Target().setup(ctx);
  });

  afterAll(async () => {
    await t?.kill();
    removeRunDir(ctx);
  });

  it('comes up on a free loopback port and serves GET / from a worker', async () => {
    expect(t.endpoint.host).toBe('127.0.0.1');
    expect(t.endpoint.port).toBeGreaterThan(0);
    const r = await get(t.endpoint.url + '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello\n');
    expect(Number(r.headers['x-w3-worker-pid'])).toBeGreaterThan(0);
    expect(t.events!().some((e) => e.type === 'HostStarted')).toBe(true);
  });

  it('writes its config, log and admin socket into the run folder', () => {
    const config = JSON.parse(fs.readFileSync(path.join(ctx.runDir, 'w3.json'), 'utf8')) as Record<string, unknown>;
    expect(config['pools']).toEqual([{ name: 'app', startMode: 'AlwaysRunning' }]);
    expect(config['listen']).toEqual({ host: '127.0.0.1', port: 0 });
    expect(fs.readFileSync(path.join(ctx.runDir, 'w3.log'), 'utf8')).toContain('"HostStarted"');
  });

  it('lists workers and recycles a pool (RecycleCompleted, a new pid)', async () => {
    await waitForEvent(t, (e) => e.type === 'WorkerReady', 'the first worker');
    const [before] = await t.workers!('app');
    expect(before).toMatchObject({ pool: 'app', state: 'Ready' });
    const from = t.events!().length;
    await t.recycle!('app');
    const done = await waitForEvent(t, (e) => e.type === 'RecycleCompleted', 'RecycleCompleted', 30_000, from);
    expect(done.type === 'RecycleCompleted' && done.oldPid).toBe(before!.pid);
    const after = await t.workers!('app');
    expect(after.map((w) => w.pid)).not.toContain(before!.pid);
  });

  it('front reload = a config reload: ConfigReloaded, the same worker keeps serving', async () => {
    const [w] = (await t.workers!('app')).filter((x) => x.state === 'Ready');
    const from = t.events!().length;
    await t.frontReload!();
    await waitForEvent(t, (e) => e.type === 'ConfigReloaded', 'ConfigReloaded', 30_000, from);
    const r = await get(t.endpoint.url + '/');
    expect([r.status, Number(r.headers['x-w3-worker-pid'])]).toEqual([200, w!.pid]);
  });

  it('injects a crash into a worker; the worker dies and a replacement becomes ready', async () => {
    const [w] = (await t.workers!('app')).filter((x) => x.state === 'Ready');
    const from = t.events!().length;
    await t.injectFault!(w!, workerFaultSpec.parse({ kind: 'crash' }));
    await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid, 'WorkerCrashed', 30_000, from);
    await waitForEvent(t, (e) => e.type === 'WorkerReady' && e.pid !== w!.pid, 'a replacement', 30_000, from);
    expect(alive(w!.pid)).toBe(false);
    expect((await get(t.endpoint.url + '/')).status).toBe(200);
  });

  it('maps every event w3 really emitted into the lab vocabulary (admin recycles are "admin", crashes say how)', () => {
    const events = t.events!();
    for (const e of events) expect({ type: e.type, read: readLabEvent(e) }).toMatchObject({ read: { ok: true } });
    expect(events.every((e) => e.source === 'w3')).toBe(true);
    const recycle = events.find((e) => e.type === 'RecycleStarted');
    expect(recycle).toMatchObject({ reason: 'admin', overlapped: true });
    const crash = events.find((e) => e.type === 'WorkerCrashed');
    expect(crash).toMatchObject({ duringStartup: false });
    expect(crash && 'exitCode' in crash && (crash.exitCode !== null || crash.signal !== null)).toBe(true);
  });

  it('rejects a bad fault spec with LAB_ERR_FAULT, and asking for an unknown pool', async () => {
    const [w] = await t.workers!('app');
    const bad = { kind: 'crash', mode: 'explode' } as unknown as Parameters<
      NonNullable<StartedTarget['injectFault']>
    >[1];
    await expect(t.injectFault!(w!, bad)).rejects.toMatchObject({ code: 'LAB_ERR_FAULT' });
    await expect(t.workers!('nope')).rejects.toMatchObject({ code: 'LAB_ERR_TARGET_CONTROL' });
  });

  it('refuses to signal a process that is not its own', async () => {
    await expect(t.signal!(process.pid, 'SIGCONT')).rejects.toMatchObject({ code: 'LAB_ERR_TARGET_CONTROL' });
  });

  it('stop() is graceful, idempotent and leaves no process behind', async () => {
    const pids = reportedPids(t);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await Promise.all([t.stop(), t.stop()]);
    await t.stop();
    expect(await stillAlive(pids)).toEqual([]);
    expect(t.events!().some((e) => e.type === 'HostStopping')).toBe(true);
  });
});

describe('w3 target: kill() and failures', () => {
  it('kill() takes the host and its workers down at once', async () => {
    const ctx = testContext({
      config: { pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }] },
    });
    const t = await createW3Target().setup(ctx);
    try {
      await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a worker');
      const pids = reportedPids(t);
      await Promise.all([t.kill(), t.kill()]);
      expect(await stillAlive(pids)).toEqual([]);
    } finally {
      await t.kill();
      removeRunDir(ctx);
    }
  });

  it('fails setup with LAB_ERR_TARGET_START and the log tail when w3 rejects its config', async () => {
    const ctx = testContext({ config: { pools: [{ name: 'app', noSuchSetting: 1 }] } });
    try {
      const err = await createW3Target()
        .setup(ctx)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isTargetError(err, 'LAB_ERR_TARGET_START')).toBe(true);
      expect((err as Error).message).toMatch(/exited \(code 254\)/);
      expect((err as Error).message).toContain('noSuchSetting');
    } finally {
      removeRunDir(ctx);
    }
  });

  it('rejects unknown settings with LAB_ERR_TARGET_SETTINGS before starting anything', async () => {
    const ctx = testContext({ confg: {} });
    try {
      await expect(createW3Target().setup(ctx)).rejects.toMatchObject({ code: 'LAB_ERR_TARGET_SETTINGS' });
    } finally {
      removeRunDir(ctx);
    }
  });
});

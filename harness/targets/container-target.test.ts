// The w3 and node-cluster targets with `runtime: 'container'` (Docker started by scripts/ensure-docker.sh; the file
// skips itself with the reason when no engine can run here): the same capabilities as the process runtime —
// recycle, workers, fault injection, signals by the PIDs the target reports (the container's own) — plus the
// container-level ones, driven through the fault schedule as a scenario would (pause healed by unpause, restart on
// the same address), and nothing left behind after stop()/kill().
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { seededRandom } from '../../faults';
import { workerFaultSpec } from '../../faults/spec';
import { FaultSchedule } from '../runner/fault-schedule';
import { faultStep } from '../scenarios/schema';
import { LABEL_RUN, readOwnerRecord, SOCKET_FOLDER_PREFIX, W3_CONTAINER_ADMIN_DIR } from '../runtimes';
import { describeWithDocker } from '../runtimes/test-support/docker-tests';
import { createNodeClusterTarget } from './node-cluster-target';
import { createW3Target } from './w3-target';
import { isTargetError } from './errors';
import { ownerToken } from './ownership';
import type { StartedTarget, TargetContext } from './types';
import { get, removeRunDir, testContext, waitForEvent, waitForPoolAtRest } from './test-support/context';

const containersOf = (runId: string): string =>
  spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${LABEL_RUN}=${runId}`], {
    encoding: 'utf8',
  }).stdout.trim();

/** The temp socket folders whose owner record names this run. */
function socketFoldersOf(runId: string): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith(SOCKET_FOLDER_PREFIX))
    .map((n) => path.join(os.tmpdir(), n))
    .filter((root) => {
      const owner = readOwnerRecord(root);
      return typeof owner === 'object' && owner.runId === runId;
    });
}

function containerContext(settings: Record<string, unknown>): TargetContext {
  return { ...testContext(settings), runtime: 'container' };
}

/** Runs fault steps (scenario syntax) against the target until `body` is done, then stops the schedule. */
async function withSchedule(
  t: StartedTarget,
  steps: unknown[],
  body: (marks: Array<Record<string, unknown>>) => Promise<unknown>,
): Promise<Array<Record<string, unknown>>> {
  const marks: Array<Record<string, unknown>> = [];
  const schedule = new FaultSchedule(
    t,
    steps.map((s) => faultStep.parse(s)),
    seededRandom(1),
    (name, extra) => marks.push({ name, ...extra }),
    pino({ level: 'silent' }),
  );
  schedule.start();
  try {
    await body(marks);
  } finally {
    await schedule.stop();
  }
  expect(schedule.errors).toEqual([]);
  return marks;
}

describeWithDocker('w3 target in a container', () => {
  let ctx: TargetContext;
  let t: StartedTarget;

  beforeAll(async () => {
    ctx = containerContext({
      config: {
        pools: [
          {
            name: 'app',
            startMode: 'AlwaysRunning',
            processModel: { maxProcesses: 2 },
            failure: { rapidFailProtectionMaxCrashes: 100 },
          },
        ],
      },
    });
    t = await createW3Target().setup(ctx);
  }, 300_000);

  afterAll(async () => {
    await t?.kill();
    removeRunDir(ctx);
  }, 60_000);

  it('comes up on a loopback port, serves from a worker, keeps config and log in the run folder', async () => {
    expect(t.endpoint.host).toBe('127.0.0.1');
    expect(t.pid).toBeUndefined(); // container PIDs are not this machine's
    expect(t.runtimeDetails).toMatchObject({ runtime: 'container' });
    const r = await get(t.endpoint.url + '/');
    expect(r.status).toBe(200);
    expect(fs.readFileSync(path.join(ctx.runDir, 'w3.log'), 'utf8')).toContain('"HostStarted"');
    const config = JSON.parse(fs.readFileSync(path.join(ctx.runDir, 'w3.json'), 'utf8')) as {
      applications: Array<{ module: string }>;
    };
    expect(config.applications[0]!.module).toBe('/opt/w3lab/targets/apps/lab-app.js');
  });

  it('lists workers, recycles, and delivers a fault into a worker', async () => {
    const old = (await waitForPoolAtRest(t, 2, [], 'app')).map((w) => w.pid);
    let from = t.events!().length;
    await t.recycle!('app');
    await waitForEvent(t, (e) => e.type === 'RecycleCompleted', 'RecycleCompleted', 30_000, from);
    // The two workers are recycled one by one: the first RecycleCompleted can come while the other old worker is
    // still listed Ready, about to drain. The fault goes to a worker of a pool at rest, which nothing else stops.
    const [w] = await waitForPoolAtRest(t, 2, old, 'app');
    from = t.events!().length;
    await t.injectFault!(w!, workerFaultSpec.parse({ kind: 'crash' }));
    await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid, 'WorkerCrashed', 15_000, from);
    await waitForPoolAtRest(t, 2, [w!.pid], 'app');
  }, 90_000);

  it('reaches the admin API over the bind-mounted socket (direct path); a fault lands near its `at`', async () => {
    // A local engine: the run records the direct path, and the config w3 got puts its socket in the mounted folder.
    expect(t.runtimeDetails).toMatchObject({ adminAccess: 'socket' });
    expect(t.runtimeDetails?.['adminAccessReason']).toBeUndefined();
    const config = JSON.parse(fs.readFileSync(path.join(ctx.runDir, 'w3.json'), 'utf8')) as {
      admin: { socket: string };
    };
    expect(config.admin.socket).toBe(`${W3_CONTAINER_ADMIN_DIR}/admin.sock`);
    // No socket in the run folder (it is zipped and reported): the mounted folder is a temp one, saying whose it is.
    expect(fs.readdirSync(ctx.runDir).filter((f) => f.endsWith('.sock'))).toEqual([]);
    expect(socketFoldersOf(ctx.runId)).toHaveLength(1);
    await waitForPoolAtRest(t, 2, [], 'app');
    const from = t.events!().length;
    const at = 500;
    const started = Date.now();
    let landedMs = 0;
    // The crash is awaited before the schedule stops: stop() heals what its steps injected, and a heal that reaches
    // the worker before its crash timer has run cancels the crash (seen: FaultInjected, then FaultHealed, no crash).
    let crashedPid = 0;
    await withSchedule(t, [{ at: `${at}ms`, action: 'fault', fault: { kind: 'crash' } }], async () => {
      const injected = await waitForEvent(t, (e) => e.type === 'FaultInjected', 'FaultInjected', 30_000, from);
      landedMs = Date.now() - started;
      crashedPid = injected.pid!;
      await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === crashedPid, 'WorkerCrashed', 30_000, from);
    });
    console.log(`fault at ${at} ms: FaultInjected seen after ${landedMs} ms (direct admin socket)`);
    // Generous for a loaded machine; over exec two admin calls alone took 0.7-2 s under a scenario's load.
    expect(landedMs).toBeLessThan(at + 3000);
    await waitForPoolAtRest(t, 2, [crashedPid], 'app');
  }, 60_000);

  it('signals a worker by its in-container PID; refuses PIDs it did not report', async () => {
    const [w] = await waitForPoolAtRest(t, 2, [], 'app');
    const from = t.events!().length;
    await t.signal!(w!.pid, 'SIGKILL');
    const crashed = await waitForEvent(
      t,
      (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid,
      'WorkerCrashed',
      15_000,
      from,
    );
    expect(crashed.type === 'WorkerCrashed' && crashed.signal).toBe('SIGKILL');
    const refused = await t.signal!(424_242, 'SIGKILL').catch((e: unknown) => e);
    expect(isTargetError(refused, 'LAB_ERR_TARGET_CONTROL')).toBe(true);
    await waitForPoolAtRest(t, 2, [w!.pid], 'app');
  }, 60_000);

  it('container-pause freezes the whole target; the heal (unpause) runs at its time and again at stop', async () => {
    // Long enough that the frozen request below is checked well before the timed heal, even when `docker pause`
    // itself is slow on a loaded machine: the request starts only once the step reported the pause performed.
    const marks = await withSchedule(t, [{ at: 0, action: 'container-pause', duration: 4000 }], async (seen) => {
      await waitForMark(seen, 'fault-step', 15_000);
      await expect(get(t.endpoint.url + '/', 800)).rejects.toThrow(/timeout/);
      expect(seen.map((m) => m.name)).not.toContain('fault-healed'); // the timeout was the pause, not a late answer
      await waitForMark(seen, 'fault-healed', 15_000);
    });
    expect(marks).toEqual(pauseMarks);
    expect((await get(t.endpoint.url + '/')).status).toBe(200);
    // A pause longer than the run is healed by the schedule's stop().
    const long = await withSchedule(t, [{ at: 0, action: 'container-pause', duration: 600_000 }], (seen) =>
      waitForMark(seen, 'fault-step', 15_000),
    );
    expect(long).toEqual(pauseMarks);
    expect((await get(t.endpoint.url + '/')).status).toBe(200);
  }, 60_000);

  it('container-restart brings w3 back on the same address', async () => {
    const from = t.events!().length;
    const url = t.endpoint.url;
    const marks = await withSchedule(t, [{ at: 0, action: 'container-restart' }], (seen) =>
      waitForMark(seen, 'fault-healed', 60_000),
    );
    expect(marks.map((m) => m.name)).toEqual(['fault-plan', 'fault-injected', 'fault-healed', 'fault-step']);
    expect(marks[2]).toMatchObject({ fault: 'container-restart' });
    expect(marks[3]).toMatchObject({ step: 0, action: 'container-restart', status: 'performed' });
    await waitForEvent(t, (e) => e.type === 'HostStarted', 'HostStarted after the restart', 15_000, from);
    await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a worker after the restart', 30_000, from);
    expect(t.endpoint.url).toBe(url);
    expect((await get(url + '/')).status).toBe(200);
  }, 90_000);

  it('stop() removes the container; kill() afterwards is harmless', async () => {
    await t.stop();
    await t.kill();
    expect(containersOf(ctx.runId)).toBe('');
    expect(socketFoldersOf(ctx.runId)).toEqual([]);
  }, 60_000);
});

describeWithDocker('node-cluster target in a container', () => {
  let ctx: TargetContext;
  let t: StartedTarget;

  beforeAll(async () => {
    ctx = containerContext({ workers: 2 });
    t = await createNodeClusterTarget().setup(ctx);
  }, 300_000);

  afterAll(async () => {
    await t?.kill();
    removeRunDir(ctx);
  }, 60_000);

  it('serves through its workers; control lists them, a signal by container PID re-forks one', async () => {
    const workers = await waitForPoolAtRest(t, 2);
    const r = await get(t.endpoint.url + '/');
    expect(r.status).toBe(200);
    expect(workers.map((w) => w.pid)).toContain(Number(r.headers['x-worker-pid']));
    const from = t.events!().length;
    await t.signal!(workers[0]!.pid, 'SIGKILL');
    await waitForEvent(
      t,
      (e) => e.type === 'WorkerCrashed' && e.pid === workers[0]!.pid,
      'WorkerCrashed',
      15_000,
      from,
    );
    await waitForPoolAtRest(t, 2, [workers[0]!.pid]);
  }, 60_000);

  it('reaches the control endpoint on the bind-mounted socket; a crash fault lands near its `at`', async () => {
    // A local engine: the run records the direct path, with the same keys as w3's admin API.
    expect(t.runtimeDetails).toMatchObject({ runtime: 'container', adminAccess: 'socket' });
    expect(t.runtimeDetails?.['adminAccessReason']).toBeUndefined();
    expect(fs.readdirSync(ctx.runDir).filter((f) => f.endsWith('.sock'))).toEqual([]);
    // Its temp folder says whose it is, for `w3lab clean`.
    const [folder] = socketFoldersOf(ctx.runId);
    expect(readOwnerRecord(folder!)).toEqual({
      token: ownerToken(),
      runId: ctx.runId,
      runDir: path.resolve(ctx.runDir),
    });
    await waitForPoolAtRest(t, 2);
    const from = t.events!().length;
    const at = 500;
    const started = Date.now();
    let landedMs = 0;
    // The crash is awaited before the schedule stops: stop() heals what its steps injected, and a heal that reaches
    // the worker before its crash timer has run cancels the crash (seen: FaultInjected, then FaultHealed, no crash).
    let crashedPid = 0;
    await withSchedule(t, [{ at: `${at}ms`, action: 'fault', fault: { kind: 'crash' } }], async () => {
      const injected = await waitForEvent(t, (e) => e.type === 'FaultInjected', 'FaultInjected', 30_000, from);
      landedMs = Date.now() - started;
      crashedPid = injected.pid!;
      await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === crashedPid, 'WorkerCrashed', 30_000, from);
    });
    console.log(`fault at ${at} ms: FaultInjected seen after ${landedMs} ms (direct control socket)`);
    // Generous for a loaded machine; over exec the worker list and the injection alone took 0.7-2.6 s under load.
    expect(landedMs).toBeLessThan(at + 3000);
    await waitForPoolAtRest(t, 2, [crashedPid]);
  }, 60_000);

  it('container-kill with SIGTERM stops the cluster gracefully; stop() then removes the container', async () => {
    const from = t.events!().length;
    await t.containerKill!('SIGTERM');
    await waitForEvent(t, (e) => e.type === 'HostStopping', 'HostStopping', 15_000, from);
    await t.stop();
    expect(containersOf(ctx.runId)).toBe('');
    // The control socket's temp folder went with it.
    expect(socketFoldersOf(ctx.runId)).toEqual([]);
  }, 60_000);
});

/**
 * What the schedule records for one container-pause step, in order: the plan (one firing of step 0), the pause,
 * the step's outcome (performed, no worker: it hits the whole container), the unpause.
 */
const pauseMarks = [
  { name: 'fault-plan', steps: [{ step: 0, action: 'container-pause', firings: 1, optional: false }] },
  { name: 'fault-injected', fault: 'container-pause' },
  expect.objectContaining({
    name: 'fault-step',
    step: 0,
    firing: 1,
    action: 'container-pause',
    status: 'performed',
    workers: [],
  }),
  { name: 'fault-healed', fault: 'container-pause' },
];

async function waitForMark(marks: Array<Record<string, unknown>>, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!marks.some((m) => m.name === name)) {
    if (Date.now() > deadline) throw new Error(`no ${name} mark within ${timeoutMs} ms: ${JSON.stringify(marks)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

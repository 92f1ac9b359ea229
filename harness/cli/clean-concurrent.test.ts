// `w3lab clean` on a shared machine, for real: while a healthy run writes into a results folder, a leftover of a
// crashed run in the same folder (a marked process whose harness is gone, with an unmarked child) is killed —
// and nothing else: the healthy run goes on and passes, a process that only has W3LAB_RUN_ID in its environment
// survives, and another job's leftover in another results folder survives. --dry-run first kills nothing. The same
// for the temp socket folders of container runs (made by the real maker, in a temp folder of this test's own that
// the clean is pointed at with TMPDIR): the crashed run's goes; a live harness's folder in the same results folder
// (this test process's own) and another job's stay.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { makeSocketFolder } from '../runtimes/socket-folder';
import { ownershipRecord } from '../targets/ownership';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-real-'));
const OUT = path.join(dir, 'w3lab-results');
const OTHER = path.join(dir, 'other-job', 'w3lab-results');
const TMP = path.join(dir, 'tmp');
/** A harness that no longer runs (no process has pid 2^31-2). */
const DEAD_OWNER = `${os.hostname()}:2147483646:1`;
const started: ChildProcess[] = [];
const grandchildren: number[] = [];

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // The leftovers' children outlive their parents by design; the ones clean spared are ended here.
  for (const pid of grandchildren.filter(alive)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A marked process whose harness is gone (no process has pid 2^31-2), with a child that carries no marks. */
function leftover(runDir: string, runId: string): { parent: ChildProcess; childPid: () => number | null } {
  const script =
    "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], " +
    "{ env: {}, stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);";
  const env = {
    ...process.env,
    W3LAB_RUN_ID: runId,
    W3LAB_RUN_DIR: runDir,
    W3LAB_OWNER: DEAD_OWNER,
  };
  const parent = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(parent);
  let child: number | null = null;
  parent.stdout.on('data', (b: Buffer) => {
    child = Number(b.toString().trim());
    grandchildren.push(child);
  });
  return { parent, childPid: () => child };
}

async function waitFor(what: string, pred: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("clean kills a crashed run's leftovers, and nothing of a healthy concurrent run or of anyone else", async () => {
  const scenario = path.join(dir, 'steady.yaml');
  fs.writeFileSync(
    scenario,
    [
      'name: steady',
      'config:',
      '  pools: [{ name: app, startMode: AlwaysRunning }]',
      'workload:',
      '  - { name: load, connections: 4, duration: 30s }',
      'expect:',
      '  - check: noFailedRequests',
      '  - check: connectionsSurvive',
      '',
    ].join('\n'),
  );
  const healthy = spawn(process.execPath, [BIN, 'run', scenario, '--out', OUT], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(healthy);
  let healthyOut = '';
  healthy.stdout.on('data', (b: Buffer) => (healthyOut += b.toString()));
  healthy.stderr.on('data', (b: Buffer) => (healthyOut += b.toString()));
  const ours = leftover(path.join(OUT, '2026-01-01T000000Z', 'worker-crash'), 'worker-crash-crashed');
  const theirs = leftover(path.join(OTHER, '2026-01-01T000000Z', 'worker-crash'), 'worker-crash-other-job');
  const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...process.env, W3LAB_RUN_ID: 'not-a-lab-run' },
    stdio: 'ignore',
  });
  started.push(bystander);
  await waitFor("the leftovers' children", () => ours.childPid() !== null && theirs.childPid() !== null, 20_000);
  // The healthy run is under load before clean runs.
  const history = (): string => path.join(OUT, 'latest', 'steady', 'history.jsonl');
  await waitFor(
    'the healthy run to record requests',
    () => fs.existsSync(history()) && fs.statSync(history()).size > 2000,
  );
  const run = JSON.parse(fs.readFileSync(path.join(OUT, 'latest', 'steady', 'run.json'), 'utf8')) as {
    targetPid: number;
  };

  fs.mkdirSync(TMP);
  const crashedRun = path.join(OUT, '2026-01-01T000000Z', 'worker-crash');
  const oursFolder = makeSocketFolder(TMP, { token: DEAD_OWNER, runId: 'worker-crash-crashed', runDir: crashedRun });
  const liveFolder = makeSocketFolder(TMP, ownershipRecord('live-run', path.join(OUT, '2026-01-01T000001Z', 'x')));
  const theirFolder = makeSocketFolder(TMP, {
    token: DEAD_OWNER,
    runId: 'worker-crash-other-job',
    runDir: path.join(OTHER, '2026-01-01T000000Z', 'worker-crash'),
  });
  const cleanEnv = { ...process.env, TMPDIR: TMP };
  const dry = spawnSync(process.execPath, [BIN, 'clean', '--out', OUT, '--dry-run'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: cleanEnv,
  });
  expect(dry.status).toBe(0);
  expect(dry.stdout).toContain(`would kill process ${ours.parent.pid} of run worker-crash-crashed`);
  expect(dry.stdout).toContain(
    `would kill process ${ours.childPid()} of run worker-crash-crashed (child of ${ours.parent.pid})`,
  );
  expect(dry.stdout).toMatch(/left alone: \d+ process\(es\) of run steady-.* \(its run is still going\)/);
  expect(dry.stdout).toContain(`would remove socket folder ${oursFolder.root} of run worker-crash-crashed`);
  expect(dry.stdout).toContain(`left alone: socket folder ${liveFolder.root} of run live-run: its run is still going`);
  expect(alive(ours.parent.pid!)).toBe(true);
  expect(fs.existsSync(oursFolder.root)).toBe(true);

  const real = spawnSync(process.execPath, [BIN, 'clean', '--out', OUT], {
    encoding: 'utf8',
    timeout: 60_000,
    env: cleanEnv,
  });
  expect({ status: real.status, out: real.stdout }).toMatchObject({ status: 0 });
  await waitFor(
    'the leftover and its child to die',
    () => !alive(ours.parent.pid!) && !alive(ours.childPid()!),
    10_000,
  );
  // The healthy run was live when clean swept (it says so) and was spared; it passing below proves nothing of it died.
  expect(real.stdout).toMatch(/left alone: \d+ process\(es\) of run steady-.* \(its run is still going\)/);
  expect(real.stdout).not.toContain(`process ${run.targetPid} `);
  expect([alive(theirs.parent.pid!), alive(theirs.childPid()!), alive(bystander.pid!)]).toEqual([true, true, true]);
  expect(real.stdout).toContain(`removed socket folder ${oursFolder.root} of run worker-crash-crashed`);
  expect([oursFolder, liveFolder, theirFolder].map((f) => fs.existsSync(f.root))).toEqual([false, true, true]);

  const code = await new Promise<number | null>((r) =>
    healthy.exitCode !== null ? r(healthy.exitCode) : healthy.once('exit', r),
  );
  expect({ code, out: healthyOut.slice(-2000) }).toMatchObject({ code: 0 });
  const results = JSON.parse(fs.readFileSync(path.join(OUT, 'latest', 'steady', 'results.json'), 'utf8')) as {
    valid: unknown;
    stats: { fail: number };
  };
  expect([results.valid, results.stats.fail]).toEqual([true, 0]);
}, 120_000);

// `--runtime container` end to end, through the real CLI: the whole core suite passes with w3 in containers and leaves
// no container behind; Ctrl-C keeps the evidence and removes the run's container and its temp socket folder; a
// harness killed outright leaves both, and `w3lab clean` of its results folder removes them and reports it (the runs
// and the clean get a temp folder of this test's own through TMPDIR, so the machine's is never swept).
// scripts/ensure-docker.sh runs first (while Jest collects this file); where no Docker engine can be started a test
// fails with the reason (docker-tests.ts). Runs in the second Jest pass (jest.suite.config.js), alone, so the
// scenarios' timings are not squeezed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWithDocker } from '../runtimes/test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { CORE_SCENARIOS } from '../scenarios/test-support/core-scenarios';
import { explainFailedSuite } from '../scenarios/test-support/failed-suite';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');

function run(args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, ...(env ? { env } : {}) });
}

/** A private temp folder for a run and its clean (TMPDIR), and the socket folders in it. */
function privateTmp(dir: string): { env: NodeJS.ProcessEnv; folders: () => string[] } {
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  return {
    env: { ...process.env, TMPDIR: tmp },
    folders: () => fs.readdirSync(tmp).filter((n) => n.startsWith('w3lab-admin-')),
  };
}

/** Lab containers of one run, or of every run whose folder is inside `folder` (other jobs' are not ours), any state. */
function labContainers(run: { runId?: string; folder?: string }): string {
  const label = run.runId === undefined ? 'label=w3lab=1' : `label=w3lab.run=${run.runId}`;
  const r = spawnSync(
    'docker',
    ['ps', '-a', '--filter', label, '--format', '{{.Names}} {{.Status}} {{.Label "w3lab.dir"}}'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  return lines
    .filter(
      (l) =>
        run.folder === undefined ||
        l
          .split(' ')
          .pop()!
          .startsWith(run.folder + path.sep),
    )
    .join('\n');
}

/** Starts `w3lab run steady-state --runtime container` and resolves once the target's container serves requests. */
async function startRunUntilLoaded(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ReturnType<typeof spawn>; runDir: string; runId: string }> {
  const child = spawn(process.execPath, [BIN, 'run', 'steady-state', '--runtime', 'container', '--out', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const runDir = path.join(dir, 'latest', 'steady-state');
  const history = path.join(runDir, 'history.jsonl');
  const deadline = Date.now() + 120_000;
  while (!(fs.existsSync(history) && fs.statSync(history).size > 10_000)) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the container run never started recording');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
    runId: string;
    targetRuntime?: { runtime?: string };
  };
  expect(info.targetRuntime?.runtime).toBe('container');
  return { child, runDir, runId: info.runId };
}

const exitOf = (child: ReturnType<typeof spawn>): Promise<number | null> =>
  new Promise((r) => child.once('exit', (code) => r(code)));

describeWithDocker('the core suite with --runtime container', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-container-suite-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('`w3lab run --runtime container` passes every core scenario and leaves no container behind', () => {
    const dir = path.join(out, 'suite');
    const r = run(['run', '--runtime', 'container', '--out', dir], 900_000);
    if (r.status !== 0) throw new Error(explainFailedSuite('w3lab run --runtime container', dir, r));
    const scenarios = fs
      .readdirSync(path.join(dir, 'latest'))
      .filter((d) => fs.existsSync(path.join(dir, 'latest', d, 'run.json')));
    expect(scenarios.sort()).toEqual(CORE_SCENARIOS);
    for (const s of scenarios) {
      const latest = path.join(dir, 'latest', s);
      const results = JSON.parse(fs.readFileSync(path.join(latest, 'results.json'), 'utf8')) as {
        valid: unknown;
        faultErrors: string[];
      };
      const info = JSON.parse(fs.readFileSync(path.join(latest, 'run.json'), 'utf8')) as {
        runtime: string;
        targetRuntime?: { runtime?: string };
      };
      expect([s, results.valid, results.faultErrors, info.runtime, info.targetRuntime?.runtime]).toEqual([
        s,
        true,
        [],
        'container',
        'container',
      ]);
      expect(fs.readFileSync(path.join(latest, 'w3.log'), 'utf8')).toContain('"HostStarted"');
    }
    expect(r.stdout).toMatch(/scenario\s+target\s+verdict/);
    expect(labContainers({ folder: dir })).toBe('');
  }, 900_000);

  test('Ctrl-C keeps run.json and the partial history, answers unknown (exit 2), removes the container', async () => {
    const tmp = privateTmp(path.join(out, 'interrupted-tmp'));
    const { child, runDir, runId } = await startRunUntilLoaded(path.join(out, 'interrupted'), tmp.env);
    expect(labContainers({ runId })).not.toBe('');
    expect(tmp.folders()).toHaveLength(1);
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(2);
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string };
    expect(info.status).toBe('interrupted');
    expect(fs.readFileSync(path.join(runDir, 'history.jsonl'), 'utf8').split('\n').length).toBeGreaterThan(10);
    expect(labContainers({ runId })).toBe('');
    expect(tmp.folders()).toEqual([]);
  }, 180_000);

  test('a killed harness leaves its container and socket folder; `w3lab clean` removes both, says so', async () => {
    const killed = path.join(out, 'killed');
    const tmp = privateTmp(path.join(out, 'killed-tmp'));
    const { child, runId } = await startRunUntilLoaded(killed, tmp.env);
    child.kill('SIGKILL');
    await exitOf(child);
    expect(labContainers({ runId })).not.toBe('');
    expect(tmp.folders()).toHaveLength(1);
    const dry = run(['clean', '--out', killed, '--dry-run'], 120_000, tmp.env);
    expect(dry.stdout).toMatch(new RegExp(`would remove container w3lab-w3-\\S+ .* of run ${runId}`));
    expect(dry.stdout).toMatch(new RegExp(`would remove socket folder \\S+/w3lab-admin-\\S+ of run ${runId}`));
    expect(labContainers({ runId })).not.toBe('');
    expect(tmp.folders()).toHaveLength(1);
    const r = run(['clean', '--out', killed], 120_000, tmp.env);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(new RegExp(`removed container w3lab-w3-\\S+ .* of run ${runId}`));
    expect(r.stdout).toMatch(new RegExp(`removed socket folder \\S+/w3lab-admin-\\S+ of run ${runId}`));
    expect(labContainers({ runId })).toBe('');
    expect(tmp.folders()).toEqual([]);
  }, 180_000);
});

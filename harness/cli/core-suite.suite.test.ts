// The lab end to end, through the real CLI: the core suite passes against w3; the connection checks fail
// against node-cluster (proof that they can); bad input exits 254; Ctrl-C keeps the evidence and leaves no process.
// Runs in its own Jest pass (jest.suite.config.js) after the other tests, so its timings are not squeezed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { CORE_SCENARIOS } from '../scenarios/test-support/core-scenarios';
import { explainFailedSuite } from '../scenarios/test-support/failed-suite';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-suite-'));

function run(args: string[], timeoutMs = 400_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

function results(
  scenario: string,
  dir = out,
): { valid: unknown; checks: { name: string; verdict: { valid: unknown } }[] } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'latest', scenario, 'results.json'), 'utf8'));
}

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

test('`w3lab run` with no argument runs the core suite against w3 and every scenario passes', () => {
  const r = run(['run', '--out', out]);
  if (r.status !== 0) throw new Error(explainFailedSuite('w3lab run', out, r));
  const scenarios = fs
    .readdirSync(path.join(out, 'latest'))
    .filter((d) => fs.existsSync(path.join(out, 'latest', d, 'run.json')));
  expect(scenarios.sort()).toEqual(CORE_SCENARIOS);
  for (const s of scenarios) {
    expect([s, results(s).valid]).toEqual([s, true]);
    // Every fault step was carried out and shown by w3 (no PASS of a crash scenario without its crash).
    const faults = results(s).checks.find((c) => c.name === 'faultsTookEffect');
    expect([s, faults?.verdict.valid ?? 'no fault steps']).toEqual([s, faults ? true : 'no fault steps']);
    for (const f of ['run.json', 'history.jsonl', 'events.jsonl', 'results.json', 'summary.md'])
      expect(fs.existsSync(path.join(out, 'latest', s, f))).toBe(true);
  }
  expect(r.stdout).toMatch(/scenario\s+target\s+verdict/);
  // The recycles the lab asked for are "admin" in the report, not w3's own word OnDemand (a startMode, to a reader).
  const recycleReport = fs.readFileSync(path.join(out, 'latest', 'overlapped-recycle', 'report.html'), 'utf8');
  expect(recycleReport).not.toContain('OnDemand');
  expect(recycleReport).toMatch(/<td>admin<\/td>/);
  // One suite folder: its index links every run's report, one junit.xml holds every scenario, the footer names both.
  const suite = fs.realpathSync(path.join(out, 'latest'));
  const index = fs.readFileSync(path.join(suite, 'index.html'), 'utf8');
  for (const s of scenarios) expect(index).toContain(`href="${s}/report.html"`);
  expect(fs.readFileSync(path.join(suite, 'junit.xml'), 'utf8').match(/<testsuite /g)).toHaveLength(scenarios.length);
  expect(fs.readFileSync(path.join(suite, 'summary.md'), 'utf8')).toContain('12 passed, 0 failed');
  expect(r.stdout).toContain(path.join(suite, 'index.html'));
  expect(r.stdout).toContain(path.join(suite, 'junit.xml'));
}, 600_000);

test('against node-cluster, worker-crash and overlapped-recycle fail their connection checks (exit 1)', () => {
  const dir = path.join(out, 'cluster');
  const r = run(['run', 'worker-crash', 'overlapped-recycle', '--target', 'node-cluster', '--out', dir]);
  expect(r.status).toBe(1);
  for (const s of ['worker-crash', 'overlapped-recycle']) {
    const res = results(s, dir);
    expect(res.valid).toBe(false);
    expect(res.checks.find((c) => c.name === 'connectionsSurvive')!.verdict.valid).toBe(false);
    // Not a terminal: each step and each verdict is a line on stderr (a CI log shows where a long run is).
    expect(r.stderr).toMatch(new RegExp(`^w3lab \\d\\d:\\d\\d:\\d\\d ${s}: starting node-cluster$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^w3lab \\d\\d:\\d\\d:\\d\\d ${s}: FAIL \\(\\d+\\.\\d s\\)$`, 'm'));
  }
  expect(r.stdout).not.toContain(': starting ');
}, 300_000);

test('a bad scenario file exits 254 naming the path, before anything starts', () => {
  const f = path.join(out, 'bad.yaml');
  fs.writeFileSync(
    f,
    'name: bad\nworkload:\n  - name: l\n    duration: forever\nexpect:\n  - check: noFailedRequests\n',
  );
  const r = run(['run', f, '--out', path.join(out, 'bad')], 30_000);
  expect(r.status).toBe(254);
  expect(r.stderr).toMatch(/workload\.0\.duration/);
  expect(fs.existsSync(path.join(out, 'bad'))).toBe(false);
});

test('Ctrl-C keeps run.json and the partial history, answers unknown (exit 2), leaves no process behind', async () => {
  const dir = path.join(out, 'interrupted');
  const child = spawn(process.execPath, [BIN, 'run', 'overlapped-recycle', '--out', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const runDir = path.join(dir, 'latest', 'overlapped-recycle');
  const deadline = Date.now() + 30_000;
  // Wait until requests are being recorded, then interrupt.
  while (!(
    fs.existsSync(path.join(runDir, 'history.jsonl')) && fs.statSync(path.join(runDir, 'history.jsonl')).size > 10_000
  )) {
    if (Date.now() > deadline) throw new Error('the run never started recording');
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { targetPid?: number };
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code).toBe(2);
  const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
    status: string;
    targetPid: number;
  };
  expect(run.status).toBe('interrupted');
  expect(fs.readFileSync(path.join(runDir, 'history.jsonl'), 'utf8').split('\n').length).toBeGreaterThan(10);
  const pids = new Set<number>([info.targetPid ?? run.targetPid]);
  for (const line of fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n')) {
    if (line.includes('"WorkerStarting"')) pids.add((JSON.parse(line) as { pid: number }).pid);
  }
  const alive = async (pid: number): Promise<boolean> => {
    // A killed child may linger as a zombie until it is reaped; /proc/PID/stat says Z then.
    for (let i = 0; i < 80; i++) {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return false;
      }
      if (/\) Z /.test(stat)) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  };
  for (const pid of pids) expect([pid, await alive(pid)]).toEqual([pid, false]);
}, 120_000);

test('compare: a run with disallowOverlappingRotation is a regression against a normal run (exit 1)', () => {
  const normal = path.join(out, 'latest', 'overlapped-recycle');
  const dir = path.join(out, 'degraded');
  const degraded = run([
    'run',
    path.join(repoRoot(), 'harness', 'scenarios', 'examples', 'overlapped-recycle-no-overlap.yaml'),
    '--out',
    dir,
  ]);
  expect(degraded.status === 0 || degraded.status === 1).toBe(true);
  const runDir = path.join(dir, 'latest', 'overlapped-recycle-no-overlap');
  for (const f of ['report.html', 'junit.xml']) expect(fs.existsSync(path.join(runDir, f))).toBe(true);
  const same = run(['compare', normal, normal, '--out', path.join(out, 'cmp-same')], 60_000);
  expect({ status: same.status, out: same.stdout.slice(-1500) }).toMatchObject({ status: 0 });
  const cmp = run(['compare', normal, runDir, '--out', path.join(out, 'cmp')], 60_000);
  expect({ status: cmp.status, out: cmp.stdout.slice(-3000) }).toMatchObject({ status: 1 });
  expect(fs.existsSync(path.join(out, 'cmp', 'compare.md'))).toBe(true);
  expect(fs.existsSync(path.join(out, 'cmp', 'compare.json'))).toBe(true);
}, 120_000);

// The consumer's path, outside this repository: `npm pack` w3lab, install the tarball into a copy of
// examples/jest-consumer in a temporary folder and run its Jest tests there (one must pass, one must fail and is
// asserted to). Also checked on the installed package: only the public entry points resolve (w3lab, w3lab/jest,
// w3lab/w3, with types), the optional packages are not installed and not needed, results land in the consumer's
// folder, and `npx w3lab serve` stops with its worker when the npx process gets SIGTERM.
// Runs in the second Jest pass (jest.suite.config.js). Needs the npm registry (or npm's cache) for Jest itself.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';

const ROOT = repoRoot();
const EXAMPLE = path.join(ROOT, 'examples', 'jest-consumer');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-consumer-'));
const consumer = path.join(work, 'consumer');
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  // The consumer path's cost, for the log (not asserted: speed goals belong in benchmarks).
  process.stdout.write(`packed-consumer timings (ms): ${JSON.stringify(timings)}\n`);
});

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  if (r.error) throw r.error;
  return r;
}

const ok = (r: SpawnSyncReturns<string>): string => {
  expect({ status: r.status, stderr: r.stderr.slice(-3000), stdout: r.stdout.slice(-3000) }).toMatchObject({
    status: 0,
  });
  return r.stdout;
};

let tarball = '';
const timings: Record<string, number> = {};
const timed = <T>(name: string, fn: () => T): T => {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
};

beforeAll(() => {
  // dist/ is built by `npm test` (and by `npm run build`) before this pass; pack what is there.
  const out = timed('pack', () =>
    ok(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)),
  );
  tarball = path.join(work, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  fs.cpSync(EXAMPLE, consumer, {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|w3lab-results)([\\/]|$)/.test(path.relative(EXAMPLE, src)),
  });
  const pkg = JSON.parse(fs.readFileSync(path.join(consumer, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  pkg.devDependencies['w3lab'] = `file:${tarball}`;
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(pkg, null, 2));
  timed('install', () => ok(sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], consumer)));
}, 400_000);

test('the tarball holds what the package needs at run time and nothing of the sources or tests', () => {
  const list = ok(sh('tar', ['-tzf', tarball], work))
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  for (const f of [
    'bin/w3lab.js',
    'dist/harness/index.js',
    'dist/harness/index.d.ts',
    'dist/harness/jest/index.d.ts',
    'dist/targets/w3/index.d.ts',
    'targets/apps/lab-app.js',
    'harness/scenarios/worker-crash.yaml',
    'docs/results.md',
  ]) {
    expect([f, list.includes(f)]).toEqual([f, true]);
  }
  expect(list.filter((f) => /\.test\.(ts|js)$|\.ts$(?<!\.d\.ts)|test-support|\.map$/.test(f))).toEqual([]);
});

test('from the consumer folder: public entry points resolve, private paths do not, optional packages absent', () => {
  const script = [
    "const lab = require('w3lab'); const j = require('w3lab/jest'); const w3 = require('w3lab/w3');",
    'const out = { lab: typeof lab.runScenario, session: typeof lab.startTarget,',
    '  checkers: lab.checkerNames.length, targets: lab.targetNames(),',
    '  jest: typeof j.useTarget, matcher: typeof j.toPassChecks, w3: typeof w3.W3Host };',
    "try { require('w3lab/dist/harness/runner/run-scenario'); out.privatePath = 'resolved'; }",
    'catch (e) { out.privatePath = e.code; }',
    "for (const p of ['testcontainers', 'autocannon']) {",
    "  try { require.resolve(p); out[p] = 'installed'; } catch { out[p] = 'absent'; }",
    '}',
    'console.log(JSON.stringify(out));',
  ].join('\n');
  const out = JSON.parse(ok(sh(process.execPath, ['-e', script], consumer))) as Record<string, unknown>;
  expect(out).toMatchObject({
    lab: 'function',
    session: 'function',
    jest: 'function',
    matcher: 'function',
    w3: 'function',
    privatePath: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    testcontainers: 'absent',
    autocannon: 'absent',
  });
  expect(out['targets']).toEqual(expect.arrayContaining(['w3', 'node-cluster']));
  // A feature that needs an optional package says which and how to add it, before anything starts.
  const container = sh(
    process.execPath,
    [path.join(consumer, 'node_modules', 'w3lab', 'bin', 'w3lab.js'), 'run', 'steady-state', '--runtime', 'container'],
    consumer,
    60_000,
  );
  expect({ status: container.status, stderr: container.stderr.trim() }).toEqual({
    status: 254,
    stderr:
      'w3lab: --runtime container needs the "testcontainers" package, which is not installed: ' +
      'npm install --save-dev testcontainers@^11.14.0',
  });
  // So does a `client: autocannon` phase: refused before the target starts (it ran, undecided, exit 2), no folder.
  const scenario = path.join(consumer, 'ac.yaml');
  fs.writeFileSync(
    scenario,
    'name: ac\nworkload: [{ name: load, client: autocannon, duration: 1s }]\nexpect: [{ check: noFailedRequests }]\n',
  );
  const bin = path.join(consumer, 'node_modules', 'w3lab', 'bin', 'w3lab.js');
  const ac = sh(process.execPath, [bin, 'run', scenario, '--out', 'ac-results'], consumer, 60_000);
  expect({ status: ac.status, stderr: ac.stderr.trim() }).toEqual({
    status: 254,
    stderr:
      `w3lab: ${scenario}: workload.0.client autocannon needs the "autocannon" package, which is not installed: ` +
      'npm install --save-dev autocannon@^8.0.0',
  });
  expect(fs.existsSync(path.join(consumer, 'ac-results'))).toBe(false);
});

test('the declaration files type-check a TypeScript consumer', () => {
  fs.writeFileSync(
    path.join(consumer, 'typed.ts'),
    [
      "import { runScenario, startTarget, type ScenarioInput, type ScenarioResult } from 'w3lab';",
      "import { useTarget, toPassChecks } from 'w3lab/jest';",
      "import { W3Host, loadConfig } from 'w3lab/w3';",
      'const s: ScenarioInput = {',
      "  name: 'x', workload: [{ name: 'load', duration: '1s' }], expect: [{ check: 'noFailedRequests' }],",
      '};',
      'const r: Promise<ScenarioResult> = runScenario(s, { out: "/tmp/x" });',
      'export { r, startTarget, useTarget, toPassChecks, W3Host, loadConfig };',
      '',
    ].join('\n'),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  ok(
    sh(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        // No --skipLibCheck: w3lab's own .d.ts files are checked too, as a strict consumer's tsc does. They must not
        // import an optional package that is not installed here (autocannon's types leaked through drive()).
        '--types',
        'node',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        'typed.ts',
      ],
      consumer,
      120_000,
    ),
  );
}, 150_000);

test("the example's Jest tests pass in the consumer folder (one passing, one sabotaged and asserted to fail)", () => {
  const r = timed('jest', () =>
    sh(
      process.execPath,
      [
        path.join(consumer, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--runInBand',
        '--json',
        '--outputFile',
        'jest.json',
      ],
      consumer,
      400_000,
    ),
  );
  const report = JSON.parse(fs.readFileSync(path.join(consumer, 'jest.json'), 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTests: number;
    testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
  };
  // A failing consumer test shows its own message here (the first lines of each), not only the counts.
  const failures = report.testResults
    .flatMap((f) => f.assertionResults)
    .filter((a) => a.status !== 'passed')
    .map((a) => `${a.fullName}: ${a.failureMessages.join('\n').split('\n').slice(0, 12).join('\n')}`);
  expect({
    report: { passed: report.numPassedTests, failed: report.numFailedTests, total: report.numTotalTests },
    failures,
    status: r.status,
    stderr: r.stderr.slice(-4000),
  }).toMatchObject({
    report: { passed: 2, failed: 0, total: 2 },
    failures: [],
    status: 0,
  });
  // Results went to the consumer's folder: one suite per test file, each with its index.
  const results = path.join(consumer, 'w3lab-results');
  const suites = fs
    .readdirSync(results)
    .filter((d) => d !== 'latest' && fs.existsSync(path.join(results, d, 'suite.json')));
  expect(suites.map((s) => s.replace(/^.*Z-/, '')).sort()).toEqual(['sabotaged', 'worker-crash']);
  for (const s of suites) expect(fs.existsSync(path.join(results, s, 'index.html'))).toBe(true);
  expect(fs.existsSync(path.join(consumer, 'node_modules', 'w3lab', 'w3lab-results'))).toBe(false);
}, 450_000);

function gone(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('`npx w3lab serve` in the consumer folder stops, with its worker, when npx gets SIGTERM', async () => {
  const config = {
    listen: { port: 0 },
    admin: { socket: path.join(consumer, 'w3-admin.sock') },
    pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
    applications: [{ path: '/', pool: 'app', module: './app.js' }],
  };
  fs.writeFileSync(path.join(consumer, 'w3.json'), JSON.stringify(config));
  const npx = spawn('npx', ['--no-install', 'w3lab', 'serve', '--config', 'w3.json'], {
    cwd: consumer,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npx.stdout.on('data', (c: Buffer) => (out += c.toString()));
  npx.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const pids: number[] = [];
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('"WorkerReady"')) {
      if (Date.now() > deadline || npx.exitCode !== null) throw new Error(`w3 did not start:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    pids.push(
      Number(/"pid":(\d+),"name":"w3"/.exec(out)![1]),
      Number(/"type":"WorkerReady".*?"pid":(\d+)/.exec(out)![1]),
    );
    npx.kill('SIGTERM');
    const until = Date.now() + 20_000;
    while (!pids.every(gone)) {
      if (Date.now() > until)
        throw new Error(`still running after SIGTERM to npx: ${pids.filter((p) => !gone(p)).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const pid of pids.filter((p) => !gone(p))) process.kill(pid, 'SIGKILL');
    if (npx.exitCode === null) npx.kill('SIGKILL');
  }
}, 120_000);

// Sharding end to end, through the real CLI: four small scenarios (two pass, one fails, one cannot decide) run once
// unsharded and once as two shards merged back; every scenario gets the same verdict both ways, each shard ran a
// different half, and the merged suite's junit.xml counts the same tests, failures and errors as the unsharded one.
// Runs in the second Jest pass (jest.suite.config.js).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { readSuite } from './suite-folder';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-shard-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const LOAD = [
  'config:',
  '  pools: [{ name: app, startMode: AlwaysRunning }]',
  'workload:',
  '  - { name: load, connections: 2, duration: 2s }',
  'settle: 100ms',
];
const SCENARIOS: Record<string, string[]> = {
  'pass-a': [...LOAD, 'expect:', '  - check: noFailedRequests'],
  'pass-b': [...LOAD, 'expect:', '  - check: connectionsSurvive'],
  // Every request after the first 200 ms gets a 500 from inside the worker.
  'fail-c': [
    ...LOAD,
    'faults:',
    '  - { at: 200ms, action: fault, select: all, fault: { kind: error, status: 500 } }',
    'expect:',
    '  - check: noFailedRequests',
  ],
  // No hang is injected, so "was the hang detected" cannot be decided.
  'unknown-d': [...LOAD, 'expect:', '  - check: hangDetectedWithin', '    options: { withinMs: 1000 }'],
};
const files = Object.entries(SCENARIOS).map(([name, lines]) => {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, [`name: ${name}`, ...lines, ''].join('\n'));
  return file;
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, cwd: dir });
}

const verdicts = (suiteDir: string): Record<string, string> =>
  Object.fromEntries(readSuite(suiteDir)!.runs.map((r) => [r.scenario, r.outcome]));

function junitCounts(file: string): string {
  return /<testsuites [^>]*>/.exec(fs.readFileSync(file, 'utf8'))![0];
}

test('two shards merged give the same verdicts and the same JUnit counts as one unsharded run', () => {
  const whole = cli(['run', ...files, '--out', 'whole']);
  expect({ status: whole.status, err: whole.stderr.slice(-1500) }).toMatchObject({ status: 1 });
  const wholeSuite = fs.realpathSync(path.join(dir, 'whole', 'latest'));
  expect(verdicts(wholeSuite)).toEqual({
    'pass-a': 'pass',
    'pass-b': 'pass',
    'fail-c': 'fail',
    'unknown-d': 'unknown',
  });

  const shards = [1, 2].map((i) => cli(['run', ...files, '--shard', `${i}/2`, '--out', `shard-${i}`]));
  const ran = [1, 2].map((i) => Object.keys(verdicts(fs.realpathSync(path.join(dir, `shard-${i}`, 'latest')))));
  expect(ran.map((r) => r.length)).toEqual([2, 2]);
  expect([...ran[0]!, ...ran[1]!].sort()).toEqual(Object.keys(SCENARIOS).sort());
  // Each shard's exit code is its own half's.
  expect(shards.map((s) => s.status).sort()).toEqual(ran.map((r) => (r.includes('fail-c') ? 1 : 2)).sort());

  const merged = cli(['merge', 'shard-1', 'shard-2', '--out', 'merged']);
  expect({ status: merged.status, out: merged.stdout.slice(-1500) }).toMatchObject({ status: whole.status });
  expect(merged.stdout).toContain('merged 2 suite(s) (shards 1/2, 2/2)');
  const mergedSuite = fs.realpathSync(path.join(dir, 'merged', 'latest'));
  expect(verdicts(mergedSuite)).toEqual(verdicts(wholeSuite));
  expect(junitCounts(path.join(mergedSuite, 'junit.xml'))).toBe(junitCounts(path.join(wholeSuite, 'junit.xml')));
  for (const s of Object.keys(SCENARIOS)) expect(fs.existsSync(path.join(mergedSuite, s, 'report.html'))).toBe(true);
}, 600_000);

// Suites without running anything: the shard split (deterministic, complete, balanced), a suite folder's files
// (suite.json, latest, index.html, junit.xml, summary.md) from stored run folders, and `merge` — shards put back
// together, a suite found twice counted once, incomplete or mixed shards refused; a suite with a bad scenario
// refused before its folder exists.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseShard, selectShard } from './shard';
import { SuiteFolder, readSuite, type SuiteRun } from './suite-folder';
import { findSuites, mergeSuites } from './merge';
import { RunFolder } from '../results/store';
import { writeSyntheticRun } from '../report/test-support/synthetic-run';
import { runSuite, type SuiteScenario } from './run-suite';
import { parseScenario } from '../scenarios/load-scenario';
import pino from 'pino';
import * as optionalPackage from '../optional-package';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'suite-test-'));

describe('shards', () => {
  test('parseShard accepts i/n and names what is wrong otherwise', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '-1/2', '1/2/3'])
      expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  test('every item lands in exactly one shard, sizes differ by at most one, whatever the input order', () => {
    const names = Array.from({ length: 11 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const total of [1, 2, 3, 4, 11, 13]) {
      const shards = Array.from({ length: total }, (_, i) => selectShard(names, { index: i + 1, total }, (n) => n));
      expect(shards.flat().sort()).toEqual(names);
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const shuffled = [...names].reverse();
      const again = Array.from({ length: total }, (_, i) => selectShard(shuffled, { index: i + 1, total }, (n) => n));
      expect(again).toEqual(shards);
    }
  });
});

/** A suite folder holding synthetic run folders (as the runner would write them), finished. */
function fakeSuite(
  root: string,
  runs: { scenario: string; degraded?: boolean }[],
  shard?: { index: number; total: number },
): SuiteFolder {
  const suite = new SuiteFolder(root, { shard: shard ?? null });
  for (const r of runs) {
    const folder = new RunFolder(suite.dir, r.scenario);
    writeSyntheticRun(folder.dir, { scenario: r.scenario, degraded: r.degraded });
    const results = JSON.parse(fs.readFileSync(path.join(folder.dir, 'results.json'), 'utf8')) as {
      valid: boolean;
      summary: string;
    };
    const run: SuiteRun = {
      scenario: r.scenario,
      target: 'w3',
      dir: path.basename(folder.dir),
      outcome: results.valid ? 'pass' : 'fail',
      summary: results.summary,
      durationMs: 1000,
      checks: [],
      requests: 10,
      failed: r.degraded ? 3 : 0,
    };
    suite.addRun(run);
  }
  suite.finish('finished');
  return suite;
}

describe('suite folders', () => {
  test('runs go straight into the suite folder; its reports cover every run; latest points at it', () => {
    const root = tmp();
    const suite = fakeSuite(root, [{ scenario: 'alpha' }, { scenario: 'beta', degraded: true }]);
    expect(fs.realpathSync(path.join(root, 'latest'))).toBe(fs.realpathSync(suite.dir));
    expect(fs.readdirSync(suite.dir).sort()).toEqual([
      'alpha',
      'beta',
      'index.html',
      'junit.xml',
      'suite.json',
      'summary.md',
    ]);
    const info = readSuite(suite.dir)!;
    expect(info).toMatchObject({ status: 'finished', counts: { pass: 1, fail: 1 }, exitCode: 1 });
    const junit = fs.readFileSync(path.join(suite.dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="alpha [w3]"');
    expect(junit).toContain('<testsuite name="beta [w3]"');
    const index = fs.readFileSync(path.join(suite.dir, 'index.html'), 'utf8');
    // Links only to files the run has (synthetic runs have no report.html).
    expect(index).toContain('href="alpha/summary.md"');
    expect(index).not.toContain('href="alpha/report.html"');
    expect(index).toContain('<span class="o fail">FAIL</span>');
    expect(fs.readFileSync(path.join(suite.dir, 'summary.md'), 'utf8')).toContain('| beta | w3 | FAIL |');
    // The same scenario twice in one suite: a second folder, not an overwrite.
    expect(path.basename(new RunFolder(suite.dir, 'alpha').dir)).toBe('alpha-2');
  });

  test('an interrupted suite exits 2 whatever ran; an empty shard exits 0', () => {
    const a = new SuiteFolder(tmp());
    a.finish('interrupted');
    expect(readSuite(a.dir)!.exitCode).toBe(2);
    const b = new SuiteFolder(tmp(), { shard: { index: 3, total: 3 } });
    b.finish('finished');
    expect(readSuite(b.dir)!.exitCode).toBe(0);
    expect(path.basename(b.dir)).toMatch(/-shard-3of3$/);
  });
});

describe('merge', () => {
  test('shards become one suite with a copy of every run; a suite reached twice counts once', () => {
    const jobs = tmp();
    const s1 = fakeSuite(path.join(jobs, 'job-1'), [{ scenario: 'alpha' }, { scenario: 'beta' }], {
      index: 1,
      total: 2,
    });
    const s2 = fakeSuite(path.join(jobs, 'job-2', 'w3lab-results'), [{ scenario: 'gamma', degraded: true }], {
      index: 2,
      total: 2,
    });
    // job-1 holds the suite and the `latest` link to it; job-2 has an extra folder level, as artifacts often do.
    expect(findSuites([jobs]).map((f) => f.info.suiteId)).toEqual([s1.info.suiteId, s2.info.suiteId]);
    const out = tmp();
    const merged = mergeSuites([path.join(jobs, 'job-2'), path.join(jobs, 'job-1')], out);
    expect(merged.info.runs.map((r) => [r.scenario, r.outcome])).toEqual([
      ['alpha', 'pass'],
      ['beta', 'pass'],
      ['gamma', 'fail'],
    ]);
    expect(merged.exitCode).toBe(1);
    for (const s of ['alpha', 'beta', 'gamma']) expect(fs.existsSync(path.join(merged.dir, s, 'run.json'))).toBe(true);
    expect(fs.readFileSync(merged.files.junit, 'utf8').match(/<testsuite /g)).toHaveLength(3);
    expect(fs.realpathSync(path.join(out, 'latest'))).toBe(fs.realpathSync(merged.dir));
    expect(merged.info.mergedFrom!.map((m) => m.shard)).toEqual([
      { index: 1, total: 2 },
      { index: 2, total: 2 },
    ]);
  });

  test('refuses a missing shard, a shard twice, mixed totals, and folders without a suite', () => {
    const a = fakeSuite(tmp(), [{ scenario: 'alpha' }], { index: 1, total: 3 });
    const b = fakeSuite(tmp(), [{ scenario: 'beta' }], { index: 2, total: 3 });
    const b2 = fakeSuite(tmp(), [{ scenario: 'beta' }], { index: 2, total: 3 });
    const other = fakeSuite(tmp(), [{ scenario: 'beta' }], { index: 2, total: 2 });
    const plain = fakeSuite(tmp(), [{ scenario: 'delta' }]);
    expect(() => mergeSuites([a.dir, b.dir], tmp())).toThrow('missing shard(s) 3/3');
    expect(() => mergeSuites([a.dir, b.dir, b2.dir], tmp())).toThrow(/shard 2\/3 appears 2 times/);
    expect(() => mergeSuites([a.dir, other.dir], tmp())).toThrow(/different splits/);
    expect(() => mergeSuites([a.dir, plain.dir], tmp())).toThrow(/unsharded/);
    expect(() => mergeSuites([tmp()], tmp())).toThrow(/no suite/);
    expect(() => mergeSuites(['/no/such/folder'], tmp())).toThrow(/no such folder/);
  });
});

describe('a suite is checked whole before its folder exists', () => {
  const scenario = (name: string, config: Record<string, unknown> = {}): SuiteScenario['scenario'] =>
    parseScenario(
      { name, config, workload: [{ name: 'load', duration: '1s' }], expect: [{ check: 'noFailedRequests' }] },
      'test',
    );
  const run = (out: string, scenarios: SuiteScenario[]): Promise<unknown> =>
    runSuite(scenarios, { out, log: pino({ level: 'silent' }) });

  test('two scenarios of one name (two files, or one file twice) are refused, naming both', async () => {
    const out = path.join(tmp(), 'results');
    await expect(
      run(out, [
        { scenario: scenario('dup'), file: '/x/a.yaml' },
        { scenario: scenario('dup'), file: '/x/b.yaml' },
      ]),
    ).rejects.toMatchObject({
      code: 'LAB_ERR_SCENARIO',
      exitCode: 254,
      message: 'name: scenario name "dup" must be unique in a suite (/x/a.yaml and /x/b.yaml both use it)',
    });
    await expect(
      run(out, [
        { scenario: scenario('dup'), file: '/x/a.yaml', source: 'scenario object "dup"' },
        { scenario: scenario('dup'), file: '/x/a.yaml', source: 'scenario object "dup"' },
      ]),
    ).rejects.toThrow('(scenario object "dup" is given twice)');
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a client: autocannon phase without autocannon installed is refused up front, naming the phase', async () => {
    const out = path.join(tmp(), 'results');
    const missing = jest.spyOn(optionalPackage, 'requirePackage').mockImplementation((name, feature) => {
      throw new optionalPackage.MissingPackageError(name, feature, '^8.0.0');
    });
    try {
      const sc = parseScenario(
        {
          name: 'ac',
          workload: [
            { name: 'warm', duration: '1s' },
            { name: 'load', client: 'autocannon', duration: '1s' },
          ],
          expect: [{ check: 'noFailedRequests' }],
        },
        'test',
      );
      await expect(run(out, [{ scenario: sc, file: '/x/ac.yaml' }])).rejects.toMatchObject({
        code: 'LAB_ERR_MISSING_PACKAGE',
        exitCode: 254,
        message: expect.stringMatching(/^\/x\/ac\.yaml: workload\.1\.client autocannon needs the "autocannon" package/),
      });
      expect(missing).toHaveBeenCalledTimes(1);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      missing.mockRestore();
    }
  });

  test('a scenario its target refuses, after a good one: nothing runs, no suite folder, latest untouched', async () => {
    const root = tmp();
    const before = fakeSuite(root, [{ scenario: 'alpha' }]);
    await expect(
      run(root, [
        { scenario: scenario('good'), file: path.join(root, 'good.yaml') },
        { scenario: scenario('bad', { pools: [{ name: 'app', startmode: 'x' }] }), file: path.join(root, 'bad.yaml') },
      ]),
    ).rejects.toMatchObject({
      code: 'LAB_ERR_PREFLIGHT',
      message: expect.stringContaining('config.pools.0.startmode'),
    });
    expect(fs.readdirSync(root).sort()).toEqual([path.basename(before.dir), 'latest'].sort());
    expect(fs.realpathSync(path.join(root, 'latest'))).toBe(fs.realpathSync(before.dir));
  });
});

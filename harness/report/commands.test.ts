import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerReportCommands, writeRunReports } from './commands';
import { rerunReport } from './report-command';
import { writeSyntheticRun } from './test-support/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'report-cmd-'));
const readJson = (f: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;

/** Runs the CLI in-process; returns the exit code main.ts would use and what was printed. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const program = new Command('w3lab').exitOverride();
  registerReportCommands(program);
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, out };
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return { code: typeof code === 'number' ? code : 255, out: out + String((err as Error).message) };
  } finally {
    spy.mockRestore();
  }
}

describe('w3lab report', () => {
  it('re-runs the stored checks, rewrites results, summary, report.html and junit.xml', () => {
    const dir = writeSyntheticRun(tmp());
    fs.writeFileSync(
      path.join(dir, 'results.json'),
      JSON.stringify({ valid: false, summary: 'stale', checks: [], faultErrors: [], error: null }),
    );
    const r = rerunReport(dir);
    expect(r.exitCode).toBe(0);
    expect(r.checks.map((c) => c.name)).toEqual([
      'connectionsSurvive',
      'noFailedRequests',
      'overlappedRecycleCompletes',
    ]);
    const results = readJson(path.join(dir, 'results.json'));
    expect(results['valid']).toBe(true);
    expect((results['stats'] as { requests: number }).requests).toBeGreaterThan(1000);
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('— PASS');
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="overlapped-recycle [w3]"');
    expect(readJson(path.join(dir, 'run.json'))['valid']).toBe(true);
  });

  it('honours the targets filter of an expectation and keeps a run error unknown', () => {
    const dir = writeSyntheticRun(tmp(), { degraded: true });
    const info = readJson(path.join(dir, 'run.json'));
    (info['scenarioConfig'] as { expect: unknown[] }).expect = [
      { check: 'noFailedRequests', options: {}, targets: ['node-cluster'] },
      { check: 'overlappedRecycleCompletes', options: { minRecycles: 3 } },
    ];
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(info));
    const r = rerunReport(dir);
    expect(r.checks.map((c) => c.name)).toEqual(['overlappedRecycleCompletes']);
    expect(r.exitCode).toBe(1);
    const results = readJson(path.join(dir, 'results.json'));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ ...results, error: 'target failed to start' }));
    expect(rerunReport(dir).exitCode).toBe(2);
  });

  it('exits 0/1 like run, and 254 for a folder that is not a run or has no expectations', async () => {
    expect((await cli(['report', writeSyntheticRun(tmp())])).code).toBe(0);
    const bad = await cli(['report', writeSyntheticRun(tmp(), { degraded: true })]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('overlapped-recycle [w3]: FAIL');
    expect((await cli(['report', tmp()])).code).toBe(254);
    const dir = writeSyntheticRun(tmp());
    const info = readJson(path.join(dir, 'run.json'));
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...info, scenarioConfig: {} }));
    expect((await cli(['report', dir])).code).toBe(254);
  });
});

describe('w3lab compare and baseline save', () => {
  it('compares a degraded run with a saved baseline: exit 1, compare.md names the crossed thresholds', async () => {
    const results = tmp();
    writeSyntheticRun(path.join(results, 'overlapped-recycle', '20250101T000000Z'));
    const baselines = path.join(tmp(), 'baselines');
    const saved = await cli(['baseline', 'save', 'ci', results, '--baselines', baselines]);
    expect(saved.code).toBe(0);
    expect(saved.out).toContain('saved baseline ci');
    const run = writeSyntheticRun(tmp(), { degraded: true });
    const same = await cli([
      'compare',
      'ci',
      path.join(results, 'overlapped-recycle', '20250101T000000Z'),
      '--baselines',
      baselines,
    ]);
    expect(same.code).toBe(0);
    const r = await cli([
      'compare',
      'ci',
      run,
      '--baselines',
      baselines,
      '-T',
      'readyP99=off',
      '--threshold',
      'detectionP99=off',
    ]);
    expect(r.code).toBe(1);
    const md = fs.readFileSync(path.join(run, 'compare.md'), 'utf8');
    expect(md).toContain('5 thresholds crossed');
    expect(md).toContain('failed requests (fail + info): 0 → 3');
    expect(r.out).toContain(md);
    expect(readJson(path.join(run, 'compare.json'))['exitCode']).toBe(1);
    expect((await cli(['compare', 'no-such-baseline', run, '--baselines', baselines])).code).toBe(254);
    expect((await cli(['baseline', 'save', '../evil', results, '--baselines', baselines])).code).toBe(254);
  });

  it('writeRunReports writes report.html and junit.xml into the run folder', () => {
    const dir = writeSyntheticRun(tmp());
    const files = writeRunReports(dir);
    expect(files).toEqual({ html: path.join(dir, 'report.html'), junit: path.join(dir, 'junit.xml') });
    expect(fs.readFileSync(files.html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });
});

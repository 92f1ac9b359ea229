// What a person reads in the files of a run: summary.md has no "null ms" and no raw JSON objects when there was no
// sample, and names report.html and junit.xml; a JUnit testcase carries its checker's own time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeStats } from '../results/stats';
import { renderSummary } from '../results/summary';
import { runChecks, combine } from '../checkers';
import { RunBuilder } from '../checkers/test-support/run-builder';
import { loadRun } from './run-files';
import { renderJunit } from './junit';
import { writeHtmlReport } from './html-report';
import { writeSyntheticRun } from './test-support/synthetic-run';

test('summary.md of a run with no requests and no recycles: dashes and "none", no null, no {}', () => {
  const stats = computeStats([], [], 0, 1000);
  const verdict = { valid: 'unknown' as const, summary: 'nothing', details: {} };
  const md = renderSummary({
    scenario: 's',
    description: 'd',
    target: 'w3',
    runtime: 'process',
    seed: 1,
    dir: '/r',
    verdict,
    checks: [],
    stats,
    faultErrors: [],
  });
  expect(md).not.toMatch(/null|\{\}/);
  expect(md).toContain('latency ok requests: p50 –, p99 –, max –');
  expect(md).toContain('errors by kind: none; statuses: none');
  expect(md).toContain('- recycles completed 0\n');
  expect(md).toContain('report.html');
  expect(md).toContain('junit.xml');
});

test('summary.md lists counts by kind as words', () => {
  const b = new RunBuilder(1000);
  b.request(10, { outcome: 'fail', status: 503, error: 'status-5xx' });
  b.request(20, {});
  const input = b.input();
  const stats = computeStats(input.history, input.events, input.start, input.end);
  const checks = runChecks(input, [{ name: 'noFailedRequests' }]);
  const md = renderSummary({
    scenario: 's',
    description: '',
    target: 'w3',
    runtime: 'process',
    seed: 1,
    dir: '/r',
    verdict: combine(checks),
    checks,
    stats,
    faultErrors: [],
  });
  expect(md).toContain('errors by kind: status-5xx 1; statuses: ');
  expect(md).toMatch(/statuses: (200 1, 503 1|503 1, 200 1)/);
});

test("a JUnit testcase carries the time its checker took; the suite the run's", () => {
  const dir = writeSyntheticRun(fs.mkdtempSync(path.join(os.tmpdir(), 'junit-times-')));
  const run = loadRun(dir);
  const times = run.results!.checks.map((c) => c.durationMs);
  expect(times.every((t) => typeof t === 'number' && t > 0)).toBe(true);
  const xml = renderJunit([run]);
  const cases = [...xml.matchAll(/<testcase [^>]*name="([^"]+)" time="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
  expect(cases).toEqual(run.results!.checks.map((c) => [c.name, Number((c.durationMs! / 1000).toFixed(6))]));
  expect(cases.some(([, t]) => (t as number) > 0)).toBe(true);
});

test('replayed requests are counted and shown: "0 failed" with 2 replays says so in summary.md and report.html', () => {
  // The review's case: a run with replays showed simply "0 failed".
  const b = new RunBuilder(1000).workerUp(-500, 'app', 1, 101).crash(400, 'app', 1, 101);
  b.event(401, 'RequestRetried', { pool: 'app', pid: 101, method: 'GET', url: '/' });
  b.event(402, 'RequestRetried', { pool: 'app', pid: 101, method: 'GET', url: '/' });
  b.load(0, 1000, 10);
  const input = b.input();
  const stats = computeStats(input.history, input.events, input.start, input.end);
  expect(stats.replays).toEqual({ retried: 2, abandoned: 0 });
  const checks = runChecks(input, [{ name: 'noFailedRequests' }]);
  const md = renderSummary({
    scenario: 's',
    description: '',
    target: 'w3',
    runtime: 'process',
    seed: 1,
    dir: '/r',
    verdict: combine(checks),
    checks,
    stats,
    faultErrors: [],
  });
  expect(md).toContain(
    'replayed by the target after a worker failed (RequestRetried) 2; abandoned (RequestAbandoned) 0',
  );
  const dir = writeSyntheticRun(fs.mkdtempSync(path.join(os.tmpdir(), 'replays-')));
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as {
    stats: { replays: unknown };
  };
  results.stats.replays = { retried: 7, abandoned: 0 };
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results));
  expect(fs.readFileSync(writeHtmlReport(dir), 'utf8')).toContain('7 requests replayed by the target (RequestRetried)');
});

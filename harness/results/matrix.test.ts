// The matrix rendering: outcomes per cell (— for not supported), spreads with repeats, links to each run's report,
// and the crash → replacement-ready time taken from the events.
import { cellText, recoveryMs, renderMatrixHtml, renderMatrixMarkdown, type Matrix, type MatrixRun } from './matrix';
import { labEvent, type LabEvent } from '../events';

const run = (o: Partial<MatrixRun>): MatrixRun => ({
  outcome: 'pass',
  dir: '/r/worker-crash/1',
  requests: 100,
  failed: 0,
  info: 0,
  dropped: 0,
  p99Ms: 10,
  recycleMs: null,
  recoveryMs: null,
  durationMs: 1,
  summary: 'ok',
  ...o,
});

test('a cell shows the outcome, failures (unknown outcomes included), drops, p99, and ranges over repeats', () => {
  expect(
    cellText({ scenario: 's', target: 't', runs: [run({ failed: 1, info: 2, dropped: 3, recoveryMs: 1200 })] }),
  ).toEqual({
    outcome: 'PASS',
    detail: '3/100 failed, drop 3, p99 10ms, recovery 1200ms',
  });
  const spread = cellText({
    scenario: 's',
    target: 't',
    runs: [run({ outcome: 'fail', failed: 4, p99Ms: 30 }), run({ p99Ms: 12 })],
  });
  expect(spread).toEqual({ outcome: 'FAIL/PASS', detail: '0–4/100 failed, drop 0, p99 12–30ms' });
  expect(
    cellText({ scenario: 's', target: 't', runs: [run({ outcome: 'not-supported', missing: ['memoryRecycle'] })] }),
  ).toEqual({ outcome: '—', detail: 'lacks memoryRecycle' });
});

test('recovery: from each crash to the next worker ready in that pool (median)', () => {
  const base = (t: number, pid: number) => ({ t, source: 'w3', pool: 'app', pid });
  const ready = (t: number, pid: number): LabEvent => labEvent('WorkerReady', base(t, pid));
  const crash = (t: number, pid: number): LabEvent =>
    labEvent('WorkerCrashed', { ...base(t, pid), exitCode: null, signal: 'SIGKILL', duringStartup: false });
  expect(recoveryMs([ready(0, 1), crash(100, 1), ready(600, 2), crash(1000, 2), ready(1300, 3)])).toBe(300);
  expect(recoveryMs([crash(100, 1)])).toBeNull();
});

test('markdown and html: every target a column, links to the run reports, — for not supported', () => {
  const m: Matrix = {
    command: 'w3lab matrix --targets w3,nginx',
    startedAt: '2026-11-30T00:00:00Z',
    durationMs: 60_000,
    machine: 'test',
    scenarios: ['worker-crash'],
    targets: ['w3', 'nginx'],
    cells: [
      { scenario: 'worker-crash', target: 'w3', runs: [run({})] },
      { scenario: 'worker-crash', target: 'nginx', runs: [run({ outcome: 'not-supported', missing: ['signal'] })] },
    ],
  };
  const md = renderMatrixMarkdown(m);
  expect(md).toContain('| scenario | w3 | nginx |');
  expect(md).toContain('**—** lacks signal');
  const html = renderMatrixHtml(m, '/r/matrix/x');
  expect(html).toContain('href="../../worker-crash/1/report.html"');
  expect(html).toContain('<th>nginx</th>');
  expect(html).not.toMatch(/<script src|<link /); // self-contained
});

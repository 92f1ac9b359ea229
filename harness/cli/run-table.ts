// The one-screen table printed at the end of `w3lab run`, and the exit code of a set of runs
// (0 all valid, 1 a check failed, 2 unknown, 3 nothing supported: see run-outcome.ts).
import path from 'node:path';
import type { RunResult } from '../runner/run-scenario';
import type { SuiteRun } from '../suite/suite-folder';
import { exitCodeOfOutcomes, outcomeOf, outcomeWord } from '../runner/run-outcome';

export function exitCodeOf(results: RunResult[]): number {
  return exitCodeOfOutcomes(results.map(outcomeOf));
}

const firstLine = (s: string): string => s.split('\n')[0]!;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderRunTable(results: RunResult[]): string {
  const rows = results.map((r) => {
    const s = r.stats;
    const named = (v: false | 'unknown'): string[] => r.checks.filter((c) => c.verdict.valid === v).map((c) => c.name);
    const open = [
      named(false).length ? `failed: ${named(false).join(' ')}` : '',
      named('unknown').length ? `unknown: ${named('unknown').join(' ')}` : '',
    ]
      .filter(Boolean)
      .join('  ');
    const timings = [
      s.recycles.count ? `recycle p50 ${s.recycles.durationMs.p50}ms` : '',
      s.crashes ? `crashes ${s.crashes}` : '',
      s.detections.pingFailed ? `ping-fail ${s.detections.pingFailed}` : '',
      s.poolStops.length ? `stop ${s.poolStops.map((p) => p.reason).join(',')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [
      r.scenario,
      r.target,
      outcomeWord(outcomeOf(r)),
      String(s.requests),
      `${s.fail}/${s.info}`,
      String(s.serverClosedSockets),
      `${s.latencyMs.p99 ?? '-'}`,
      `${(r.durationMs / 1000).toFixed(1)}s`,
      r.notSupported
        ? `not supported: lacks ${r.notSupported.missing.join(', ')}`
        : [timings, open, r.error ? `error: ${firstLine(r.error)}` : ''].filter(Boolean).join('  '),
    ];
  });
  const head = ['scenario', 'target', 'verdict', 'requests', 'fail/info', 'srv-closed', 'p99ms', 'time', 'notes'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  // Why each check that did not pass said so: the table has room for names only.
  const reasons = results.flatMap((r) =>
    r.checks
      .filter((c) => c.verdict.valid !== true)
      .map((c) => {
        const word = c.verdict.valid === false ? 'FAIL' : 'UNKNOWN';
        return `  ${r.scenario} › ${c.name} (${word}): ${clip(firstLine(c.verdict.summary), 200)}`;
      }),
  );
  if (reasons.length) out.push('', ...reasons);
  return out.join('\n');
}

/** The lines under the table: where the suite's reports are, the two files first (relative to the current folder
 *  when that is shorter), and what each run folder holds. */
export function renderSuiteFooter(suite: {
  dir: string;
  files: { index: string; junit: string; summary: string };
}): string {
  const rel = (p: string): string => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith('..') && r.length < p.length ? r : p;
  };
  return [
    '',
    `report: ${rel(suite.files.index)}`,
    `junit:  ${rel(suite.files.junit)}`,
    `suite:  ${rel(suite.dir)} (summary.md; one folder per scenario: ` +
      'report.html, junit.xml, results.json, summary.md, run.json, history.jsonl, events.jsonl)',
  ].join('\n');
}

/** The table of a suite known only from its suite.json (w3lab merge). */
export function renderSuiteRunsTable(runs: readonly SuiteRun[]): string {
  const head = ['scenario', 'target', 'verdict', 'requests', 'failed', 'time', 'notes'];
  const rows = runs.map((r) => {
    const named = (v: false | 'unknown'): string[] => r.checks.filter((c) => c.valid === v).map((c) => c.name);
    const notes = r.error
      ? `error: ${firstLine(r.error)}`
      : r.outcome === 'not-supported'
        ? firstLine(r.summary)
        : [
            named(false).length ? `failed: ${named(false).join(' ')}` : '',
            named('unknown').length ? `unknown: ${named('unknown').join(' ')}` : '',
          ]
            .filter(Boolean)
            .join('  ');
    return [
      r.scenario,
      r.target,
      outcomeWord(r.outcome),
      String(r.requests),
      String(r.failed),
      `${(r.durationMs / 1000).toFixed(1)}s`,
      notes,
    ];
  });
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

// The one-screen table printed at the end of `w3lab run`, and the exit code of a set of runs
// (0 all valid, 1 a check failed, 2 unknown, 3 nothing supported: see run-outcome.ts).
import path from 'node:path';
import type { RunResult } from '../runner/run-scenario';
import { exitCodeOfOutcomes, outcomeOf, outcomeWord } from '../runner/run-outcome';

export function exitCodeOf(results: RunResult[]): number {
  return exitCodeOfOutcomes(results.map(outcomeOf));
}

export function renderRunTable(results: RunResult[]): string {
  const rows = results.map((r) => {
    const s = r.stats;
    const failed = r.checks.filter((c) => c.verdict.valid !== true).map((c) => `${c.name}${c.verdict.valid === false ? '✗' : '?'}`);
    const timings = [
      s.recycles.count ? `recycle p50 ${s.recycles.durationMs.p50}ms` : '',
      s.crashes ? `crashes ${s.crashes}` : '',
      s.detections.pingFailed ? `ping-fail ${s.detections.pingFailed}` : '',
      s.poolStops.length ? `stop ${s.poolStops.map((p) => p.reason).join(',')}` : '',
    ].filter(Boolean).join(', ');
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
        : (timings + (failed.length ? `  failed: ${failed.join(' ')}` : '') + (r.error ? `  error: ${r.error}` : '')).trim(),
    ];
  });
  const head = ['scenario', 'target', 'verdict', 'requests', 'fail/info', 'srv-closed', 'p99ms', 'time', 'notes'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  const last = results[results.length - 1];
  if (last) out.push('', `results: ${path.dirname(path.dirname(last.dir))} (each run: run.json, history.jsonl, events.jsonl, results.json, summary.md)`);
  return out.join('\n');
}

// summary.md of a run: the verdict, each check with its summary, and the key numbers — what a person reads first.
import type { CheckResult, Verdict } from '../checkers';
import type { RunStats } from './stats';

export function renderSummary(o: { scenario: string; description: string; target: string; runtime: string; seed: number; dir: string; verdict: Verdict; checks: CheckResult[]; stats: RunStats; faultErrors: string[] }): string {
  const v = (x: Verdict['valid']): string => (x === true ? 'PASS' : x === false ? 'FAIL' : 'UNKNOWN');
  const s = o.stats;
  // No sample gives null: "–", not "null ms"; counts by kind read as a list, not as JSON.
  const ms = (x: number | null): string => (x === null ? '–' : `${x} ms`);
  const counts = (m: Record<string, number>): string => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const lines = [
    `# ${o.scenario} — ${v(o.verdict.valid)}`,
    '',
    o.description,
    '',
    `target **${o.target}** (${o.runtime} runtime), seed ${o.seed}`,
    '',
    '## Checks',
    '',
    '| check | verdict | summary |',
    '| --- | --- | --- |',
    ...o.checks.map((c) => `| ${c.name} | ${v(c.verdict.valid)} | ${c.verdict.summary.replace(/\|/g, '\\|')} |`),
    '',
    '## Numbers',
    '',
    `- requests ${s.requests}: ok ${s.ok}, fail ${s.fail}, info (unknown) ${s.info}; ${s.rps} req/s`,
    `- errors by kind: ${counts(s.byError)}; statuses: ${counts(s.byStatus)}`,
    `- client sockets ${s.sockets}, closed by the server ${s.serverClosedSockets}`,
    `- latency ok requests: p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
    `- recycles completed ${s.recycles.count}` + (s.recycles.count ? `: duration p50 ${ms(s.recycles.durationMs.p50)} / max ${ms(s.recycles.durationMs.max)}; replacement ready p50 ${ms(s.recycles.readyMs.p50)}` : ''),
    `- worker crashes ${s.crashes}; ping failures ${s.detections.pingFailed}; stalled ${s.detections.stalled}; startup timeouts ${s.detections.startupTimeouts}; shutdown timeouts ${s.detections.shutdownTimeouts}`,
    `- worker start to ready: p50 ${ms(s.workerReadyMs.p50)}, max ${ms(s.workerReadyMs.max)} (${s.workerReadyMs.n} starts)`,
    ...(s.poolStops.length ? [`- pool stops: ${s.poolStops.map((p) => `${p.pool} ${p.reason} at +${p.t} ms`).join(', ')}`] : []),
    ...(o.faultErrors.length ? ['', '## Fault steps that failed', '', ...o.faultErrors.map((e) => `- ${e}`)] : []),
    '',
    `Files in ${o.dir}: report.html (charts and tables), junit.xml, results.json, run.json, history.jsonl, events.jsonl`,
    '',
  ];
  return lines.join('\n');
}

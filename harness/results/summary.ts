// summary.md of a run: the verdict, each check with its summary, and the key numbers — what a person reads first.
import type { CheckResult, Verdict } from '../checkers';
import type { RunStats } from './stats';

export function renderSummary(o: { scenario: string; description: string; target: string; runtime: string; seed: number; dir: string; verdict: Verdict; checks: CheckResult[]; stats: RunStats; faultErrors: string[] }): string {
  const v = (x: Verdict['valid']): string => (x === true ? 'PASS' : x === false ? 'FAIL' : 'UNKNOWN');
  const s = o.stats;
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
    `- errors by kind: ${JSON.stringify(s.byError)}; statuses: ${JSON.stringify(s.byStatus)}`,
    `- client sockets ${s.sockets}, closed by the server ${s.serverClosedSockets}`,
    `- latency ok requests: p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`,
    `- recycles completed ${s.recycles.count}: duration p50 ${s.recycles.durationMs.p50} ms / max ${s.recycles.durationMs.max} ms; replacement ready p50 ${s.recycles.readyMs.p50} ms`,
    `- worker crashes ${s.crashes}; ping failures ${s.detections.pingFailed}; stalled ${s.detections.stalled}; startup timeouts ${s.detections.startupTimeouts}; shutdown timeouts ${s.detections.shutdownTimeouts}`,
    `- worker start to ready: p50 ${s.workerReadyMs.p50} ms, max ${s.workerReadyMs.max} ms (${s.workerReadyMs.n} starts)`,
    ...(s.poolStops.length ? [`- pool stops: ${s.poolStops.map((p) => `${p.pool} ${p.reason} at +${p.t} ms`).join(', ')}`] : []),
    ...(o.faultErrors.length ? ['', '## Fault steps that failed', '', ...o.faultErrors.map((e) => `- ${e}`)] : []),
    '',
    `Files: run.json, history.jsonl, events.jsonl, results.json in ${o.dir}`,
    '',
  ];
  return lines.join('\n');
}

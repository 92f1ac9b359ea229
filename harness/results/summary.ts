// summary.md of a run: the verdict and why, each check with the options it was given (repeated checks by distinct
// labels), the fault steps and whether each took effect, and the key numbers — what a person reads first. Nothing
// the verdict excused is hidden: allowed statuses and closes are in the checks' own sentences, replayed requests
// in the numbers.
import { checkLabel, describeOptions, type CheckResult, type Verdict } from '../checkers';
import type { StepEvidence } from '../checkers/fault-evidence';
import type { RunStats } from './stats';

export interface SummaryInput {
  scenario: string;
  description: string;
  target: string;
  runtime: string;
  seed: number;
  dir: string;
  verdict: Verdict;
  checks: CheckResult[];
  stats: RunStats;
  faultErrors: string[];
}

const word = (x: Verdict['valid']): string => (x === true ? 'PASS' : x === false ? 'FAIL' : 'UNKNOWN');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
// No sample gives null: "–", not "null ms"; counts by kind read as a list, not as JSON.
const ms = (v: number | null): string => (v === null ? '–' : `${v} ms`);
const counts = (o: Record<string, number>): string =>
  Object.keys(o).length
    ? Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : 'none';

function recycleTimes(s: RunStats): string {
  if (!s.recycles.count) return '';
  const { durationMs, readyMs } = s.recycles;
  return `: duration p50 ${ms(durationMs.p50)} / max ${ms(durationMs.max)}; replacement ready p50 ${ms(readyMs.p50)}`;
}

const poolStops = (s: RunStats): string => s.poolStops.map((p) => `${p.pool} ${p.reason} at +${p.t} ms`).join(', ');

/** The fault evidence the faultsTookEffect check gathered, when it ran. */
export function evidenceOf(checks: readonly CheckResult[]): StepEvidence[] {
  const c = checks.find((x) => x.name === 'faultsTookEffect');
  const e = c?.verdict.details['evidence'];
  return Array.isArray(e) ? (e as StepEvidence[]) : [];
}

function faultLines(checks: readonly CheckResult[]): string[] {
  const evidence = evidenceOf(checks);
  if (evidence.length === 0) return [];
  const row = (e: StepEvidence): string => {
    const step = typeof e.step === 'number' ? `faults[${e.step}]` : e.step;
    const at = e.at === null ? '–' : `+${Math.round(e.at)} ms`;
    const optional = e.optional ? ' (optional)' : '';
    return `| ${cell(step)}${optional} | ${e.action} | ${at} | ${e.status} | ${cell(e.detail)} |`;
  };
  const head = ['| step | action | at | status | evidence |', '| --- | --- | --- | --- | --- |'];
  return ['', '## Fault steps', '', ...head, ...evidence.map(row)];
}

export function renderSummary(o: SummaryInput): string {
  const s = o.stats;
  const lines = [
    `# ${o.scenario} — ${word(o.verdict.valid)}`,
    '',
    o.description,
    '',
    `target **${o.target}** (${o.runtime} runtime), seed ${o.seed}`,
    '',
    `**${word(o.verdict.valid)}**: ${o.verdict.summary}`,
    '',
    '## Checks',
    '',
    '| check | options | verdict | summary |',
    '| --- | --- | --- | --- |',
    ...o.checks.map(
      (c) =>
        `| ${cell(checkLabel(c))} | ${cell(describeOptions(c.options) || '–')} | ` +
        `${word(c.verdict.valid)} | ${cell(c.verdict.summary)} |`,
    ),
    ...faultLines(o.checks),
    '',
    '## Numbers',
    '',
    `- requests ${s.requests}: ok ${s.ok}, fail ${s.fail}, info (unknown) ${s.info}; ${s.rps} req/s`,
    `- replayed by the target after a worker failed (RequestRetried) ${s.replays.retried}; ` +
      `abandoned (RequestAbandoned) ${s.replays.abandoned}`,
    `- errors by kind: ${counts(s.byError)}; statuses: ${counts(s.byStatus)}`,
    `- client sockets ${s.sockets}, closed by the server ${s.serverClosedSockets}`,
    `- latency ok requests: p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
    `- recycles completed ${s.recycles.count}` + recycleTimes(s),
    `- worker crashes ${s.crashes}; ping failures ${s.detections.pingFailed}; stalled ${s.detections.stalled}; ` +
      `startup timeouts ${s.detections.startupTimeouts}; shutdown timeouts ${s.detections.shutdownTimeouts}`,
    `- worker start to ready: p50 ${ms(s.workerReadyMs.p50)}, max ${ms(s.workerReadyMs.max)} ` +
      `(${s.workerReadyMs.n} starts)`,
    ...(s.poolStops.length ? [`- pool stops: ${poolStops(s)}`] : []),
    ...(o.faultErrors.length ? ['', '## Fault steps that failed', '', ...o.faultErrors.map((e) => `- ${e}`)] : []),
    '',
    `Files in ${o.dir}: report.html (charts and tables), junit.xml, results.json, run.json, history.jsonl, ` +
      'events.jsonl',
    '',
  ];
  return lines.join('\n');
}

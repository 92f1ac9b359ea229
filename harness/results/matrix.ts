// The peer matrix: scenario × target cells from a set of runs (`w3lab matrix`), each with its outcome, failed /
// total requests, connections the server dropped, p99 latency and the recycle or recovery time; with repeats, the
// spread (min–max). Rendered as matrix.json, matrix.md and a self-contained matrix.html whose cells link to each
// run's report. A not-supported cell is "—": the target lacks a capability the scenario requires.
import fs from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../runner/run-scenario';
import { outcomeOf, outcomeWord, type RunOutcome } from '../runner/run-outcome';
import type { LabEvent } from '../events';
import type { RunOwner } from './run-status';
import { readEvents as readEventsFile } from '../report/run-files';

export interface MatrixRun {
  outcome: RunOutcome;
  /** The run folder: relative to the matrix folder in matrix.json (absolute in matrices written before that). */
  dir: string;
  requests: number;
  failed: number;
  /** Requests whose outcome is unknown (reset, closed, hung): they did not succeed either. */
  info: number;
  dropped: number;
  p99Ms: number | null;
  recycleMs: number | null;
  recoveryMs: number | null;
  durationMs: number;
  summary: string;
  missing?: string[];
}

export interface MatrixCell {
  scenario: string;
  target: string;
  runs: MatrixRun[];
}

/** A run a killed matrix had started and never finished (its run.json says killed). */
export interface MatrixCutRun {
  scenario: string;
  target: string;
  /** Relative to the matrix folder. */
  dir: string;
}

/** A cell short of runs when the matrix ended early: `runs` of its planned runs never started. */
export interface MatrixNotRun {
  scenario: string;
  target: string;
  runs: number;
}

export interface Matrix {
  command: string;
  /** running until the last run ended (absent in matrices written before it was recorded); killed when a later
   *  list or report found it running with its owner gone (matrix-status.ts). */
  status?: 'running' | 'finished' | 'interrupted' | 'killed' | 'error';
  /** Status error: what stopped the matrix (an internal error of the harness). */
  error?: string;
  /** The process running the matrix: a "running" matrix whose owner is gone was killed (run-status.ts). */
  owner?: RunOwner;
  /** Runs per cell (--repeat; absent in matrices written before it was recorded: 1). */
  repeat?: number;
  /** When a list or report noticed the matrix was killed. */
  killedNoticedAt?: string;
  /** Killed: the run the kill cut short. */
  cut?: MatrixCutRun[];
  /** Interrupted, killed or error: the cells that did not get all their runs. */
  notRun?: MatrixNotRun[];
  startedAt: string;
  durationMs: number;
  machine: string;
  scenarios: string[];
  targets: string[];
  cells: MatrixCell[];
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/** Crash → next WorkerReady of the same pool: how long the target had one worker fewer, per crash (median). */
export function recoveryMs(events: LabEvent[]): number | null {
  const out: number[] = [];
  for (const c of events.filter((e) => e.type === 'WorkerCrashed')) {
    const next = events.find((e) => e.type === 'WorkerReady' && e.t >= c.t && e.pool === c.pool && e.pid !== c.pid);
    if (next) out.push(next.t - c.t);
  }
  return median(out);
}

function readEvents(dir: string): LabEvent[] {
  try {
    return readEventsFile(path.join(dir, 'events.jsonl'));
  } catch {
    return [];
  }
}

export function matrixRun(r: RunResult): MatrixRun {
  const s = r.stats;
  return {
    outcome: outcomeOf(r),
    dir: r.dir,
    requests: s.requests,
    failed: s.fail,
    info: s.info,
    dropped: s.serverClosedSockets,
    p99Ms: s.latencyMs.p99 === null ? null : Math.round(s.latencyMs.p99 * 10) / 10,
    recycleMs: s.recycles.durationMs.p50,
    recoveryMs: r.notSupported ? null : recoveryMs(readEvents(r.dir)),
    durationMs: r.durationMs,
    summary: r.verdict.summary,
    ...(r.notSupported ? { missing: r.notSupported.missing } : {}),
  };
}

const range = (xs: (number | null)[], unit = ''): string => {
  const v = xs.filter((x): x is number => x !== null);
  if (v.length === 0) return '-';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
};

/** One cell as text: "PASS 0/3412 drop 0 p99 41ms rec 1.2s" (ranges with repeats). */
export function cellText(c: MatrixCell): { outcome: string; detail: string } {
  const words = [...new Set(c.runs.map((r) => outcomeWord(r.outcome)))];
  const ran = c.runs.filter((r) => r.outcome !== 'not-supported');
  if (ran.length === 0) return { outcome: '—', detail: `lacks ${c.runs[0]?.missing?.join(', ') ?? '?'}` };
  const notOk = ran.map((r) => r.failed + r.info);
  const parts = [
    `${range(notOk)}/${range(ran.map((r) => r.requests))} failed`,
    `drop ${range(ran.map((r) => r.dropped))}`,
    `p99 ${range(
      ran.map((r) => r.p99Ms),
      'ms',
    )}`,
  ];
  const rec = range(
    ran.map((r) => r.recycleMs),
    'ms',
  );
  const recov = range(
    ran.map((r) => r.recoveryMs),
    'ms',
  );
  if (rec !== '-') parts.push(`recycle ${rec}`);
  if (recov !== '-') parts.push(`recovery ${recov}`);
  return { outcome: words.join('/'), detail: parts.join(', ') };
}

const STATUS_WHY: Record<string, string> = {
  running: 'running (the table so far)',
  interrupted: 'interrupted (Ctrl-C or SIGTERM: the run under way stopped early, no other started)',
  killed: 'killed (its lab process died)',
};
const statusWord = (m: Matrix): string =>
  m.status === 'error' ? `error (${m.error ?? '?'})` : (STATUS_WHY[m.status ?? ''] ?? String(m.status));

/** What a matrix that did not finish says above its table: its status, the run the kill cut, the cells never run. */
export function statusLines(m: Matrix): string[] {
  if (m.status === undefined || m.status === 'finished') return [];
  const out = [`Status: ${statusWord(m)}`];
  const cut = (m.cut ?? []).map((c) => `${c.scenario} × ${c.target} (${c.dir})`);
  const notRun = (m.notRun ?? []).map((c) => `${c.scenario} × ${c.target}${c.runs > 1 ? ` (${c.runs} runs)` : ''}`);
  if (cut.length) out.push(`cut by the kill: ${cut.join(', ')}`);
  if (notRun.length) out.push(`never ran: ${notRun.join(', ')}`);
  return out;
}

export function renderMatrixMarkdown(m: Matrix): string {
  const head = ['scenario', ...m.targets];
  const rows = m.scenarios.map((sc) => [
    sc,
    ...m.targets.map((t) => {
      const cell = m.cells.find((c) => c.scenario === sc && c.target === t);
      if (!cell) return '';
      const { outcome, detail } = cellText(cell);
      return `**${outcome}** ${detail}`;
    }),
  ]);
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  const status = statusLines(m);
  return [
    `Peer matrix, ${m.startedAt} (${(m.durationMs / 60000).toFixed(1)} min), ${m.machine}`,
    `Command: \`${m.command}\``,
    ...(status.length ? ['', ...status] : []),
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    'Cells: outcome, failed (incl. unknown outcome) / total requests, client connections the server closed,',
    'p99 latency, median recycle duration, median crash → replacement-ready time.',
    '"—" = not supported (the target lacks a capability the scenario requires).',
    'With --repeat, ranges are min–max over the repeats.',
    '',
  ].join('\n');
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderMatrixHtml(m: Matrix, htmlDir: string): string {
  const colour: Record<string, string> = { PASS: '#d7f5dd', FAIL: '#fadbd8', UNKNOWN: '#fdf2c4', '—': '#eeeeee' };
  const cell = (sc: string, t: string): string => {
    const c = m.cells.find((x) => x.scenario === sc && x.target === t);
    if (!c) return '<td></td>';
    const { outcome, detail } = cellText(c);
    const links = c.runs
      .filter((r) => r.outcome !== 'not-supported')
      .map((r, i) => {
        const rel = path.relative(htmlDir, path.resolve(htmlDir, r.dir, 'report.html'));
        return `<a href="${esc(rel)}" title="${esc(r.summary)}">run ${i + 1}</a>`;
      })
      .join(' ');
    const bg = colour[outcome] ?? '#fdf2c4';
    const more = links ? `<br><small>${links}</small>` : '';
    return `<td style="background:${bg}"><b>${esc(outcome)}</b><br><small>${esc(detail)}</small>${more}</td>`;
  };
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>w3lab peer matrix</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:.4em .6em;vertical-align:top}th{background:#f4f4f4}small{color:#333}</style>
</head><body>
<h1>Peer matrix</h1>
<p>${esc(m.startedAt)} · ${(m.durationMs / 60000).toFixed(1)} min · ${esc(m.machine)}
<br><code>${esc(m.command)}</code></p>
${statusLines(m)
  .map((l) => `<p><b>${esc(l)}</b></p>`)
  .join('\n')}
<table><tr><th>scenario</th>${m.targets.map((t) => `<th>${esc(t)}</th>`).join('')}</tr>
${m.scenarios.map((sc) => `<tr><th>${esc(sc)}</th>${m.targets.map((t) => cell(sc, t)).join('')}</tr>`).join('\n')}
</table>
<p><small>Cells: outcome; failed (incl. unknown outcome) / total requests; client connections the server closed;
p99 latency; median recycle duration; median crash → replacement-ready time. "—" = not supported: the target lacks a
capability the scenario requires (hover nothing: it never ran). With repeats, ranges are min–max.</small></p>
</body></html>
`;
}

export function writeMatrix(m: Matrix, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string): void => {
    // Per process: a matrix settled by two `list`s at once never has one rename the other's half-written file.
    const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, name));
  };
  write('matrix.json', JSON.stringify(m, null, 2) + '\n');
  write('matrix.md', renderMatrixMarkdown(m));
  write('matrix.html', renderMatrixHtml(m, dir));
}

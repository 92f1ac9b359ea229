// report.html of a run: one self-contained page (uPlot's JS and CSS and the run's data inlined, no network) with the
// header (scenario, target, runtime, seed, verdict, git sha), four timeline charts with fault and recycle windows
// shaded, the checks table and the recycle table. Tables are rendered here as static HTML (readable without
// scripts); the charts are drawn by report-client.ts from the inlined JSON. Everything interpolated is escaped.
import fs from 'node:fs';
import path from 'node:path';
import type { Validity } from '../checkers';
import { buildReportData, type ReportData } from './report-data';
import { REPORT_CLIENT_JS } from './report-client';
import { loadRun } from './run-files';
import { asText } from '../history/as-text';

export function escapeHtml(value: unknown): string {
  return asText(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** JSON safe to inline in a <script> element: nothing in it can close the element or start a comment. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
}

export function loadAssets(): ReportAssets {
  const js = fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = fs.readFileSync(
    path.join(path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), 'uPlot.min.css'),
    'utf8',
  );
  // An inline script ends at the first "</script"; uPlot's bundle has none, and this keeps it that way.
  return { uplotJs: js.replace(/<\/script/gi, '<\\/script'), uplotCss: css.replace(/<\/style/gi, '<\\/style') };
}

const verdictWord = (v: Validity | null): string =>
  v === true ? 'PASS' : v === false ? 'FAIL' : v === 'unknown' ? 'UNKNOWN' : 'NO VERDICT';
const verdictClass = (v: Validity | null): string => (v === true ? 'pass' : v === false ? 'fail' : 'unknown');
const s = (ms: number | null): string => (ms === null ? '–' : (ms / 1000).toFixed(3));
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(Math.round(v)));

function header(d: ReportData): string {
  const m = d.meta;
  const row = (k: string, v: unknown): string => `<span><b>${escapeHtml(k)}</b> ${escapeHtml(v)}</span>`;
  const meta = [
    row('target', m.target),
    row('runtime', m.runtime),
    row('seed', m.seed ?? '–'),
    row('git', m.git ?? 'unknown'),
    row('started', m.startedAt),
    row('status', m.status),
    row('run', m.runId),
    row('folder', m.dir),
  ].join('');
  const st = d.stats;
  const numbers = st
    ? `${st.requests} requests: ${st.ok} ok, ${st.fail} failed, ${st.info} unknown (info); ${st.rps} req/s; ` +
      `latency p50 ${ms(st.latencyMs.p50)} ms, p99 ${ms(st.latencyMs.p99)} ms, max ${ms(st.latencyMs.max)} ms; ` +
      `${st.sockets} client sockets, ${st.serverClosedSockets} closed by the server; ` +
      `${st.recycles.count} recycles; ${st.crashes} crashes; ` +
      `${st.replays?.retried ?? 0} requests replayed by the target (RequestRetried)`
    : 'No statistics (results.json missing).';
  return `<header>
<h1>${escapeHtml(m.scenario)} <span class="verdict ${verdictClass(m.valid)}">${verdictWord(m.valid)}</span></h1>
<p class="desc">${escapeHtml(m.description)}</p>
<p class="summary">${escapeHtml(m.summary)}</p>
<p class="meta">${meta}</p>
<p class="numbers">${escapeHtml(numbers)}</p>
</header>`;
}

function legend(): string {
  const sw = (cls: string, text: string): string => `<span class="sw ${cls}"></span>${escapeHtml(text)}`;
  const swatches = [
    sw('b-fault', 'fault window'),
    sw('b-recycle', 'recycle window'),
    sw('l-crash', 'crash / kill'),
    sw('l-detect', 'ping failed / stalled / timeout'),
    sw('l-pool', 'pool event'),
    sw('l-fault', 'signal / fault step'),
    sw('l-admin', 'harness action'),
  ];
  const hint = '<em>Hover a line or band for details; drag to zoom, double-click to reset.</em>';
  return `<p class="legend">${swatches.join(' ')} ${hint}</p>`;
}

function checksTable(d: ReportData): string {
  if (d.checks.length === 0) return '<p>No checks were recorded.</p>';
  const rows = d.checks.map((c) => {
    const cls = verdictClass(c.valid);
    const options = c.options ? `<br><small>${escapeHtml(c.options)}</small>` : '';
    const details = escapeHtml(JSON.stringify(c.details, null, 2));
    return (
      `<tr class="${cls}"><td>${escapeHtml(c.name)}${options}</td>` +
      `<td><span class="verdict ${cls}">${verdictWord(c.valid)}</span></td>` +
      `<td>${escapeHtml(c.summary)}<details><summary>details</summary><pre>${details}</pre></details></td></tr>`
    );
  });
  const head = '<thead><tr><th>check</th><th>verdict</th><th>summary</th></tr></thead>';
  return `<table class="grid">${head}<tbody>${rows.join('\n')}</tbody></table>`;
}

function recycleTable(d: ReportData): string {
  if (d.recycles.length === 0) return '<p>No recycles in this run.</p>';
  const rows = d.recycles.map((r) => {
    const drain =
      r.drainMs === null ? '–' : r.drainMs < 0 ? `${Math.round(r.drainMs)} (gap)` : String(Math.round(r.drainMs));
    const cells = [
      `#${r.recycleId}`,
      r.pool,
      r.reason,
      r.overlapped === null ? '?' : r.overlapped ? 'yes' : 'no',
      s(r.startMs),
      s(r.newReadyMs),
      s(r.oldExitMs),
      ms(r.durationMs),
      ms(r.overlapMs),
      drain,
      r.requests,
      r.failures,
      r.outcome,
    ];
    const cls = r.failures > 0 || r.outcome !== 'completed' ? 'fail' : '';
    return `<tr class="${cls}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const heads = [
    'recycle',
    'pool',
    'reason',
    'overlapped',
    'start (s)',
    'new worker ready (s)',
    'old worker exit (s)',
    'duration (ms)',
    'overlap (ms)',
    'drain (ms)',
    'requests',
    'failures',
    'outcome',
  ];
  const head = `<thead><tr>${heads.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  return `<table class="grid num">${head}<tbody>${rows.join('\n')}</tbody></table>
<p class="note">Overlap: the replacement process started → the old one exited (both alive).
Drain: replacement ready → old exited; negative means no worker was ready for that long.
Requests and failures: written between RecycleStarted and RecycleCompleted.</p>`;
}

function faultTable(d: ReportData): string {
  const faults = d.windows.filter((w) => w.kind === 'fault');
  if (faults.length === 0) return '';
  const rows = faults.map((w) => {
    const open = w.open ? ' (no heal mark; default width)' : '';
    const healed = w.instant ? 'instant' : escapeHtml(s(w.to * 1000) + open);

    return `<tr><td>${escapeHtml(w.label)}</td><td>${s(w.from * 1000)}</td><td>${healed}</td></tr>`;
  });
  const head = '<thead><tr><th>fault</th><th>injected (s)</th><th>healed (s)</th></tr></thead>';
  return `<h2>Faults</h2><table class="grid num">${head}<tbody>${rows.join('')}</tbody></table>`;
}

const PAGE_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 8px;font-size:18px}
.verdict{display:inline-block;padding:1px 8px;border-radius:4px;font-size:.8em;color:#fff;vertical-align:middle}
.verdict.pass{background:#2e8b57}.verdict.fail{background:#d62828}.verdict.unknown{background:#e59400}
.desc{margin:4px 0;color:#444}.summary{font-weight:600}.numbers{color:#333}
p.meta{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0;font-family:ui-monospace,monospace;font-size:13px}
p.meta b{font:12px system-ui,sans-serif;color:#666}
table.grid{border-collapse:collapse;width:100%}
table.grid th,table.grid td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
table.grid th{background:#f4f4f4}table.num td{font-variant-numeric:tabular-nums}tr.fail td{background:#fff4f4}
pre{max-height:320px;overflow:auto;background:#f8f8f8;padding:8px;font-size:12px}
.chart{margin:8px 0 18px;position:relative}.note{color:#666;font-size:12px}
.legend .sw{display:inline-block;width:18px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
.b-fault{background:rgba(217,112,106,.6)}.b-recycle{background:rgba(91,143,214,.5)}
.l-crash{border-left:2px dashed #c0392b}.l-detect{border-left:2px dashed #e67e22}.l-pool{border-left:2px dashed #8e44ad}
.l-fault{border-left:2px dashed #7b241c}.l-admin{border-left:2px dashed #7f8c8d}
.tip{position:absolute;display:none;z-index:100;background:rgba(255,255,255,.95);border:1px solid #999;padding:4px 6px;
font-size:12px;white-space:pre-wrap;max-width:420px;pointer-events:none}
`;

export function renderHtmlReport(d: ReportData, assets: ReportAssets = loadAssets()): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(`${d.meta.scenario} [${d.meta.target}] — ${verdictWord(d.meta.valid)}`)}</title>
<style>${assets.uplotCss}</style><style>${PAGE_CSS}</style></head>
<body data-charts-drawn="0">
${header(d)}
<h2>Timeline</h2>
${legend()}
<div id="chart-throughput" class="chart"></div><div id="chart-latency" class="chart"></div>
<div id="chart-failures" class="chart"></div><div id="chart-workers" class="chart"></div>
<div id="chart-memory" class="chart"></div>
<h2>Checks</h2>
${checksTable(d)}
<h2>Recycles</h2>
${recycleTable(d)}
${faultTable(d)}
<script type="application/json" id="report-data">${jsonForScript(d)}</script>
<script>${assets.uplotJs}</script>
<script>${REPORT_CLIENT_JS}</script>
</body></html>
`;
}

/** Renders report.html into the run folder from its stored files; returns the file's path. */
export function writeHtmlReport(runDir: string): string {
  const run = loadRun(runDir);
  const file = path.join(run.dir, 'report.html');
  fs.writeFileSync(file, renderHtmlReport(buildReportData(run)));
  return file;
}

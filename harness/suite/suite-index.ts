// index.html of a suite: one self-contained page (no script, no network) with the suite's counts and one row per
// run — scenario, target, outcome, the checks that did not pass, requests, time — linking each run's report.html
// and its other files. Links are relative, so the page works from a CI artifact or a copied folder.
import { escapeHtml } from '../report/html-report';
import type { RunOutcome } from '../runner/run-outcome';
import type { SuiteInfo, SuiteRun } from './suite-folder';
import { notRunText } from './suite-summary';

const WORD: Record<RunOutcome, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  unknown: 'UNKNOWN',
  'not-supported': 'NOT SUPPORTED',
};

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}
.meta{color:#555;margin:0 0 16px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.o{font-weight:600;padding:1px 6px;border-radius:3px;white-space:nowrap}
.pass{background:#dcf5dc;color:#135e13}.fail{background:#fadbdb;color:#8a1010}
.unknown{background:#fdf0c8;color:#6b4f00}.not-supported{background:#e8e8e8;color:#444}
.checks{color:#555;font-size:13px}
a{color:#0550ae}`;

function checksCell(r: SuiteRun): string {
  if (r.outcome === 'not-supported' || r.error) return escapeHtml(r.error ? `run error: ${r.error}` : r.summary);
  const open = r.checks.filter((c) => c.valid !== true);
  if (open.length === 0)
    return r.checks.length === 1
      ? 'its check passed'
      : r.checks.length
        ? `all ${r.checks.length} checks passed`
        : escapeHtml(r.summary);
  return open
    .map((c) => {
      const word = c.valid === false ? 'failed' : 'unknown';
      return `<div><b>${escapeHtml(c.name)}</b> (${word}): ${escapeHtml(c.summary)}</div>`;
    })
    .join('');
}

/** `files(run)`: which of the run's files exist (links are made only to those). */
export function renderSuiteIndex(
  info: SuiteInfo,
  files: (run: SuiteRun) => string[] = () => ['report.html', 'summary.md'],
): string {
  const c = info.counts;
  const title = `w3lab suite ${info.suiteId}`;
  const rows = info.runs.map((r) => {
    const base = r.dir.split('/').map(encodeURIComponent).join('/');
    const links = files(r)
      .map((f) => `<a href="${escapeHtml(`${base}/${f}`)}">${escapeHtml(f)}</a>`)
      .join(' · ');
    return (
      `<tr><td>${escapeHtml(r.scenario)}</td><td>${escapeHtml(r.target)}</td>` +
      `<td><span class="o ${r.outcome}">${WORD[r.outcome]}</span></td><td class="checks">${checksCell(r)}</td>` +
      `<td class="num">${r.requests}</td><td class="num">${r.failed}</td>` +
      `<td class="num">${(r.durationMs / 1000).toFixed(1)} s</td><td>${links}</td></tr>`
    );
  });
  const shard = info.shard ? `shard ${info.shard.index}/${info.shard.total} · ` : '';
  const merged = info.mergedFrom ? `merged from ${info.mergedFrom.length} suite(s) · ` : '';
  const interrupted =
    info.status === 'interrupted' || info.status === 'killed' ? ` · <b>${info.status}</b>${notRunText(info)}` : '';
  const heads = ['scenario', 'target', 'outcome', 'checks not passed', 'requests', 'failed', 'time', 'files'];
  return (
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${shard}${merged}${info.runs.length} run(s): ` +
    `${c.pass} passed, ${c.fail} failed, ${c.unknown} unknown, ${c['not-supported']} not supported · ` +
    `exit code ${info.exitCode} · started ${escapeHtml(info.startedAt)}${interrupted} · ` +
    `<a href="junit.xml">junit.xml</a> · <a href="summary.md">summary.md</a></p>
<table>
<thead><tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body></html>
`
  );
}

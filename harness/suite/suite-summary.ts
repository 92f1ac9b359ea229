// summary.md of a suite: what a CI job summary (e.g. GitHub's $GITHUB_STEP_SUMMARY) shows — the counts, one table
// row per run with its outcome and the checks that did not pass, and where the reports are.
import type { RunOutcome } from '../runner/run-outcome';
import type { SuiteInfo } from './suite-folder';

const WORD: Record<RunOutcome, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  unknown: 'UNKNOWN',
  'not-supported': 'not supported',
};
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** ", cut by the kill: x; never ran: y, z" for a suite that did not finish (empty when there is nothing to say). */
export function notRunText(info: SuiteInfo): string {
  const cut = (info.cut ?? []).map((c) => c.scenario);
  const parts = [
    ...(cut.length ? [`cut by the kill: ${cut.join(', ')}`] : []),
    ...(info.notRun?.length ? [`never ran: ${info.notRun.join(', ')}`] : []),
  ];
  return parts.length ? ` (${parts.join('; ')})` : '';
}

export function renderSuiteSummary(info: SuiteInfo): string {
  const c = info.counts;
  const head = c.fail
    ? `${c.fail} failed`
    : c.unknown
      ? `${c.unknown} unknown`
      : c.pass
        ? 'all passed'
        : 'nothing tested';
  const shard = info.shard ? `; shard ${info.shard.index}/${info.shard.total}` : '';
  const merged = info.mergedFrom ? `; merged from ${info.mergedFrom.length} suite(s)` : '';
  const interrupted =
    info.status === 'interrupted' || info.status === 'killed' ? `; **${info.status}**${notRunText(info)}` : '';
  const lines = [
    `# w3lab suite ${info.suiteId} — ${head}`,
    '',
    `${info.runs.length} run(s): ${c.pass} passed, ${c.fail} failed, ${c.unknown} unknown, ` +
      `${c['not-supported']} not supported; exit code ${info.exitCode}${shard}${merged}${interrupted}.`,
    '',
    '| scenario | target | outcome | checks not passed | requests | failed | time | report |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of info.runs) {
    const open = r.checks
      .filter((k) => k.valid !== true)
      .map((k) => `${k.name} (${k.valid === false ? 'failed' : 'unknown'})`);
    const notes = r.error
      ? `run error: ${r.error}`
      : r.outcome === 'not-supported'
        ? r.summary
        : open.join(', ') || '—';
    lines.push(
      `| ${cell(r.scenario)} | ${cell(r.target)} | ${WORD[r.outcome]} | ${cell(notes)} | ` +
        `${r.requests} | ${r.failed} | ` +
        `${(r.durationMs / 1000).toFixed(1)} s | ${cell(r.dir)}/report.html |`,
    );
  }
  lines.push(
    '',
    'Files: index.html (every run, linked), junit.xml (every check), ' +
      'and per run report.html, junit.xml, results.json, summary.md.',
    '',
  );
  return lines.join('\n');
}

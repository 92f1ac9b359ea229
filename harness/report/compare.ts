// `w3lab compare BASELINE RUN`: a regression report on recycle behaviour. Each side is a run folder, a results
// folder holding several scenario runs (the newest run of each scenario counts; `w3lab matrix` runs only when the
// folder named is a matrix or one of its target folders), or the name of a saved baseline
// (results/baselines/NAME). Runs are matched by scenario name; each matched pair's metrics (compare-metrics.ts) are
// judged against thresholds (compare-thresholds.ts). Output: Markdown (compare.md) and JSON (compare.json).
// Exit code: 1 when a threshold is crossed, else 0; bad input (missing folder, unknown scenario) is 254.
import fs from 'node:fs';
import path from 'node:path';
import { loadRun, RunFolderError, type LoadedRun } from './run-files';
import { defaultBaselinesDir, resolveSide } from './compare-sides';
import { METRIC_KEYS, METRICS, recycleMetrics, type MetricKey, type RunMetrics } from './compare-metrics';
import { describeThreshold, judge, parseThresholds, type Judgement, type Thresholds } from './compare-thresholds';

export { defaultBaselinesDir, resolveSide };

export interface CompareOptions {
  thresholds?: string[];
  /** Only these scenarios (each must be on both sides). */
  scenarios?: string[];
  baselinesDir?: string;
}

export interface MetricRow extends Judgement {
  key: MetricKey;
  label: string;
  unit: string;
  baseline: number | null;
  run: number | null;
  threshold: string;
}

export interface ScenarioComparison {
  scenario: string;
  baseline: {
    dir: string;
    target: string;
    runtime: string;
    seed: number | null;
    git: string | null;
    counts: RunMetrics['counts'];
  };
  run: {
    dir: string;
    target: string;
    runtime: string;
    seed: number | null;
    git: string | null;
    counts: RunMetrics['counts'];
  };
  metrics: MetricRow[];
  crossed: MetricKey[];
}

export interface CompareReport {
  baseline: string;
  run: string;
  thresholds: Thresholds;
  scenarios: ScenarioComparison[];
  onlyInBaseline: string[];
  onlyInRun: string[];
  crossed: { scenario: string; metric: MetricKey; text: string }[];
  /** Comparisons that may not mean what they seem (different targets or runtimes on the two sides). */
  warnings: string[];
  exitCode: 0 | 1;
}

const info = (run: LoadedRun, m: RunMetrics) => ({
  dir: run.dir,
  target: run.info.target,
  runtime: run.info.runtime ?? 'process',
  seed: typeof run.info.seed === 'number' ? run.info.seed : null,
  git: run.info.versions?.git ?? null,
  counts: m.counts,
});

export function compareScenario(
  scenario: string,
  base: LoadedRun,
  run: LoadedRun,
  thresholds: Thresholds,
): ScenarioComparison {
  const bm = recycleMetrics(base);
  const rm = recycleMetrics(run);
  const metrics = METRIC_KEYS.map((key): MetricRow => {
    const d = METRICS[key];
    const j = judge(key, bm.values[key], rm.values[key], thresholds[key]);
    return {
      key,
      label: d.label,
      unit: d.unit,
      baseline: bm.values[key],
      run: rm.values[key],
      threshold: describeThreshold(key, thresholds[key]),
      ...j,
    };
  });
  return {
    scenario,
    baseline: info(base, bm),
    run: info(run, rm),
    metrics,
    crossed: metrics.filter((m) => m.status === 'crossed').map((m) => m.key),
  };
}

export function compare(baselineArg: string, runArg: string, o: CompareOptions = {}): CompareReport {
  const thresholds = parseThresholds(o.thresholds ?? []);
  const baselines = resolveSide(baselineArg, o.baselinesDir);
  const runs = resolveSide(runArg, o.baselinesDir);
  const common = [...runs.keys()].filter((s) => baselines.has(s)).sort();
  let pairs: [string, string, string][];
  let single = false;
  if (o.scenarios?.length) {
    const unknown = o.scenarios.filter((s) => !baselines.has(s) || !runs.has(s));
    if (unknown.length)
      throw new RunFolderError(`unknown scenario ${unknown.join(', ')}: not in both ${baselineArg} and ${runArg}`);
    pairs = o.scenarios.map((s) => [s, baselines.get(s)!, runs.get(s)!]);
  } else if (common.length) {
    pairs = common.map((s) => [s, baselines.get(s)!, runs.get(s)!]);
  } else if (baselines.size === 1 && runs.size === 1) {
    // Two single run folders compare with each other whatever their scenario names.
    single = true;
    const [b, bdir] = [...baselines][0]!;
    const [r, rdir] = [...runs][0]!;
    pairs = [[`${b} vs ${r}`, bdir, rdir]];
  } else {
    const names = (m: Map<string, unknown>): string => [...m.keys()].join(', ');
    throw new RunFolderError(`no scenario in common: the baseline has ${names(baselines)}; the run has ${names(runs)}`);
  }
  const scenarios = pairs.map(([s, b, r]) => compareScenario(s, loadRun(b), loadRun(r), thresholds));
  const crossed = scenarios.flatMap((c) =>
    c.metrics
      .filter((m) => m.status === 'crossed')
      .map((m) => ({
        scenario: c.scenario,
        metric: m.key,
        text: `${m.label}: ${fmt(m.baseline, m.unit)} → ${fmt(m.run, m.unit)} (allowed ${m.threshold})`,
      })),
  );
  const warnings = scenarios.flatMap((c) => mismatches(c));
  return {
    baseline: baselineArg,
    run: runArg,
    thresholds,
    scenarios,
    warnings,
    onlyInBaseline: single ? [] : [...baselines.keys()].filter((s) => !runs.has(s)).sort(),
    onlyInRun: single ? [] : [...runs.keys()].filter((s) => !baselines.has(s)).sort(),
    crossed,
    exitCode: crossed.length ? 1 : 0,
  };
}

/** A baseline of one target (or runtime) against a run of another compares two different systems. */
function mismatches(c: ScenarioComparison): string[] {
  const out: string[] = [];
  if (c.baseline.target !== c.run.target) {
    out.push(
      `${c.scenario}: the baseline ran against ${c.baseline.target} and the run against ${c.run.target}; ` +
        'the numbers compare two different systems',
    );
  }
  if (c.baseline.runtime !== c.run.runtime) {
    const { runtime } = c.baseline;
    out.push(`${c.scenario}: the baseline ran in the ${runtime} runtime and the run in the ${c.run.runtime} runtime`);
  }
  return out;
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return '–';
  const n = Number.isInteger(v) ? String(v) : v.toFixed(1);
  return unit ? `${n} ${unit}` : n;
}

function change(m: MetricRow): string {
  if (m.delta === null) return '–';
  const sign = m.delta > 0 ? '+' : m.delta < 0 ? '−' : '±';
  const a = Math.abs(m.delta);
  const pctSign = (m.deltaPct ?? 0) > 0 ? '+' : '−';
  const pct = m.deltaPct !== null && m.delta !== 0 ? ` (${pctSign}${Math.abs(m.deltaPct).toFixed(0)} %)` : '';
  return `${sign}${Number.isInteger(a) ? a : a.toFixed(1)}${pct}`;
}

const STATUS_TEXT: Record<MetricRow['status'], string> = {
  ok: 'ok',
  crossed: '**CROSSED**',
  reported: '(reported)',
  'n/a': 'n/a',
  new: 'new in run',
  missing: 'missing in run',
};
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderCompareMarkdown(r: CompareReport): string {
  const n = r.crossed.length;
  const out = [
    `# Recycle regression report — ${n ? `${n} threshold${n > 1 ? 's' : ''} crossed` : 'no threshold crossed'}`,
    '',
    `- baseline: \`${cell(r.baseline)}\``,
    `- run: \`${cell(r.run)}\``,
    '',
  ];
  if (r.warnings.length) out.push('## Warnings', '', ...r.warnings.map((w) => `- ${cell(w)}`), '');
  if (r.crossed.length)
    out.push('## Crossed', '', ...r.crossed.map((c) => `- **${cell(c.scenario)}** — ${cell(c.text)}`), '');
  for (const s of r.scenarios) {
    const side = (x: ScenarioComparison['run']): string =>
      `${cell(x.target)}, seed ${x.seed ?? '?'}, git ${x.git ?? '?'}: ` +
      `${x.counts.requests} requests, ${x.counts.recycles} recycles, ` +
      `${x.counts.detections}/${x.counts.faults} crash/hang faults detected — \`${cell(x.dir)}\``;
    out.push(
      `## ${cell(s.scenario)} — ${s.crossed.length ? 'REGRESSED' : 'ok'}`,
      '',
      `- baseline: ${side(s.baseline)}`,
      `- run: ${side(s.run)}`,
      '',
    );
    out.push('| metric | baseline | run | change | threshold | result |', '| --- | ---: | ---: | ---: | --- | --- |');
    for (const m of s.metrics)
      out.push(
        `| ${m.label} | ${fmt(m.baseline, m.unit)} | ${fmt(m.run, m.unit)} | ${change(m)} | ` +
          `${m.threshold} | ${STATUS_TEXT[m.status]} |`,
      );
    out.push('');
  }
  if (r.onlyInBaseline.length) out.push(`Only in the baseline (not compared): ${r.onlyInBaseline.join(', ')}`, '');
  if (r.onlyInRun.length) out.push(`Only in the run (no baseline, not compared): ${r.onlyInRun.join(', ')}`, '');
  out.push(
    'Requests "during recycles" are those written between RecycleStarted and RecycleCompleted; ' +
      'throughput counts ok requests.',
    '',
  );
  return out.join('\n');
}

/** Writes compare.md and compare.json into `outDir`; returns their paths. */
export function writeCompare(r: CompareReport, outDir: string): { md: string; json: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const md = path.join(outDir, 'compare.md');
  const json = path.join(outDir, 'compare.json');
  fs.writeFileSync(md, renderCompareMarkdown(r));
  fs.writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  return { md, json };
}

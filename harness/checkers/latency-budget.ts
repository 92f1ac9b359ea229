// Checker latencyBudget: latency percentiles of the requests in a window stay within a budget. Computed from the
// tracked client's per-request timestamps, not from autocannon, whose latencies are unreliable once connections were
// closed or refused. A request that failed never got its answer in time: by default it counts as over every budget
// (`failed: over-budget`), so a run of fast 503s cannot look fast; `measured` counts its time to the error instead,
// `excluded` leaves it out (then say so: the verdict names how many were left out).
import { z } from 'zod';
import type { RequestRecord } from '../history/types';
import {
  defineChecker,
  describeWindow,
  percentile,
  requestWindowShape,
  selectRequests,
  summarise,
  verdict,
} from './shared';

const budget = (what: string) => z.number().nonnegative().optional().describe(`max ${what} latency, ms`);

export const latencyBudgetOptions = z.strictObject({
  ...requestWindowShape,
  p50: budget('median'),
  p90: budget('90th percentile'),
  p95: budget('95th percentile'),
  p99: budget('99th percentile'),
  max: budget('maximum'),
  failed: z
    .enum(['over-budget', 'measured', 'excluded'])
    .default('over-budget')
    .describe('how fail/info requests count: over every budget, by their time to the error, or not at all'),
  pathPrefix: z.string().optional().describe('only requests whose path starts with this prefix'),
  minSamples: z.number().int().positive().default(20).describe('fewer requests answer unknown'),
});

const BUDGET_KEYS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;

export const latencyBudget = defineChecker('latencyBudget', latencyBudgetOptions, (input, o) => {
  const sel = selectRequests(input, o);
  if (!sel.ok) return verdict('unknown', `Cannot place the window: ${sel.reason}.`, {});
  const inScope = sel.value.requests.filter((r) => o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix));
  const ok = (r: RequestRecord): boolean => r.outcome === 'ok';
  const failed = inScope.filter((r) => !ok(r));
  const samples = o.failed === 'excluded' ? inScope.filter(ok) : inScope;
  // A failed request's latency: Infinity (over any budget) unless its time to the error is what counts.
  const latency = (r: RequestRecord): number => (ok(r) || o.failed === 'measured' ? r.latencyMs : Infinity);
  const values = samples.map(latency).sort((a, b) => a - b);
  const stats = summarise(samples.filter((r) => Number.isFinite(latency(r))).map(latency));
  const budgets = Object.fromEntries(BUDGET_KEYS.flatMap((k) => (o[k] !== undefined ? [[k, o[k]]] : [])));
  const details = {
    window: describeWindow(input, sel.value.window),
    ...(o.phase !== undefined ? { phase: o.phase } : {}),
    samples: samples.length,
    failedRequests: failed.length,
    failedCountAs: o.failed,
    stats,
    budgets,
  };
  if (samples.length < o.minSamples) {
    return verdict('unknown', `Only ${samples.length} requests to measure (need ${o.minSamples}).`, details);
  }
  // There are at least minSamples (≥ 1) values here, so every rank has one.
  const at = (k: (typeof BUDGET_KEYS)[number]): number =>
    k === 'max' ? values[values.length - 1]! : percentile(values, Number(k.slice(1)))!;
  const over = BUDGET_KEYS.flatMap((k) => {
    const limit = o[k];
    const actual = at(k);
    if (limit === undefined || actual <= limit) return [];
    return [Number.isFinite(actual) ? `${k} ${actual} ms > ${limit} ms` : `${k} is a failed request (> ${limit} ms)`];
  });
  const failNote =
    failed.length === 0
      ? ''
      : o.failed === 'excluded'
        ? `; ${failed.length} failed requests left out (failed: excluded)`
        : `; ${failed.length} failed`;
  const shown = `p50 ${String(stats.p50)} ms, p99 ${String(stats.p99)} ms, max ${String(stats.max)} ms`;
  if (over.length > 0) {
    return verdict(false, `Latency over budget: ${over.join(', ')} (${samples.length} requests${failNote}).`, details);
  }
  return verdict(true, `Latency within budget over ${samples.length} requests: ${shown}${failNote}.`, details);
});

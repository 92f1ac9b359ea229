// Checker latencyBudget: latency percentiles of the requests in a window stay within a budget. Computed from the
// tracked client's per-request timestamps, not from autocannon, whose latencies are unreliable once connections were
// closed or refused (HARNESS-ANCHORS §2.10.4). Only ok requests count unless includeFailed, so a fast 503 cannot
// make a budget look met.
import { z } from 'zod';
import { defineChecker, describeWindow, requestWindowShape, selectRequests, summarise, verdict } from './shared';

const budget = (what: string) => z.number().nonnegative().optional().describe(`max ${what} latency, ms`);

export const latencyBudgetOptions = z.strictObject({
  ...requestWindowShape,
  p50: budget('median'),
  p90: budget('90th percentile'),
  p95: budget('95th percentile'),
  p99: budget('99th percentile'),
  max: budget('maximum'),
  includeFailed: z.boolean().default(false).describe('also count fail/info requests (their latency is time to error)'),
  pathPrefix: z.string().optional().describe('only requests whose path starts with this prefix'),
  minSamples: z.number().int().positive().default(20).describe('fewer requests answer unknown'),
});

const BUDGET_KEYS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;

export const latencyBudget = defineChecker('latencyBudget', latencyBudgetOptions, (input, o) => {
  const sel = selectRequests(input, o);
  if (!sel.ok) return verdict('unknown', `Cannot place the window: ${sel.reason}.`, {});
  const samples = sel.value.requests.filter(
    (r) => (o.includeFailed || r.outcome === 'ok') && (o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix)),
  );
  const stats = summarise(samples.map((r) => r.latencyMs));
  const budgets = Object.fromEntries(BUDGET_KEYS.flatMap((k) => (o[k] !== undefined ? [[k, o[k]]] : [])));
  const details = {
    window: describeWindow(input, sel.value.window),
    ...(o.phase !== undefined ? { phase: o.phase } : {}),
    samples: samples.length,
    stats,
    budgets,
  };
  if (samples.length < o.minSamples) {
    return verdict('unknown', `Only ${samples.length} requests to measure (need ${o.minSamples}).`, details);
  }
  const over = BUDGET_KEYS.flatMap((k) => {
    const limit = o[k];
    const actual = stats[k];
    return limit !== undefined && actual !== undefined && actual > limit ? [`${k} ${actual} ms > ${limit} ms`] : [];
  });
  const shown = `p50 ${String(stats.p50)} ms, p99 ${String(stats.p99)} ms, max ${String(stats.max)} ms`;
  if (over.length > 0) {
    return verdict(false, `Latency over budget: ${over.join(', ')} (${samples.length} requests).`, details);
  }
  return verdict(true, `Latency within budget over ${samples.length} requests: ${shown}.`, details);
});

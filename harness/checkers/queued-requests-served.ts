// Checker queuedRequestsServed: requests that arrive while a pool has no ready worker (crash gap, non-overlapped
// recycle, demand start) wait in the pool's queue and are served once a worker is ready (IIS-SPEC §3.4, §3.6.4) —
// not refused, reset or 503'd. Gaps are derived from the event log: a worker counts as ready from WorkerReady until
// it drains or ends (WorkerDraining / WorkerExited / WorkerCrashed / WorkerKilled); time while the pool is stopped
// is not a gap (503 is then the specified answer), nor is the time before the pool's first event.
import { z } from 'zod';
import type { RequestRecord } from '../history/types';
import type { CheckInput } from './types';
import {
  defineChecker,
  describeWindow,
  endOf,
  EXAMPLES,
  eventsOf,
  inWindow,
  poolsOf,
  requestBrief,
  requestsOf,
  verdict,
  WORKER_GONE,
  type Window,
} from './shared';

export const queuedRequestsServedOptions = z.strictObject({
  pool: z.string().optional().describe('the pool to check (default: the only pool in the event log)'),
  pathPrefix: z.string().optional().describe("picks the pool's requests from the history (default: all requests)"),
  allowQueueFull: z
    .boolean()
    .default(false)
    .describe('a 503 is acceptable when the pool reported QueueFull during the gap'),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

/** Intervals during which the pool had no worker ready to take a request. */
export function noReadyWorkerGaps(input: CheckInput, pool: string): Window[] {
  const gaps: Window[] = [];
  const ready = new Set<string>();
  let stopped = false;
  let openedAt: number | undefined;
  for (const e of eventsOf(input, pool)) {
    const key = e.pid !== undefined ? `pid:${e.pid}` : `worker:${String(e.workerId)}`;
    if (e.type === 'WorkerReady') ready.add(key);
    else if (e.type === 'WorkerDraining' || WORKER_GONE.includes(e.type)) ready.delete(key);
    else if (e.type === 'PoolStopped') stopped = true;
    else if (e.type === 'PoolStarted') stopped = false;
    const inGap = !stopped && ready.size === 0;
    if (inGap && openedAt === undefined) openedAt = e.t;
    if (!inGap && openedAt !== undefined) {
      if (e.t > openedAt) gaps.push({ from: openedAt, to: e.t });
      openedAt = undefined;
    }
  }
  if (openedAt !== undefined) gaps.push({ from: openedAt, to: Infinity });
  return gaps;
}

export const queuedRequestsServed = defineChecker('queuedRequestsServed', queuedRequestsServedOptions, (input, o) => {
  const pools = poolsOf(input);
  const pool = o.pool ?? (pools.length === 1 ? pools[0] : undefined);
  if (pool === undefined) {
    return verdict(
      'unknown',
      pools.length === 0 ? 'No pool events: cannot tell when workers were ready.' : 'Several pools: set option pool.',
      { pools },
    );
  }
  const queueFull = eventsOf(input, pool, ['QueueFull']);
  const requests = requestsOf(input).filter((r) => o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix));
  // A 503 is QueueFull's only when the pool reported an overflow during this gap.
  const overflowed = (gap: Window, r: RequestRecord): boolean =>
    queueFull.some((e) => e.t >= gap.from && e.t <= Math.max(gap.to, endOf(r)));
  const acceptable = (r: RequestRecord, gap: Window): boolean =>
    r.outcome === 'ok' || (o.allowQueueFull && r.status === 503 && overflowed(gap, r));

  const gaps = noReadyWorkerGaps(input, pool).map((gap) => {
    const inGap = requests.filter((r) => inWindow(gap, r.t));
    return { gap, requests: inGap, bad: inGap.filter((r) => !acceptable(r, gap)) };
  });
  const withRequests = gaps.filter((g) => g.requests.length > 0);
  const bad = withRequests.flatMap((g) => g.bad);
  const details = {
    pool,
    gaps: gaps.length,
    gapsWithRequests: withRequests.map((g) => ({
      ...describeWindow(input, g.gap),
      durationMs: Number.isFinite(g.gap.to) ? g.gap.to - g.gap.from : null,
      requests: g.requests.length,
      ok: g.requests.filter((r) => r.outcome === 'ok').length,
      notServed: g.bad.length,
    })),
    queuedRequests: withRequests.reduce((n, g) => n + g.requests.length, 0),
    notServed: bad.length,
    examples: bad.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
  };
  if (withRequests.length === 0) {
    const none = `No request arrived while pool ${pool} had no ready worker (${gaps.length} gaps).`;
    return verdict('unknown', none, details);
  }
  if (bad.length > 0) {
    return verdict(
      false,
      `${bad.length} of ${details.queuedRequests} requests that arrived while pool ${pool} had no ready worker ` +
        'were not served.',
      details,
    );
  }
  return verdict(
    true,
    `All ${details.queuedRequests} requests that arrived while pool ${pool} had no ready worker were served.`,
    details,
  );
});

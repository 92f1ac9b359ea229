// Checker queuedRequestsServed: requests that arrive while a pool has no ready worker (crash gap, non-overlapped
// recycle, demand start) wait in the pool's queue and are served once a worker is ready — not refused, reset or 503'd
// (a 503 is acceptable only with allowQueueFull and only when the queue was full at its arrival, judged per request).
// The verdict says how many were served and how many got 200. Gaps are derived from the event log: a worker counts as
// ready from WorkerReady until it drains or ends (WorkerDraining / WorkerExited / WorkerCrashed / WorkerKilled); time
// while the pool is stopped is not a gap (503 is then the specified answer), nor is the time before the pool's first
// event.
import { z } from 'zod';
import type { RequestRecord } from '../history/types';
import type { CheckInput } from './types';
import type { LabEventOf } from '../events';
import {
  countBy,
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
    .describe('a 503 is acceptable when the queue was full at its arrival (the pool reported QueueFull for it)'),
  clockSlackMs: z
    .number()
    .nonnegative()
    .default(50)
    .describe("slack between the client's times and the target's event times when matching a 503 to its QueueFull"),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

/** Intervals during which the pool had no worker ready to take a request. */
export function noReadyWorkerGaps(input: CheckInput, pool: string): Window[] {
  const gaps: Window[] = [];
  // Workers by pid: every worker event carries one (the vocabulary requires it); worker ids are reused.
  const ready = new Set<number | undefined>();
  let stopped = false;
  let openedAt: number | undefined;
  for (const e of eventsOf(input, pool)) {
    if (e.type === 'WorkerReady') ready.add(e.pid);
    else if (e.type === 'WorkerDraining' || WORKER_GONE.includes(e.type)) ready.delete(e.pid);
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

/**
 * Which 503s the queue state excuses: each needs its own QueueFull report while it was outstanding, and — when the
 * pool says its queue length — at least that many other requests outstanding at its arrival (a queue cannot be
 * full with fewer waiting). One QueueFull excuses one 503, never a whole gap.
 */
function queueFullExcused(
  rejected: RequestRecord[],
  all: RequestRecord[],
  queueFull: LabEventOf<'QueueFull'>[],
  slackMs: number,
): Set<RequestRecord> {
  const used = new Set<LabEventOf<'QueueFull'>>();
  const ok = new Set<RequestRecord>();
  // 503s in the order they were answered, each taking the earliest report it can: this pairs as many as can be
  // paired. In write order, a 503 answered late could take the only report a quicker one had (judged unexcused).
  for (const r of [...rejected].sort((a, b) => endOf(a) - endOf(b))) {
    const report = queueFull.find((e) => !used.has(e) && e.t >= r.t - slackMs && e.t <= endOf(r) + slackMs);
    if (!report) continue;
    const limit = report.queueLength;
    if (limit !== undefined) {
      const waiting = all.filter((x) => x !== r && x.t <= r.t && endOf(x) > r.t).length;
      if (waiting < limit) continue;
    }
    used.add(report);
    ok.add(r);
  }
  return ok;
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
  const requests = requestsOf(input).filter((r) => o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix));
  const gaps = noReadyWorkerGaps(input, pool).map((gap) => ({
    gap,
    requests: requests.filter((r) => inWindow(gap, r.t)),
  }));
  const withRequests = gaps.filter((g) => g.requests.length > 0);
  const inGaps = withRequests.flatMap((g) => g.requests);
  const served = inGaps.filter((r) => r.outcome === 'ok');
  const rejected503 = inGaps.filter((r) => r.outcome !== 'ok' && r.status === 503);
  const excused = o.allowQueueFull
    ? queueFullExcused(rejected503, requests, eventsOf(input, pool, ['QueueFull']), o.clockSlackMs)
    : new Set<RequestRecord>();
  const bad = inGaps.filter((r) => r.outcome !== 'ok' && !excused.has(r));
  const details = {
    pool,
    gaps: gaps.length,
    gapsWithRequests: withRequests.map((g) => ({
      ...describeWindow(input, g.gap),
      durationMs: Number.isFinite(g.gap.to) ? g.gap.to - g.gap.from : null,
      requests: g.requests.length,
      ok: g.requests.filter((r) => r.outcome === 'ok').length,
      notServed: g.requests.filter((r) => bad.includes(r)).length,
    })),
    queuedRequests: inGaps.length,
    served: served.length,
    status200: served.filter((r) => r.status === 200).length,
    queueFull503: excused.size,
    notServed: bad.length,
    byAnswer: countBy(inGaps, (r) => (r.status !== undefined ? String(r.status) : (r.error ?? r.outcome))),
    examples: bad.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
  };
  if (withRequests.length === 0) {
    const none = `No request arrived while pool ${pool} had no ready worker (${gaps.length} gaps).`;
    return verdict('unknown', none, details);
  }
  const tally =
    `${served.length} served (${details.status200} with 200)` +
    (o.allowQueueFull ? `, ${excused.size} refused with 503 while the queue was full (allowQueueFull)` : '');
  const arrived = `${inGaps.length} requests arrived while pool ${pool} had no ready worker`;
  if (bad.length > 0) {
    const unexcused = rejected503.length - excused.size;
    const why = o.allowQueueFull && unexcused > 0 ? ` (${unexcused} of them 503 while the queue was not full)` : '';
    return verdict(false, `${arrived}: ${tally}; ${bad.length} were not served${why}.`, details);
  }
  if (served.length === 0) {
    return verdict(
      'unknown',
      `${arrived}, and every one was refused as the queue was full: none shows a queued request served.`,
      details,
    );
  }
  return verdict(true, `${arrived}: ${tally}.`, details);
});

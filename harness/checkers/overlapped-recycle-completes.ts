// Checker overlappedRecycleCompletes: an overlapped recycle — the replacement starts and becomes ready while the
// old worker still serves, then the old one drains. Every RecycleStarted ends in a RecycleCompleted; the
// replacement is ready before the old worker exits; no request waits for the replacement (one sent before it was
// ready was either answered by the old worker or, if the replacement answered it, it waited in a queue — a gap the
// overlap exists to avoid); the replacement answers nothing before it is ready (a dispatch bug); and once it is
// ready the old worker takes no new requests (those in flight may finish). Requests are attributed to workers by
// the worker-pid response header the tracked client records as `workerPid`.
import { z } from 'zod';
import type { LabEvent, LabEventOf } from '../events';
import type { CheckInput } from './types';
import { defineChecker, endOf, EXAMPLES, eventsOf, requestBrief, requestsOf, verdict, WORKER_GONE } from './shared';

export const overlappedRecycleCompletesOptions = z.strictObject({
  pool: z.string().optional().describe('only recycles of this pool (default: all pools)'),
  minRecycles: z.number().int().nonnegative().default(1).describe('fewer recycles observed answers unknown'),
  maxDurationMs: z.number().positive().optional().describe('max time from RecycleStarted to RecycleCompleted'),
  graceMs: z
    .number()
    .nonnegative()
    .default(50)
    .describe('clock slack around the new worker Ready time when attributing requests to old/new worker'),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

type Options = z.output<typeof overlappedRecycleCompletesOptions>;

type Started = LabEventOf<'RecycleStarted'>;

const sameRecycle = (a: { pool: string; recycleId: number }, b: Started): boolean =>
  a.pool === b.pool && a.recycleId === b.recycleId;

/** Reconstructs one recycle from the event log and judges it. */
function judgeRecycle(input: CheckInput, o: Options, started: Started) {
  const after = (e: LabEvent): boolean => e.t >= started.t;
  const pool = started.pool;
  const completed = eventsOf(input, pool, ['RecycleCompleted']).find((e) => after(e) && sameRecycle(e, started));
  const overlapFailed = eventsOf(input, pool, ['RecycleOverlapFailed']).find(
    (e) => after(e) && sameRecycle(e, started),
  );
  const completedNewPid = completed?.newPid;
  const ready = eventsOf(input, pool, ['WorkerReady']).find(
    (e) =>
      after(e) && (e.recycleId === started.recycleId || (completedNewPid !== undefined && e.pid === completedNewPid)),
  );
  const newPid = completedNewPid ?? ready?.pid;
  const oldPid = completed?.oldPid ?? started.pid;
  const oldExit = eventsOf(input, pool, WORKER_GONE).find((e) => after(e) && e.pid === oldPid);

  const problems: string[] = [];
  if (overlapFailed) problems.push('overlap failed (event 5093)');
  if (!completed) problems.push('no RecycleCompleted');
  if (!ready) problems.push('the new worker never became ready');
  if (ready && oldExit && oldExit.t < ready.t) {
    problems.push(`not overlapped: the old worker exited ${ready.t - oldExit.t} ms before the new one was ready`);
  }
  const end = completed?.t ?? oldExit?.t;
  if (o.maxDurationMs !== undefined && end !== undefined && end - started.t > o.maxDurationMs) {
    problems.push(`took ${end - started.t} ms (max ${o.maxDurationMs})`);
  }
  const requests = requestsOf(input);
  const readyAt = ready?.t ?? Infinity;
  const sentEarly = requests.filter((r) => newPid !== undefined && r.workerPid === newPid && r.t < readyAt - o.graceMs);
  // Answered (complete) before the replacement said it was ready: it served while not ready.
  const servedEarly = sentEarly.filter((r) => endOf(r) < readyAt - o.graceMs);
  // Sent before ready but answered after: no worker took it meanwhile; it waited for the replacement.
  const waited = sentEarly.filter((r) => endOf(r) >= readyAt - o.graceMs);
  const late = requests.filter((r) => r.workerPid === oldPid && r.t > readyAt + o.graceMs);
  if (servedEarly.length > 0)
    problems.push(`the new worker served ${servedEarly.length} request(s) before it was ready`);
  if (waited.length > 0) {
    problems.push(
      `${waited.length} request(s) sent before the new worker was ready were served by it after` +
        ' (they waited: no worker took them meanwhile)',
    );
  }
  if (late.length > 0) problems.push(`the old worker took ${late.length} new request(s) after the new one was ready`);

  const ms = (e?: LabEvent): number | null => (e ? e.t - started.t : null);
  return {
    problems,
    details: {
      pool,
      recycleId: started.recycleId,
      reason: started.reason,
      at: started.t - input.start,
      oldPid: oldPid ?? null,
      newPid: newPid ?? null,
      startToReadyMs: ms(ready),
      startToOldExitMs: ms(oldExit),
      readyToOldExitMs: ready && oldExit ? oldExit.t - ready.t : null,
      startToCompleteMs: ms(completed),
      oldExit: oldExit?.type ?? null,
      requestsNewBeforeReady: servedEarly.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
      requestsSentBeforeReadyServedAfter: waited.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
      requestsOldAfterReady: late.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
      problems,
    },
  };
}

export const overlappedRecycleCompletes = defineChecker(
  'overlappedRecycleCompletes',
  overlappedRecycleCompletesOptions,
  (input, o) => {
    // A recycle the pool cancelled (an admin stop in the middle) is not an overlap that went wrong.
    const cancelled = eventsOf(input, o.pool, ['RecycleCompleted']).filter((e) => e.cancelled === true);
    const recycles = eventsOf(input, o.pool, ['RecycleStarted'])
      .filter((e) => !cancelled.some((c) => sameRecycle(c, e)))
      .map((e) => judgeRecycle(input, o, e));
    const bad = recycles.filter((r) => r.problems.length > 0);
    const details = { recycles: recycles.length, failed: bad.length, perRecycle: recycles.map((r) => r.details) };
    const where = o.pool !== undefined ? ` of pool ${o.pool}` : '';
    if (bad.length > 0) {
      const first = bad[0]?.details;
      return verdict(
        false,
        `${bad.length} of ${recycles.length} recycles${where} went wrong; recycle ${String(first?.recycleId)}: ` +
          `${first?.problems.join('; ') ?? ''}.`,
        details,
      );
    }
    if (recycles.length === 0) return verdict('unknown', `No recycle${where} happened.`, details);
    if (recycles.length < o.minRecycles) {
      const seen = `Only ${recycles.length} of ${o.minRecycles} expected recycles${where} happened.`;
      return verdict('unknown', seen, details);
    }
    return verdict(true, `All ${recycles.length} recycles${where} overlapped and completed.`, details);
  },
);

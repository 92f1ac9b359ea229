// Checker overlappedRecycleCompletes: IIS overlapped recycle (IIS-SPEC §3.3). Every RecycleStarted ends in a
// RecycleCompleted; the replacement is Ready before the old worker exits; the replacement serves nothing before it
// is Ready; and once it is Ready the old worker takes no new requests (those already in flight may finish).
// Request-to-worker attribution comes from the X-W3-Worker-Pid header recorded as `workerPid`.
import { z } from 'zod';
import type { W3Event } from '../../targets/w3/events/event-types';
import type { CheckInput } from './types';
import {
  defineChecker,
  EXAMPLES,
  eventsOf,
  numberField,
  requestBrief,
  requestsOf,
  verdict,
  WORKER_GONE,
} from './shared';

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

const sameRecycle = (a: W3Event, b: W3Event): boolean => a.pool === b.pool && a.recycleId === b.recycleId;

/** Reconstructs one recycle from the event log and judges it. */
function judgeRecycle(input: CheckInput, o: Options, started: W3Event) {
  const after = (e: W3Event): boolean => e.t >= started.t;
  const pool = started.pool;
  const completed = eventsOf(input, pool, ['RecycleCompleted']).find((e) => after(e) && sameRecycle(e, started));
  const overlapFailed = eventsOf(input, pool, ['RecycleOverlapFailed']).find(
    (e) => after(e) && sameRecycle(e, started),
  );
  const completedNewPid = completed ? numberField(completed, 'newPid') : undefined;
  const ready = eventsOf(input, pool, ['WorkerReady']).find(
    (e) =>
      after(e) &&
      ((started.recycleId !== undefined && e.recycleId === started.recycleId) ||
        (completedNewPid !== undefined && e.pid === completedNewPid)),
  );
  const newPid = completedNewPid ?? ready?.pid;
  const oldPid =
    (completed ? numberField(completed, 'oldPid') : undefined) ??
    started.pid ??
    eventsOf(input, pool, ['WorkerReady', 'WorkerStarting'])
      .filter((e) => e.t <= started.t && e.workerId === started.workerId)
      .pop()?.pid;
  const oldExit = eventsOf(input, pool, WORKER_GONE).find(
    (e) => after(e) && (oldPid !== undefined ? e.pid === oldPid : e.workerId === started.workerId),
  );

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
  const early = requests.filter((r) => newPid !== undefined && r.workerPid === newPid && r.t < readyAt - o.graceMs);
  const late = requests.filter((r) => oldPid !== undefined && r.workerPid === oldPid && r.t > readyAt + o.graceMs);
  if (early.length > 0) problems.push(`the new worker served ${early.length} request(s) before it was ready`);
  if (late.length > 0) problems.push(`the old worker took ${late.length} new request(s) after the new one was ready`);

  const ms = (e?: W3Event): number | null => (e ? e.t - started.t : null);
  return {
    problems,
    details: {
      pool,
      recycleId: started.recycleId ?? null,
      reason: started.reason ?? null,
      at: started.t - input.start,
      oldPid: oldPid ?? null,
      newPid: newPid ?? null,
      startToReadyMs: ms(ready),
      startToOldExitMs: ms(oldExit),
      readyToOldExitMs: ready && oldExit ? oldExit.t - ready.t : null,
      startToCompleteMs: ms(completed),
      oldExit: oldExit?.type ?? null,
      requestsNewBeforeReady: early.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
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
    const cancelled = new Set(eventsOf(input, o.pool, ['RecycleCompleted']).filter((e) => e['cancelled'] === true).map((e) => e.recycleId));
    const recycles = eventsOf(input, o.pool, ['RecycleStarted'])
      .filter((e) => !cancelled.has(e.recycleId))
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

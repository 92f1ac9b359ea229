// Checker memoryRecycleBeforeLimit: a leaking worker is recycled by the memory thresholds (RecycleStarted with
// reason private-memory or memory) before memory runs out. Judged on what the target reports:
// - the leaking worker (the pid of the leak fault) must not die before its memory recycle — any WorkerCrashed of it
//   counts, whatever the signal, and so does a kernel OOM kill the lab proved (WorkerOomKilled);
// - a recycled worker must not die while it drains (it was recycled too late to finish);
// - no worker of the pool may die of lack of memory before the first memory recycle (an "OOM-like" death: a kernel
//   OOM kill, SIGABRT / exit 134 as V8 aborts on a full heap, or a SIGKILL / exit 137 the lab did not send);
// - with `limitKB` (the hard limit, e.g. the container quota), the memory the recycle saw must be below it.
import { z } from 'zod';
import type { LabEvent, LabEventOf } from '../events';
import type { CheckInput } from './types';
import { defineChecker, eventBrief, eventsOf, faultKindOf, marksOf, numberField, verdict } from './shared';

export const memoryRecycleBeforeLimitOptions = z.strictObject({
  pool: z.string().optional().describe('only this pool (default: all pools)'),
  limitKB: z
    .number()
    .positive()
    .optional()
    .describe('the hard memory limit; the memory the recycle measured must be below it'),
});

type Death = LabEventOf<'WorkerCrashed'> | LabEventOf<'WorkerOomKilled'>;

const isMemoryRecycle = (e: LabEventOf<'RecycleStarted'>): boolean =>
  e.reason === 'private-memory' || e.reason === 'memory';

/**
 * PIDs the lab itself sent a SIGKILL to (a fault step): their death is not the kernel's. A mark without a pid adds
 * undefined, which no worker has.
 */
function labKilledPids(input: CheckInput): Set<number | undefined> {
  const marks = marksOf(input, 'fault-injected').filter((m) => m['signal'] === 'SIGKILL');
  return new Set(marks.map((m) => numberField(m, 'targetPid')));
}

/** A death that looks like running out of memory, from the target's structured exit fields. */
export function oomLike(e: Death, labKilled: ReadonlySet<number | undefined>): boolean {
  if (e.type === 'WorkerOomKilled') return true;
  if (e.signal === 'SIGABRT' || e.exitCode === 134) return true; // V8: "Reached heap limit", then abort()
  return (e.signal === 'SIGKILL' || e.exitCode === 137) && !labKilled.has(e.pid);
}

function describeDeath(e: Death): string {
  if (e.type === 'WorkerOomKilled') return 'OOM-killed by the kernel';
  return e.signal ? `died of ${e.signal}` : `died with exit code ${String(e.exitCode)}`;
}

function memoryBrief(input: CheckInput, e: LabEventOf<'RecycleStarted'>): Record<string, unknown> {
  const measured = e.privateMemoryKB ?? e.memoryKB;
  return {
    ...eventBrief(input, e),
    ...(measured !== undefined && e.limitKB !== undefined ? { overLimitKB: measured - e.limitKB } : {}),
  };
}

export const memoryRecycleBeforeLimit = defineChecker(
  'memoryRecycleBeforeLimit',
  memoryRecycleBeforeLimitOptions,
  (input, o) => {
    const recycles = eventsOf(input, o.pool, ['RecycleStarted']).filter(isMemoryRecycle);
    const deaths: Death[] = eventsOf(input, o.pool, ['WorkerCrashed', 'WorkerOomKilled']);
    const labKilled = labKilledPids(input);
    const leaks = marksOf(input, 'fault-injected').filter(
      (m) => faultKindOf(m) === 'leak' && (o.pool === undefined || m['pool'] === undefined || m['pool'] === o.pool),
    );
    const leakPids = new Set(leaks.map((m) => numberField(m, 'targetPid'))); // undefined: a mark without a pid
    const first = recycles[0];
    const recycleOf = (pid: number): LabEventOf<'RecycleStarted'> | undefined => recycles.find((r) => r.pid === pid);

    const problems: string[] = [];
    const offending: LabEvent[] = [];
    for (const d of deaths) {
      if (labKilled.has(d.pid)) continue; // the lab killed it: a fault step, not memory
      const recycled = recycleOf(d.pid);
      if (recycled && d.t >= recycled.t) {
        problems.push(`the recycled worker ${d.pid} ${describeDeath(d)} while it drained`);
      } else if (leakPids.has(d.pid)) {
        problems.push(`the leaking worker ${d.pid} ${describeDeath(d)} before a memory recycle`);
      } else if ((!first || d.t < first.t) && oomLike(d, labKilled)) {
        problems.push(`worker ${d.pid} ${describeDeath(d)} (out of memory) before any memory recycle`);
      } else continue;
      offending.push(d);
    }
    const measured = first ? (first.privateMemoryKB ?? first.memoryKB) : undefined;
    // No hard limit: nothing is over it; no measurement: nothing to compare (0 is below any limit, which is > 0).
    const seen = measured ?? 0;
    const hardLimit = o.limitKB ?? Infinity;
    if (seen >= hardLimit) problems.push(`the recycle saw ${seen} KB, not below the ${hardLimit} KB limit`);
    const leakPid = leaks[0] ? numberField(leaks[0], 'targetPid') : undefined;
    const details = {
      memoryRecycles: recycles.map((e) => memoryBrief(input, e)),
      deaths: offending.map((e) => eventBrief(input, e)),
      leakMarks: leaks.length,
      leakAt: leaks[0] ? leaks[0].t - input.start : null,
      leakToRecycleMs: leaks[0] && first ? first.t - leaks[0].t : null,
      recycledLeakingWorker: leakPid !== undefined && first ? recycles.some((r) => r.pid === leakPid) : null,
      measuredKB: measured ?? null,
      thresholdKB: first?.limitKB ?? null,
      limitKB: o.limitKB ?? null,
    };
    if (problems.length > 0) return verdict(false, `Memory recycle too late: ${problems.join('; ')}.`, details);
    if (!first) {
      if (leaks.length > 0)
        return verdict(false, 'A memory leak was injected but no memory recycle happened.', details);
      return verdict('unknown', 'No leak was injected and no memory recycle happened.', details);
    }
    const when = details.leakToRecycleMs !== null ? ` ${details.leakToRecycleMs} ms after the leak started` : '';
    const saw = measured !== undefined ? ` at ${measured} KB (threshold ${String(first.limitKB ?? '?')} KB)` : '';
    return verdict(true, `Worker recycled for ${first.reason}${saw}${when}, before any out-of-memory exit.`, details);
  },
);

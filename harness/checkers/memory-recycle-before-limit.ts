// Checker memoryRecycleBeforeLimit: a leaking worker is recycled by the memory thresholds (periodicRestart
// privateMemory → event 5117, memory → 5077) before it runs out of memory. A worker killed by the OS/V8 for lack of
// memory before that recycle — or the recycled worker itself dying of OOM while it drains — is a violation.
import { z } from 'zod';
import type { W3Event } from '../../targets/w3/events/event-types';
import { EVENT_IDS } from '../../targets/w3/events/event-types';
import { defineChecker, eventBrief, eventsOf, faultKindOf, marksOf, numberField, verdict } from './shared';

export const memoryRecycleBeforeLimitOptions = z.strictObject({
  pool: z.string().optional().describe('only this pool (default: all pools)'),
  limitKB: z
    .number()
    .positive()
    .optional()
    .describe('the hard memory limit; when the recycle event reports the memory it saw, it must be below this'),
});

const MEMORY_REASONS = new Set(['PrivateMemory', 'Memory']);
const MEMORY_EVENT_IDS = new Set<number>([EVENT_IDS.RecyclePrivateMemory, EVENT_IDS.RecycleMemory]);
const OOM_TEXT = /\boom\b|out[ _-]of[ _-]memory|heap limit|ERR_WORKER_OUT_OF_MEMORY/i;
/** Fields a memory recycle event may carry with the size it measured, in KB. */
const MEASURED_KB_FIELDS = ['privateMemoryKB', 'memoryKB', 'valueKB'];

const isMemoryRecycle = (e: W3Event): boolean =>
  (e.reason !== undefined && MEMORY_REASONS.has(e.reason)) ||
  (e.eventId !== undefined && MEMORY_EVENT_IDS.has(e.eventId));

/** An exit caused by lack of memory: reason 'oom' (e.g. with SIGKILL from the OOM killer) or V8's heap message. */
export function isOomExit(e: W3Event): boolean {
  if (e.type !== 'WorkerCrashed' && e.type !== 'WorkerKilled') return false;
  if (e['oom'] === true) return true;
  const text = [e.reason, e['message'], e['stderrTail']].filter((s) => typeof s === 'string').join(' ');
  return OOM_TEXT.test(text);
}

function measuredKB(e: W3Event): number | undefined {
  for (const f of MEASURED_KB_FIELDS) {
    const v = numberField(e, f);
    if (v !== undefined) return v;
  }
  return undefined;
}

export const memoryRecycleBeforeLimit = defineChecker(
  'memoryRecycleBeforeLimit',
  memoryRecycleBeforeLimitOptions,
  (input, o) => {
    const recycles = eventsOf(input, o.pool, ['RecycleStarted']).filter(isMemoryRecycle);
    const ooms = eventsOf(input, o.pool, ['WorkerCrashed', 'WorkerKilled']).filter(isOomExit);
    const leaks = marksOf(input, 'fault-injected').filter(
      (m) => faultKindOf(m) === 'leak' && (o.pool === undefined || m['pool'] === undefined || m['pool'] === o.pool),
    );
    const first = recycles[0];
    const recycledPids = new Set(
      recycles.map((r) => r.pid ?? numberField(r, 'oldPid')).filter((p): p is number => p !== undefined),
    );
    const oomBefore = ooms.filter((e) => !first || e.t < first.t);
    const oomOfRecycled = ooms.filter((e) => first && e.t >= first.t && e.pid !== undefined && recycledPids.has(e.pid));
    const measured = first ? measuredKB(first) : undefined;
    const leakPid = leaks[0] ? numberField(leaks[0], 'targetPid') : undefined;
    const details = {
      memoryRecycles: recycles.map((e) => eventBrief(input, e)),
      oomExits: ooms.map((e) => eventBrief(input, e)),
      leakMarks: leaks.length,
      leakAt: leaks[0] ? leaks[0].t - input.start : null,
      leakToRecycleMs: leaks[0] && first ? first.t - leaks[0].t : null,
      recycledLeakingWorker: leakPid !== undefined && recycledPids.size > 0 ? recycledPids.has(leakPid) : null,
      measuredKB: measured ?? null,
      limitKB: o.limitKB ?? null,
    };

    const problems: string[] = [];
    if (oomBefore.length > 0) {
      const when = first ? 'before the memory recycle' : 'and no memory recycle happened';
      problems.push(`${oomBefore.length} worker(s) ran out of memory ${when}`);
    }
    if (oomOfRecycled.length > 0) problems.push('the recycled worker ran out of memory while draining');
    if (o.limitKB !== undefined && measured !== undefined && measured >= o.limitKB) {
      problems.push(`the recycle saw ${measured} KB, not below the ${o.limitKB} KB limit`);
    }
    if (problems.length > 0) return verdict(false, `Memory recycle too late: ${problems.join('; ')}.`, details);
    if (!first) {
      if (leaks.length > 0) {
        return verdict(false, 'A memory leak was injected but no memory recycle happened.', details);
      }
      return verdict('unknown', 'No leak was injected and no memory recycle happened.', details);
    }
    const when = details.leakToRecycleMs !== null ? ` ${details.leakToRecycleMs} ms after the leak started` : '';
    const why = first.reason ?? 'memory';
    return verdict(true, `Worker recycled for ${why}${when}, before any out-of-memory exit.`, details);
  },
);

// Checker hangDetectedWithin: a hung worker is noticed in time. After the fault mark, the manager must report the
// worker the mark names (targetPid, else workerId) as hung — PingFailed, RequestStalled (a progress watchdog for
// the zombie that still answers pings) or WorkerKilled for reason ping or stalled — within `withinMs` of the mark.
// The clock starts only for a hang the target confirmed (its FaultInjected for that worker): a failed injection
// followed by some unrelated ping failure proves nothing, and answers unknown.
import { z } from 'zod';
import type { LabEvent } from '../events';
import type { MarkRecord } from '../history/types';
import { defineChecker, eventBrief, eventsOf, faultKindOf, marksOf, numberField, verdict, WORKER_GONE } from './shared';

export const hangDetectedWithinOptions = z.strictObject({
  withinMs: z.number().positive().describe('max time from the mark to the detection event'),
  after: z.string().min(1).default('fault-injected').describe('name of the mark that starts the clock'),
  faultKind: z
    .string()
    .optional()
    .describe('only marks whose fault kind is this (e.g. "hang"), when several faults were injected'),
});

function isDetection(e: LabEvent): boolean {
  if (e.type === 'PingFailed' || e.type === 'RequestStalled') return true;
  return e.type === 'WorkerKilled' && (e.reason === 'ping' || e.reason === 'stalled');
}

/** Events about the worker the mark names: by PID when known (worker ids are reused across pools). */
function aboutTarget(mark: MarkRecord): ((e: LabEvent) => boolean) | undefined {
  const pid = numberField(mark, 'targetPid') ?? numberField(mark, 'pid');
  if (pid !== undefined) return (e) => e.pid === pid;
  const workerId = numberField(mark, 'workerId');
  const pool = typeof mark['pool'] === 'string' ? mark['pool'] : undefined;
  if (workerId !== undefined) return (e) => e.workerId === workerId && (pool === undefined || e.pool === pool);
  return undefined;
}

export const hangDetectedWithin = defineChecker('hangDetectedWithin', hangDetectedWithinOptions, (input, o) => {
  const candidates = marksOf(input, o.after).filter((m) => o.faultKind === undefined || faultKindOf(m) === o.faultKind);
  // A worker that died before the injection reached it leaves a mark with no FaultInjected: prefer the confirmed one.
  const confirmed = (m: MarkRecord): boolean => {
    const pid = numberField(m, 'targetPid');
    return eventsOf(input, undefined, ['FaultInjected']).some((e) => e.pid === pid && e.t >= m.t);
  };
  const mark = candidates.find(confirmed) ?? candidates[0];
  const kindNote = o.faultKind !== undefined ? ` with fault ${o.faultKind}` : '';
  if (!mark) return verdict('unknown', `No "${o.after}" mark${kindNote}: no hang was injected.`, {});
  const target = aboutTarget(mark);
  const base = {
    markAt: mark.t - input.start,
    targetPid: numberField(mark, 'targetPid') ?? null,
    workerId: numberField(mark, 'workerId') ?? null,
    withinMs: o.withinMs,
  };
  if (!target) return verdict('unknown', `The "${o.after}" mark names no worker (targetPid/workerId).`, base);

  const mine = eventsOf(input).filter((e) => e.t >= mark.t && target(e));
  const injected = mine.find((e) => e.type === 'FaultInjected');
  if (faultKindOf(mark) !== undefined && !faultKindOf(mark)!.startsWith('signal:') && !injected) {
    return verdict(
      'unknown',
      'The target never confirmed the injection (no FaultInjected for the worker): no hang to detect.',
      base,
    );
  }
  const detection = mine.find(isDetection);
  const gone = mine.find((e) => WORKER_GONE.includes(e.type));
  const replacement =
    gone && eventsOf(input, gone.pool, ['WorkerReady']).find((e) => e.t >= gone.t && e.pid !== gone.pid);
  const details = {
    ...base,
    detection: detection ? eventBrief(input, detection) : null,
    detectionMs: detection ? detection.t - mark.t : null,
    workerGone: gone ? eventBrief(input, gone) : null,
    replacementReadyMs: replacement ? replacement.t - mark.t : null,
  };
  if (detection && detection.t - mark.t <= o.withinMs) {
    const after = detection.t - mark.t;
    return verdict(true, `The hung worker was detected (${detection.type}) ${after} ms after the fault.`, details);
  }
  if (detection) {
    return verdict(
      false,
      `The hung worker was detected only after ${detection.t - mark.t} ms (budget ${o.withinMs} ms).`,
      details,
    );
  }
  if (input.end < mark.t + o.withinMs) {
    const ran = input.end - mark.t;
    return verdict('unknown', `The run ended ${ran} ms after the fault, before the ${o.withinMs} ms budget.`, details);
  }
  const exitNote = gone ? `; it ended with ${gone.type} instead` : '';
  return verdict(false, `The hung worker was never detected within the run${exitNote}.`, details);
});

// Checker rapidFailProtectionTriggers: rapid-fail protection. The pool is stopped (PoolStopped, reason rapid-fail)
// exactly when the maxCrashes-th counted failure falls in one window with the failure maxCrashes-1 before it
// (sliding window, rapid-fail-window.ts; a PoolStarted resets the count), never earlier; while stopped no worker is
// started, and requests get 503 (or a TCP reset with tcpLevel) until an operator starts the pool again.
import { z } from 'zod';
import type { LabEvent, LabEventType } from '../events';
import type { RequestRecord } from '../history/types';
import { inRapidFailWindow } from './rapid-fail-window';
import type { CheckInput } from './types';
import {
  countBy,
  defineChecker,
  EXAMPLES,
  eventBrief,
  eventsOf,
  requestBrief,
  requestsOf,
  endOf,
  verdict,
} from './shared';

/**
 * The failures that count toward rapid-fail protection (orderly recycles and idle shutdowns do not): crashes, ping
 * failures, startup and shutdown timeouts, stalls, and a kill for a malformed control message (the only failure
 * with no event of its own). A kill after a ping failure or a stall is the same failure, counted once.
 */
export const COUNTED_FAILURES: readonly LabEventType[] = [
  'WorkerCrashed',
  'PingFailed',
  'StartupTimeout',
  'ShutdownTimeout',
  'RequestStalled',
  'WorkerKilled',
];

const counted = (e: LabEvent): boolean => e.type !== 'WorkerKilled' || e.reason === 'malformed-message';

export const rapidFailProtectionTriggersOptions = z.strictObject({
  pool: z.string().min(1),
  maxCrashes: z.number().int().positive().describe('failure.rapidFailProtectionMaxCrashes of the pool'),
  intervalMs: z.number().positive().describe('failure.rapidFailProtectionInterval of the pool, in ms'),
  expectStopped: z.boolean().default(true).describe('false: the failures must NOT stop the pool'),
  pathPrefix: z.string().optional().describe("picks the pool's requests from the history (default: all requests)"),
  tcpLevel: z
    .boolean()
    .default(false)
    .describe('loadBalancerCapabilities=TcpLevel: requests to the stopped pool are reset (or closed), not 503'),
  toleranceMs: z.number().nonnegative().default(1000).describe('max delay from the tripping failure to PoolStopped'),
  graceMs: z.number().nonnegative().default(50).describe('requests written this soon after the stop are not judged'),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

const isRapidFailStop = (e: LabEvent): boolean => e.type === 'PoolStopped' && e.reason === 'rapid-fail';

/** Index of the failure that must trip protection, or undefined when the failures never got dense enough. */
function tripIndex(
  failures: LabEvent[],
  starts: LabEvent[],
  maxCrashes: number,
  intervalMs: number,
): number | undefined {
  for (let i = maxCrashes - 1; i < failures.length; i++) {
    const last = failures[i];
    const first = failures[i - maxCrashes + 1];
    if (!last || !first) continue;
    const epochStart = Math.max(-Infinity, ...starts.filter((s) => s.t <= last.t).map((s) => s.t));
    if (first.t >= epochStart && inRapidFailWindow(first.t, last.t, intervalMs)) return i;
  }
  return undefined;
}

function answeredAsStopped(r: RequestRecord, tcpLevel: boolean): boolean {
  if (tcpLevel) return r.outcome !== 'ok' && (r.error === 'reset' || r.error === 'closed');
  return r.status === 503;
}

/** What happened while the pool was stopped: worker starts (none allowed) and how requests were answered. */
function whileStopped(input: CheckInput, o: z.output<typeof rapidFailProtectionTriggersOptions>, stop: LabEvent) {
  const restart = eventsOf(input, o.pool, ['PoolStarted']).find((e) => e.t > stop.t);
  const until = restart?.t ?? Infinity;
  const workerStarts = eventsOf(input, o.pool, ['WorkerStarting']).filter((e) => e.t > stop.t && e.t < until);
  // Only requests the client saw answered before the restart are judged: one written just before the admin start
  // may reach the server after it (client and server clocks meet here) and be served legitimately.
  const requests = requestsOf(input).filter(
    (r) =>
      r.t >= stop.t + o.graceMs && endOf(r) < until && (o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix)),
  );
  const wrong = requests.filter((r) => !answeredAsStopped(r, o.tcpLevel));
  const expected = o.tcpLevel ? 'reset' : '503';
  return {
    problems: [
      ...(workerStarts.length > 0 ? [`${workerStarts.length} worker(s) started while the pool was stopped`] : []),
      ...(wrong.length > 0
        ? [`${wrong.length} of ${requests.length} requests to the stopped pool were not ${expected}`]
        : []),
    ],
    details: {
      restartedAt: restart ? restart.t - input.start : null,
      workerStartsWhileStopped: workerStarts.slice(0, o.maxExamples).map((e) => eventBrief(input, e)),
      requestsWhileStopped: requests.length,
      requestsByAnswer: countBy(requests, (r) => (r.status !== undefined ? String(r.status) : (r.error ?? r.outcome))),
      wrongAnswers: wrong.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
    },
  };
}

export const rapidFailProtectionTriggers = defineChecker(
  'rapidFailProtectionTriggers',
  rapidFailProtectionTriggersOptions,
  (input, o) => {
    const failures = eventsOf(input, o.pool, COUNTED_FAILURES).filter(counted);
    const starts = eventsOf(input, o.pool, ['PoolStarted']);
    const stop = eventsOf(input, o.pool, ['PoolStopped']).find(isRapidFailStop);
    const trip = tripIndex(failures, starts, o.maxCrashes, o.intervalMs);
    const tripAt = trip !== undefined ? failures[trip] : undefined;
    const details: Record<string, unknown> = {
      pool: o.pool,
      failures: failures.length,
      failuresByType: countBy(failures, (e) => e.type),
      failureTimes: failures.slice(0, o.maxCrashes + o.maxExamples).map((e) => eventBrief(input, e)),
      trippingFailure: trip !== undefined ? trip + 1 : null,
      stoppedAt: stop ? stop.t - input.start : null,
    };

    if (!o.expectStopped) {
      if (stop) {
        const before = failures.filter((f) => f.t <= stop.t).length;
        return verdict(false, `Pool ${o.pool} was stopped by rapid-fail protection after ${before} failures.`, details);
      }
      if (failures.length < o.maxCrashes) {
        return verdict('unknown', `Only ${failures.length} of ${o.maxCrashes} failures observed.`, details);
      }
      return verdict(true, `${failures.length} failures did not stop pool ${o.pool}.`, details);
    }

    if (stop && (!tripAt || stop.t < tripAt.t)) {
      const before = failures.filter((f) => f.t <= stop.t).length;
      return verdict(
        false,
        `Pool ${o.pool} was stopped too early: after ${before} failures, ` +
          `before ${o.maxCrashes} fell within ${o.intervalMs} ms.`,
        details,
      );
    }
    if (!tripAt || trip === undefined) {
      const why =
        failures.length < o.maxCrashes
          ? `only ${failures.length} of ${o.maxCrashes} failures were observed`
          : `the ${failures.length} failures never had ${o.maxCrashes} within ${o.intervalMs} ms`;
      return verdict('unknown', `Rapid-fail protection was not exercised: ${why}.`, details);
    }
    if (!stop) {
      return verdict(
        false,
        `${o.maxCrashes} failures fell within ${o.intervalMs} ms but pool ${o.pool} was never stopped.`,
        details,
      );
    }

    const delay = stop.t - tripAt.t;
    const laterFailures = failures.slice(trip + 1).filter((f) => f.t < stop.t).length;
    details['stopDelayMs'] = delay;
    const problems: string[] = [];
    if (laterFailures > 0) problems.push(`stopped late, after ${laterFailures} more failure(s)`);
    if (delay > o.toleranceMs) problems.push(`stopped ${delay} ms after the tripping failure (max ${o.toleranceMs})`);
    const after = whileStopped(input, o, stop);
    problems.push(...after.problems);
    Object.assign(details, after.details, { problems });
    if (problems.length > 0) {
      return verdict(false, `Rapid-fail protection of ${o.pool}: ${problems.join('; ')}.`, details);
    }
    return verdict(
      true,
      `Pool ${o.pool} stopped ${delay} ms after failure ${trip + 1} and stayed stopped` +
        ` (${after.details.requestsWhileStopped} requests answered ${o.tcpLevel ? 'with a reset' : '503'}).`,
      details,
    );
  },
);

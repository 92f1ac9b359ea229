// Checker oomKillReplaced: a worker the kernel OOM-killed (scenario step `oom`: a leak under the container's memory
// quota) is noticed by the manager and replaced. The lab's proof of the kernel kill is an `oom-killed` mark (the
// memory cgroup's oom_kill counter went up and the worker died of a SIGKILL nobody sent) or the lab's
// WorkerOomKilled event; the manager's part is a WorkerCrashed for that pid and a replacement — a worker of the pool
// that started after the crash and became ready within `withinMs` of it. A proven kill the manager never reports
// is a failure, not an open question: the manager lost a worker without noticing.
import { z } from 'zod';
import type { LabEvent } from '../events';
import type { MarkRecord } from '../history/types';
import type { CheckInput } from './types';
import { defineChecker, eventBrief, eventsOf, faultKindOf, marksOf, numberField, verdict, WORKER_GONE } from './shared';

export const oomKillReplacedOptions = z.strictObject({
  withinMs: z
    .number()
    .positive()
    .default(30_000)
    .describe('max time from the crash of the killed worker to a replacement ready'),
});

/** The lab's proof that the kernel killed `pid` after the fault: a proven oom-killed mark, or WorkerOomKilled. */
function proofOf(input: CheckInput, pid: number | undefined, after: number): MarkRecord | LabEvent | undefined {
  const mark = marksOf(input, 'oom-killed').find(
    (k) => numberField(k, 'targetPid') === pid && k.t >= after && k['kernelOomKill'] !== false,
  );
  return mark ?? eventsOf(input, undefined, ['WorkerOomKilled']).find((e) => e.pid === pid && e.t >= after);
}

function outcome(input: CheckInput, f: MarkRecord) {
  const pid = numberField(f, 'targetPid');
  const proof = proofOf(input, pid, f.t);
  const gone = eventsOf(input, undefined, WORKER_GONE).find((e) => e.pid === pid && e.t >= f.t);
  const crash = gone?.type === 'WorkerCrashed' ? gone : undefined;
  const started = crash
    ? new Set(
        eventsOf(input, crash.pool, ['WorkerStarting'])
          .filter((e) => e.t >= crash.t)
          .map((e) => e.pid),
      )
    : new Set<number>();
  const replacement =
    crash && eventsOf(input, crash.pool, ['WorkerReady']).find((e) => e.t >= crash.t && started.has(e.pid));
  return {
    targetPid: pid ?? null,
    faultAt: f.t - input.start,
    oomKillProven: proof !== undefined,
    managerReport: gone ? eventBrief(input, gone) : null,
    crash: crash ? eventBrief(input, crash) : null,
    replacement: replacement ? eventBrief(input, replacement) : null,
    replacedAfterMs: crash && replacement ? replacement.t - crash.t : null,
  };
}

export const oomKillReplaced = defineChecker('oomKillReplaced', oomKillReplacedOptions, (input, o) => {
  const faults = marksOf(input, 'fault-injected').filter((m) => faultKindOf(m) === 'oom');
  if (faults.length === 0) return verdict('unknown', 'No OOM fault was injected (scenario step `oom`).', {});
  const outcomes = faults.map((f) => outcome(input, f));
  const details = { withinMs: o.withinMs, faults: outcomes };
  const pids = (xs: typeof outcomes): string => xs.map((x) => x.targetPid).join(', ');
  const unreported = outcomes.filter((x) => x.oomKillProven && !x.managerReport);
  if (unreported.length > 0) {
    return verdict(
      false,
      `The kernel OOM-killed ${unreported.length} worker(s) and the manager never reported it ` +
        `(pids ${pids(unreported)}).`,
      details,
    );
  }
  const late = outcomes.filter((x) => x.crash && (x.replacedAfterMs === null || x.replacedAfterMs > o.withinMs));
  if (late.length > 0) {
    return verdict(
      false,
      `${late.length} OOM-killed worker(s) were not replaced within ${o.withinMs} ms (pids ${pids(late)}).`,
      details,
    );
  }
  const unproven = outcomes.filter((x) => !x.crash || !x.oomKillProven);
  if (unproven.length > 0) {
    return verdict(
      'unknown',
      `${unproven.length} leaking worker(s) were not shown to be OOM-killed ` +
        '(no crash, or no proof of the kernel kill: is there a memory quota below the leak?).',
      details,
    );
  }
  const worst = Math.max(...outcomes.map((x) => x.replacedAfterMs ?? 0));
  return verdict(true, `${outcomes.length} OOM-killed worker(s), each replaced (slowest after ${worst} ms).`, details);
});

// Checker oomKillReplaced: a worker the kernel OOM-killed (scenario step `oom`: a leak under the container's memory
// quota) is noticed by the manager and replaced. The lab's proof of the kernel kill is the `oom-killed` mark (the
// memory cgroup's oom_kill counter went up and the worker died of a SIGKILL nobody sent); the manager's part is its
// WorkerCrashed for that PID and a WorkerReady of another worker of the pool within `withinMs` of the crash.
import { z } from 'zod';
import { defineChecker, eventBrief, eventsOf, faultKindOf, marksOf, numberField, verdict } from './shared';

export const oomKillReplacedOptions = z.strictObject({
  withinMs: z.number().positive().default(30_000).describe('max time from the crash of the killed worker to a replacement ready'),
});

export const oomKillReplaced = defineChecker('oomKillReplaced', oomKillReplacedOptions, (input, o) => {
  const faults = marksOf(input, 'fault-injected').filter((m) => faultKindOf(m) === 'oom');
  if (faults.length === 0) return verdict('unknown', 'No OOM fault was injected (scenario step `oom`).', {});
  const kills = marksOf(input, 'oom-killed');
  const outcomes = faults.map((f) => {
    const pid = numberField(f, 'targetPid');
    const proof = kills.find((k) => numberField(k, 'targetPid') === pid && k.t >= f.t);
    const crash = eventsOf(input).find((e) => e.type === 'WorkerCrashed' && e.pid === pid && e.t >= f.t);
    const replacement = crash && eventsOf(input, crash.pool, ['WorkerReady']).find((e) => e.t >= crash.t && e.pid !== pid);
    return {
      targetPid: pid ?? null,
      faultAt: f.t - input.start,
      oomKillProven: proof !== undefined,
      crash: crash ? eventBrief(input, crash) : null,
      replacement: replacement ? eventBrief(input, replacement) : null,
      replacedAfterMs: crash && replacement ? replacement.t - crash.t : null,
    };
  });
  const details = { withinMs: o.withinMs, faults: outcomes };
  const late = outcomes.filter((x) => x.crash && (x.replacedAfterMs === null || x.replacedAfterMs > o.withinMs));
  if (late.length > 0) {
    return verdict(false, `${late.length} OOM-killed worker(s) were not replaced within ${o.withinMs} ms (pids ${late.map((x) => x.targetPid).join(', ')}).`, details);
  }
  const unproven = outcomes.filter((x) => !x.crash || !x.oomKillProven);
  if (unproven.length > 0) {
    return verdict(
      'unknown',
      `${unproven.length} leaking worker(s) were not shown to be OOM-killed (no crash, or no oom-killed mark: is there a memory quota below the leak?).`,
      details,
    );
  }
  const worst = Math.max(...outcomes.map((x) => x.replacedAfterMs ?? 0));
  return verdict(true, `${outcomes.length} OOM-killed worker(s), each replaced (slowest after ${worst} ms).`, details);
});

// Faults are evidence: for every planned fault step of a run, did it happen? Read from the runner's marks (the
// `fault-plan` at the workload start, one `fault-step` per firing: performed with the workers it hit, or failed
// with the error) and confirmed by the target's own events afterwards:
//   signal SIGKILL/SIGTERM/SIGSEGV/SIGABRT/SIGQUIT → that pid gone (WorkerCrashed, WorkerExited, WorkerKilled,
//     WorkerOomKilled); SIGSTOP/SIGCONT have no event that could show them (performed is all there is);
//   fault → the target's FaultInjected for that pid ("the injected worker");
//   recycle → a RecycleStarted of the pool after the request and its RecycleCompleted (not cancelled);
//   start-pool / stop-pool → PoolStarted / PoolStopped; startup-fault / heal-startup-fault → FaultInjected /
//     FaultHealed of the pool; oom → the lab's proof (oom-killed mark); front-reload → ConfigReloaded;
//   container steps → performed (the container engine answered).
// A firing is confirmed, performed (nothing could confirm it), unconfirmed (the target never showed it), failed,
// or not performed at all (fewer firings than planned, an `after:` trigger that never came).
import type { LabEvent, LabEventOf, LabEventType } from '../events';
import type { MarkRecord } from '../history/types';
import type { CheckInput } from './types';
import { eventBrief, marksOf, numberField } from './shared';
import { asText } from '../history/as-text';

export type StepStatus = 'confirmed' | 'performed' | 'unconfirmed' | 'failed' | 'not-performed';

export interface StepEvidence {
  /** Index of the step in `faults:` (or the label of a step performed through the API). */
  step: number | string;
  action: string;
  /** 1-based firing of the step; null for firings that never happened. */
  firing: number | null;
  optional: boolean;
  status: StepStatus;
  /** ms after the workload start the firing was attempted (null: never). */
  at: number | null;
  /** One human phrase: what confirmed it, or what is missing. */
  detail: string;
  confirmedBy?: Record<string, unknown>[];
}

/** Events are stamped by the target, marks by the lab: the same machine, but allow a little ordering slack. */
const SLACK_MS = 50;
const KILLING = new Set(['SIGKILL', 'SIGTERM', 'SIGSEGV', 'SIGABRT', 'SIGQUIT']);
const GONE: readonly LabEventType[] = ['WorkerCrashed', 'WorkerExited', 'WorkerKilled', 'WorkerOomKilled'];

interface Firing {
  mark: MarkRecord;
  /** When the lab began the action: confirming events may come before the fault-step mark that ends it. */
  since: number;
  pool: string | undefined;
  workers: number[];
}

/** A recycle the lab asked for, as the target reported it. */
interface RecycleSeen {
  started?: LabEventOf<'RecycleStarted'>;
  completed?: LabEventOf<'RecycleCompleted'> | undefined;
}

/** Finds target events for firings, never using one event for two firings. */
class Confirmer {
  /** Events already taken (undefined, added when none was found, is never an event). */
  private readonly used = new Set<LabEvent | undefined>();
  constructor(private readonly input: CheckInput) {}

  take<E extends LabEvent>(after: number, pred: (e: LabEvent) => e is E): E | undefined;
  take(after: number, pred: (e: LabEvent) => boolean): LabEvent | undefined;
  take(after: number, pred: (e: LabEvent) => boolean): LabEvent | undefined {
    const e = this.input.events
      .filter((x) => x.t >= after - SLACK_MS && !this.used.has(x) && pred(x))
      .sort((a, b) => a.t - b.t)[0];
    this.used.add(e);
    return e;
  }

  /** One event per worker; the pids with none. */
  perWorker(f: Firing, types: readonly LabEventType[]): { found: LabEvent[]; missing: number[] } {
    const found: LabEvent[] = [];
    const missing: number[] = [];
    for (const pid of f.workers) {
      const e = this.take(f.since, (x) => types.includes(x.type) && x.pid === pid);
      if (e) found.push(e);
      else missing.push(pid);
    }
    return { found, missing };
  }

  /** The first RecycleStarted of the pool after the request, and its completion. */
  recycle(f: Firing): RecycleSeen {
    const started = this.take(
      f.since,
      (x): x is LabEventOf<'RecycleStarted'> =>
        x.type === 'RecycleStarted' && (f.pool === undefined || x.pool === f.pool),
    );
    if (!started) return {};
    const completed = this.input.events.find(
      (x): x is LabEventOf<'RecycleCompleted'> =>
        x.type === 'RecycleCompleted' &&
        x.pool === started.pool &&
        x.recycleId === started.recycleId &&
        x.t >= started.t,
    );
    return { started, completed };
  }
}

type Outcome = Pick<StepEvidence, 'status' | 'detail'> & { by?: LabEvent[] };

function confirmWorkers(c: Confirmer, f: Firing, types: readonly LabEventType[], what: string): Outcome {
  if (f.workers.length === 0) return { status: 'unconfirmed', detail: 'it hit no worker' };
  const r = c.perWorker(f, types);
  if (r.missing.length > 0)
    return {
      status: 'unconfirmed',
      detail: `the target never reported ${what} of pid ${r.missing.join(', ')}`,
      by: r.found,
    };
  return {
    status: 'confirmed',
    detail: `${r.found.map((e) => `${e.type} of pid ${String(e.pid)}`).join(', ')}`,
    by: r.found,
  };
}

/** A pool-level event (none about one worker: a startup fault, not a worker's FaultInjected) of the firing's pool. */
function poolEvent(c: Confirmer, f: Firing, type: LabEventType): Outcome {
  const e = c.take(
    f.since,
    (x) => x.type === type && (f.pool === undefined || x.pool === f.pool) && x.pid === undefined,
  );
  return e
    ? { status: 'confirmed', detail: `${type} of pool ${String(e.pool)}`, by: [e] }
    : { status: 'unconfirmed', detail: `no ${type} of pool ${String(f.pool)} followed` };
}

function confirm(input: CheckInput, c: Confirmer, f: Firing): Outcome {
  const m = f.mark;
  switch (String(m['action'])) {
    case 'signal': {
      const signal = String(m['signal']);
      if (!KILLING.has(signal)) return { status: 'performed', detail: `${signal} delivered (no event can show it)` };
      return confirmWorkers(c, f, GONE, 'the death');
    }
    case 'fault':
      return confirmWorkers(c, f, ['FaultInjected'], `the ${String(m['fault'])} fault`);
    case 'recycle': {
      const r = c.recycle(f);
      if (!r.started)
        return { status: 'unconfirmed', detail: `no recycle of pool ${String(f.pool)} started after the request` };
      if (!r.completed) {
        return { status: 'unconfirmed', detail: `recycle ${r.started.recycleId} never completed`, by: [r.started] };
      }
      if (r.completed.cancelled)
        return { status: 'unconfirmed', detail: 'the recycle was cancelled', by: [r.started, r.completed] };
      return { status: 'confirmed', detail: 'RecycleStarted and RecycleCompleted', by: [r.started, r.completed] };
    }
    case 'start-pool':
      return poolEvent(c, f, 'PoolStarted');
    case 'stop-pool':
      return poolEvent(c, f, 'PoolStopped');
    case 'startup-fault':
      return poolEvent(c, f, 'FaultInjected');
    case 'heal-startup-fault':
      return poolEvent(c, f, 'FaultHealed');
    case 'front-reload': {
      const e = c.take(f.since, (x) => x.type === 'ConfigReloaded');
      return e
        ? { status: 'confirmed', detail: 'ConfigReloaded', by: [e] }
        : { status: 'unconfirmed', detail: 'no ConfigReloaded followed' };
    }
    case 'oom': {
      const proven = f.workers.filter((pid) =>
        marksOf(input, 'oom-killed').some(
          (k) => numberField(k, 'targetPid') === pid && k.t >= f.since - SLACK_MS && k['kernelOomKill'] !== false,
        ),
      );
      return proven.length === f.workers.length && proven.length > 0
        ? { status: 'confirmed', detail: `the kernel OOM-killed pid ${proven.join(', ')}` }
        : { status: 'unconfirmed', detail: 'no proof that the kernel OOM-killed the worker' };
    }
    default:
      return { status: 'performed', detail: 'the container engine carried it out' };
  }
}

interface PlannedStep {
  step: number;
  action: string;
  firings: number | null;
  optional: boolean;
}

function planOf(input: CheckInput): PlannedStep[] {
  const plan = marksOf(input, 'fault-plan')[0];
  const steps = Array.isArray(plan?.['steps']) ? (plan['steps'] as Record<string, unknown>[]) : [];
  return steps.map((s) => ({
    step: Number(s['step']),
    action: String(s['action']),
    firings: typeof s['firings'] === 'number' ? s['firings'] : null,
    optional: s['optional'] === true,
  }));
}

/** Every firing of every planned step (and of steps performed through the API), with its evidence. */
export function faultEvidence(input: CheckInput): StepEvidence[] {
  const c = new Confirmer(input);
  const stepMarks = marksOf(input, 'fault-step');
  const out: StepEvidence[] = stepMarks.map((m) => {
    const workers = Array.isArray(m['workers'])
      ? (m['workers'] as Record<string, unknown>[]).map((w) => Number(w['pid']))
      : [];
    const since = numberField(m, 'attemptedAt') ?? m.t;
    const f: Firing = { mark: m, since, pool: typeof m['pool'] === 'string' ? m['pool'] : undefined, workers };
    const failed = m['status'] === 'failed';
    const o: Outcome = failed ? { status: 'failed', detail: asText(m['error'], 'failed') } : confirm(input, c, f);
    return {
      step: typeof m['step'] === 'number' ? m['step'] : String(m['step']),
      action: String(m['action']),
      firing: numberField(m, 'firing') ?? 1,
      optional: m['optional'] === true,
      status: o.status,
      at: (numberField(m, 'attemptedAt') ?? m.t) - input.start,
      detail: o.detail,
      ...(o.by && o.by.length > 0 ? { confirmedBy: o.by.map((e) => eventBrief(input, e)) } : {}),
    };
  });
  for (const p of planOf(input)) {
    const fired = stepMarks.filter((m) => m['step'] === p.step).length;
    const expected = p.firings ?? 1;
    for (let n = fired + 1; n <= expected; n++) {
      const detail = p.firings === null ? 'its trigger event never came' : `it fired ${fired} of ${expected} times`;
      out.push({
        step: p.step,
        action: p.action,
        firing: null,
        optional: p.optional,
        status: 'not-performed',
        at: null,
        detail,
      });
    }
  }
  return out;
}

/** The firings that leave the run without its fault: failed, never performed, or never shown by the target. */
export function missingFaults(evidence: readonly StepEvidence[]): StepEvidence[] {
  return evidence.filter(
    (e) => !e.optional && (e.status === 'failed' || e.status === 'not-performed' || e.status === 'unconfirmed'),
  );
}

/** "faults[1] (recycle, firing 2): unconfirmed — no recycle of pool app started after the request". */
export function describeEvidence(e: StepEvidence): string {
  const where = typeof e.step === 'number' ? `faults[${e.step}]` : e.step;
  const firing = e.firing !== null ? `, firing ${e.firing}` : '';
  return `${where} (${e.action}${firing}): ${e.status} — ${e.detail}`;
}

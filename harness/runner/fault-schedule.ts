// The fault schedule of a run: fires each scenario fault step at its time (at / every / after an event), against
// whatever the target can do (capabilities), and records every action as a mark in the history. Heal steps always
// run: timed heals when their duration ends, and every remaining heal in stop(), whatever happened before.
// Faults are evidence: a `fault-plan` mark at the start says which steps should fire (and how often); each firing
// ends in a `fault-step` mark — performed (with the workers it hit) or failed (with the error). Whether the target
// then showed the fault took effect, and what a failed or missing step does to the verdict, is judged from these
// marks and the target's events afterwards (checkers/fault-evidence.ts).
import { pickTargets, type Random } from '../../faults';
import type { WorkerFaultSpec } from '../../faults/spec';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { runtimeOf } from '../targets/runtime-of';
import type { FaultStep } from '../scenarios/schema';
import { firingTimes } from './preflight';
import type { Logger } from '../../targets/w3/util/logger';

export type MarkFn = (name: string, extra?: Record<string, unknown>) => void;

export class CapabilityError extends Error {
  readonly code = 'LAB_ERR_CAPABILITY';
}

/** Capabilities only a target in a container has (the process runtime cannot freeze or OOM-kill "the machine"). */
const CONTAINER_ONLY = new Set<string>([
  'containerKill',
  'containerPause',
  'containerUnpause',
  'containerRestart',
  'oomKillWorker',
]);

export class FaultSchedule {
  // Stryker disable next-line ArrayDeclaration: stop() clearing a timer that is a string is a no-op
  private timers: NodeJS.Timeout[] = [];
  private heals = new Map<number, () => Promise<void>>();
  private healSeq = 0;
  private pending = new Set<Promise<void>>();
  /** Firings so far per step index. */
  private readonly firings = new Map<number, number>();
  private stopped = false;
  readonly errors: string[] = [];

  constructor(
    private readonly target: StartedTarget,
    private readonly steps: FaultStep[],
    private readonly rng: Random,
    private readonly mark: MarkFn,
    private readonly log: Logger,
    /** How long a step waits for a ready worker to pick when the pool has none (a replacement still starting). */
    private readonly readyWaitMs = 10_000,
  ) {}

  /** Arms every step relative to now (the workload start) and records the plan. */
  start(): void {
    const t0 = Date.now();
    this.mark('fault-plan', { steps: this.steps.map((step, i) => planOf(step, i)) });
    this.steps.forEach((step, i) => {
      if (step.after) this.watchEvent(step, i, t0);
      else for (const at of firingTimes(step)) this.later(at, () => this.fire(step, i));
    });
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }

  private watchEvent(step: FaultStep, i: number, t0: number): void {
    const after = step.after!;
    const poll = setInterval(() => {
      // Stryker disable next-line ArrayDeclaration: a string in the list is no event of any type
      const events = this.target.events?.() ?? [];
      const hits = events.filter(
        (e) => e.t >= t0 && e.type === after.event && (after.pool === undefined || e.pool === after.pool),
      );
      if (hits.length >= after.nth) {
        clearInterval(poll);
        this.later(after.delay, () => this.fire(step, i));
      }
    }, 25);
    this.timers.push(poll);
  }

  private fire(step: FaultStep, i: number): void {
    if (this.stopped) return;
    const firing = (this.firings.get(i) ?? 0) + 1;
    this.firings.set(i, firing);
    const p = this.attempt(step, i, firing)
      .catch((err: Error) => this.log.warn({ err: err.message, step: i }, 'fault step failed'))
      // Stryker disable next-line ArrowFunction: keeping a settled promise only costs memory (stop() awaits it at once)
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Runs one firing and records its outcome (fault-step mark); a failure is also a fault-error mark, and thrown. */
  private async attempt(step: FaultStep, label: number | string, firing: number): Promise<void> {
    const attemptedAt = Date.now();
    const hit: WorkerInfo[] = [];
    const base = {
      step: label,
      firing,
      action: step.action,
      attemptedAt,
      ...stepTarget(step),
      ...(step.optional ? { optional: true } : {}),
    };
    try {
      await this.act(step, hit);
    } catch (err) {
      const e = err as Error & { code?: unknown };
      const code = typeof e.code === 'string' ? { code: e.code } : {};
      const where = typeof label === 'number' ? `faults[${label}]` : label;
      this.errors.push(`${where} (${step.action}): ${e.message}`);
      this.mark('fault-error', { step: label, action: step.action, error: e.message, ...code });
      this.mark('fault-step', { ...base, status: 'failed', error: e.message, ...code, workers: hit.map(brief) });
      throw err;
    }
    this.mark('fault-step', { ...base, status: 'performed', workers: hit.map(brief) });
  }

  /**
   * Performs one step now, outside the schedule (the step-by-step API: `LabSession.fault`). A failure is recorded
   * like a scheduled step's (errors, a fault-error mark) and then thrown; heals are registered as usual.
   */
  async perform(step: FaultStep, label = 'fault'): Promise<void> {
    if (this.stopped) throw new Error('the fault schedule has stopped');
    const p = this.attempt(step, label, 1);
    this.pending.add(p.catch(() => undefined));
    await p;
  }

  private need<K extends keyof StartedTarget>(k: K): NonNullable<StartedTarget[K]> {
    const f = this.target[k];
    if (!f) {
      const runtime = runtimeOf(this.target);
      const why =
        CONTAINER_ONLY.has(String(k)) && runtime !== 'container'
          ? ` in the "${runtime}" runtime: container faults need --runtime container`
          : '';
      throw new CapabilityError(`target ${this.target.name} cannot ${String(k)}${why}`);
    }
    return (f as (...a: unknown[]) => unknown).bind(this.target) as NonNullable<StartedTarget[K]>;
  }

  /**
   * Picks among the pool's ready workers. A pool between workers (the last one just crashed, its replacement is
   * starting: slow on a loaded machine) is waited for, up to readyWaitMs, rather than failing the step at once.
   */
  private async pick(pool: string, select: FaultStep extends { select?: infer S } ? S : never): Promise<WorkerInfo[]> {
    const list = this.need('workers');
    const deadline = Date.now() + this.readyWaitMs;
    for (;;) {
      const live = (await list(pool)).filter((w) => w.state === 'Ready');
      if (live.length > 0) return pickTargets(live, select, this.rng);
      if (this.stopped || Date.now() >= deadline)
        throw new Error(`pool ${pool} had no ready worker to select from for ${this.readyWaitMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Injects into `w`. When the injection fails: if the target reported delivering it (FaultInjected for w — a hung
   * worker may be killed for its hang before it could answer), it took effect; if the worker went away before it
   * was reached (a race with a crash or a recycle, not a refusal), a fresh pick gets it instead; otherwise it failed.
   */
  private async injectInto(w: WorkerInfo, step: Extract<FaultStep, { action: 'fault' }>): Promise<WorkerInfo> {
    const inject = this.need('injectFault');
    const since = Date.now();
    try {
      await inject(w, step.fault);
      return w;
    } catch (err) {
      // Stryker disable next-line ArrayDeclaration: a string in the list is no FaultInjected
      const reached = (this.target.events?.() ?? []).some(
        (e) => e.type === 'FaultInjected' && e.pid === w.pid && e.t >= since - 50,
      );
      if (reached) {
        this.log.warn(
          { pid: w.pid, err: (err as Error).message },
          'the worker did not answer the injection, but the target delivered it',
        );
        return w;
      }
      await new Promise((r) => setTimeout(r, 200)); // let the worker list catch up with the death
      const [again] = await this.pick(step.pool, 'one' as never);
      if (!again) throw err;
      if (again.pid === w.pid) throw err;
      this.log.warn(
        { pid: w.pid, err: (err as Error).message },
        'the picked worker went away before the injection; picking again',
      );
      await inject(again, step.fault);
      return again;
    }
  }

  /** Performs the step; the workers it acts on are pushed to `hit` as it goes (a failure may come after some). */
  private async act(step: FaultStep, hit: WorkerInfo[]): Promise<void> {
    switch (step.action) {
      case 'recycle':
        this.mark('recycle-requested', { pool: step.pool });
        await this.need('recycle')(step.pool);
        return;
      case 'front-reload':
        this.mark('front-reload-requested');
        await this.need('frontReload')();
        this.mark('front-reloaded');
        return;
      case 'start-pool':
        await this.need('startPool')(step.pool);
        this.mark('pool-started', { pool: step.pool });
        return;
      case 'stop-pool':
        this.mark('pool-stop-requested', { pool: step.pool });
        await this.need('stopPool')(step.pool);
        return;
      case 'signal':
        return this.signalWorkers(step, hit);
      case 'fault': {
        this.need('injectFault');
        const heal = this.need('healFaults');
        for (const picked of await this.pick(step.pool, step.select as never)) {
          const w = await this.injectWithHeal(picked, step, heal);
          hit.push(w);
        }
        return;
      }
      case 'startup-fault':
        return this.setStartupFault(step);
      case 'heal-startup-fault':
        await this.need('setStartupFault')(step.pool, null);
        this.mark('fault-healed', { fault: 'startup', pool: step.pool });
        return;
      case 'container-kill':
        this.mark('fault-injected', { fault: `container-kill:${step.signal}`, signal: step.signal });
        await this.need('containerKill')(step.signal);
        return;
      case 'container-pause':
        return this.pauseContainer(step);
      case 'container-restart': {
        const restart = this.need('containerRestart');
        this.mark('fault-injected', { fault: 'container-restart' });
        const r = await restart();
        this.mark('fault-healed', { fault: 'container-restart', durationMs: r.durationMs });
        return;
      }
      case 'oom':
        return this.oomKill(step, hit);
    }
  }

  private async signalWorkers(step: Extract<FaultStep, { action: 'signal' }>, hit: WorkerInfo[]): Promise<void> {
    const signal = this.need('signal');
    for (const w of await this.pick(step.pool, step.select as never)) {
      this.mark('fault-injected', {
        fault: `signal:${step.signal}`,
        signal: step.signal,
        targetPid: w.pid,
        workerId: w.id,
        pool: step.pool,
      });
      await signal(w.pid, step.signal);
      hit.push(w);
      if (step.signal === 'SIGSTOP')
        this.addHeal(step.duration, async () => {
          await signal(w.pid, 'SIGCONT').catch(() => undefined);
          this.mark('fault-healed', { fault: 'signal:SIGSTOP', targetPid: w.pid });
        });
    }
  }

  /** The heal is registered first: it must run even when setting the fault fails halfway. */
  private async setStartupFault(step: Extract<FaultStep, { action: 'startup-fault' }>): Promise<void> {
    const set = this.need('setStartupFault');
    this.mark('fault-injected', { fault: step.fault, pool: step.pool });
    this.addHeal(undefined, async () => {
      await set(step.pool, null).catch(() => undefined);
      this.mark('fault-healed', { fault: 'startup', pool: step.pool });
    });
    await set(step.pool, step.fault);
  }

  private async pauseContainer(step: Extract<FaultStep, { action: 'container-pause' }>): Promise<void> {
    const pause = this.need('containerPause');
    const unpause = this.need('containerUnpause');
    this.mark('fault-injected', { fault: 'container-pause' });
    // Registered before the pause: a pause request that timed out may still have frozen the container.
    this.addHeal(step.duration, async () => {
      await unpause();
      this.mark('fault-healed', { fault: 'container-pause' });
    });
    await pause();
  }

  private async oomKill(step: Extract<FaultStep, { action: 'oom' }>, hit: WorkerInfo[]): Promise<void> {
    const oomKill = this.need('oomKillWorker');
    const heal = this.need('healFaults');
    const leak: WorkerFaultSpec = {
      kind: 'leak',
      rateKBps: step.leak.rateKBps,
      capKB: step.leak.capKB,
      space: 'offheap',
      durationMs: 0,
    };
    for (const w of await this.pick(step.pool, step.select as never)) {
      this.mark('fault-injected', { fault: 'oom', leak, targetPid: w.pid, workerId: w.id, pool: step.pool });
      // Only needed when the kernel did not act: a killed worker has nothing left to heal.
      this.addHeal(undefined, async () => {
        await heal(w).catch(() => undefined);
      });
      const kill = await oomKill(w, leak, { timeoutMs: step.timeout });
      this.mark('oom-killed', { ...kill, targetPid: kill.pid, pool: step.pool });
      hit.push(w);
    }
  }

  /** Marks, registers the heal (first: an injection that timed out may still have taken effect), then injects. */
  private async injectWithHeal(
    w: WorkerInfo,
    step: Extract<FaultStep, { action: 'fault' }>,
    heal: (w: WorkerInfo) => Promise<void>,
  ): Promise<WorkerInfo> {
    const healOf = (x: WorkerInfo): void =>
      this.addHeal(step.duration, async () => {
        await heal(x).catch(() => undefined); // the worker may be gone: that is fine
        this.mark('fault-healed', { fault: step.fault.kind, targetPid: x.pid });
      });
    this.mark('fault-injected', { fault: step.fault, targetPid: w.pid, workerId: w.id, pool: step.pool });
    healOf(w);
    const into = await this.injectInto(w, step);
    if (into.pid !== w.pid) {
      this.mark('fault-injected', { fault: step.fault, targetPid: into.pid, workerId: into.id, pool: step.pool });
      healOf(into);
    }
    return into;
  }

  /** Registers a heal: after `ms` if given, and in any case when the schedule stops. */
  private addHeal(ms: number | undefined, fn: () => Promise<void>): void {
    // Stryker disable next-line UpdateOperator: counting down gives unique ids as well
    const id = ++this.healSeq;
    let done = false;
    const once = async (): Promise<void> => {
      if (done) return;
      done = true;
      this.heals.delete(id);
      await fn();
    };
    this.heals.set(id, once);
    if (ms !== undefined) {
      this.later(ms, () => {
        once().catch((err: Error) => {
          this.errors.push(`heal: ${err.message}`);
          this.mark('fault-error', { action: 'heal', error: err.message });
        });
      });
    }
  }

  /** Cancels what has not fired, waits for running actions, then runs every outstanding heal. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.heals.values()].map((h) => h()));
  }
}

/** What the plan says of one step: its action and target, how often it fires (null: on an event), optional or not. */
function planOf(step: FaultStep, i: number): Record<string, unknown> {
  return {
    step: i,
    action: step.action,
    ...stepTarget(step),
    firings: step.after ? null : firingTimes(step).length,
    optional: step.optional === true,
  };
}

/** The pool and the kind of fault of a step, for marks. */
function stepTarget(step: FaultStep): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if ('pool' in step) o['pool'] = step.pool;
  if (step.action === 'signal') o['signal'] = step.signal;
  if (step.action === 'fault' || step.action === 'startup-fault') o['fault'] = step.fault.kind;
  return o;
}

const brief = (w: WorkerInfo): Record<string, unknown> => ({ pid: w.pid, workerId: w.id, pool: w.pool });

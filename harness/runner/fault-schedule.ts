// The fault schedule of a run: fires each scenario fault step at its time (at / every / after an event), against
// whatever the target can do (capabilities), and records every action as a mark in the history. Heal steps always
// run: timed heals when their duration ends, and every remaining heal in stop(), whatever happened before.
// A step the target has no capability for fails with LAB_ERR_CAPABILITY (e.g. container faults on the process
// runtime); such a run did not test what its scenario says, so its verdict becomes unknown (unperformed-faults.ts).
import { pickTargets, type Random } from '../../faults';
import type { WorkerFaultSpec } from '../../faults/spec';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import type { FaultStep } from '../scenarios/schema';
import type { Logger } from '../../targets/w3/util/logger';

export type MarkFn = (name: string, extra?: Record<string, unknown>) => void;

export class CapabilityError extends Error {
  readonly code = 'LAB_ERR_CAPABILITY';
}

/** Capabilities only a target in a container has (the process runtime cannot freeze or OOM-kill "the machine"). */
const CONTAINER_ONLY = new Set<string>(['containerKill', 'containerPause', 'containerUnpause', 'containerRestart', 'oomKillWorker']);

export class FaultSchedule {
  private timers: NodeJS.Timeout[] = [];
  private heals = new Map<number, () => Promise<void>>();
  private healSeq = 0;
  private pending = new Set<Promise<void>>();
  private stopped = false;
  readonly errors: string[] = [];

  constructor(
    private readonly target: StartedTarget,
    private readonly steps: FaultStep[],
    private readonly rng: Random,
    private readonly mark: MarkFn,
    private readonly log: Logger,
  ) {}

  /** Arms every step relative to now (the workload start). */
  start(): void {
    const t0 = Date.now();
    this.steps.forEach((step, i) => {
      if (step.at !== undefined) this.later(step.at, () => this.fire(step, i));
      else if (step.every !== undefined) {
        let n = 0;
        const first = step.from ?? step.every;
        for (let at = first; ; at += step.every) {
          if (step.until !== undefined && at > step.until) break;
          if (step.times !== undefined && n >= step.times) break;
          if (n >= 10_000) break; // bounded whatever the file says
          this.later(at, () => this.fire(step, i));
          n++;
        }
      } else if (step.after) this.watchEvent(step, i, t0);
    });
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }

  private watchEvent(step: FaultStep, i: number, t0: number): void {
    const after = step.after!;
    const poll = setInterval(() => {
      const events = this.target.events?.() ?? [];
      const hits = events.filter((e) => e.t >= t0 && e.type === after.event && (after.pool === undefined || e.pool === after.pool));
      if (hits.length >= after.nth) {
        clearInterval(poll);
        this.later(after.delay, () => this.fire(step, i));
      }
    }, 25);
    this.timers.push(poll as unknown as NodeJS.Timeout);
  }

  private fire(step: FaultStep, i: number): void {
    if (this.stopped) return;
    const p = this.act(step)
      .catch((err: Error) => {
        const msg = `faults[${i}] (${step.action}): ${err.message}`;
        const code = (err as { code?: unknown }).code;
        this.errors.push(msg);
        this.mark('fault-error', { step: i, action: step.action, error: err.message, ...(typeof code === 'string' ? { code } : {}) });
        this.log.warn({ err: err.message, step: i }, 'fault step failed');
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /**
   * Performs one step now, outside the schedule (the step-by-step API: `LabSession.fault`). A failure is recorded
   * like a scheduled step's (errors, a fault-error mark) and then thrown; heals are registered as usual.
   */
  async perform(step: FaultStep, label = 'fault'): Promise<void> {
    if (this.stopped) throw new Error('the fault schedule has stopped');
    const p = this.act(step);
    this.pending.add(p.catch(() => undefined));
    try {
      await p;
    } catch (err) {
      const e = err as Error & { code?: unknown };
      this.errors.push(`${label} (${step.action}): ${e.message}`);
      this.mark('fault-error', { step: label, action: step.action, error: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) });
      throw err;
    }
  }

  private need<K extends keyof StartedTarget>(k: K): NonNullable<StartedTarget[K]> {
    const f = this.target[k];
    if (!f) {
      const runtime = String(this.target.runtimeDetails?.['runtime'] ?? 'process');
      const why = CONTAINER_ONLY.has(String(k)) && runtime !== 'container' ? ` in the "${runtime}" runtime: container faults need --runtime container` : '';
      throw new CapabilityError(`target ${this.target.name} cannot ${String(k)}${why}`);
    }
    return (f as (...a: unknown[]) => unknown).bind(this.target) as NonNullable<StartedTarget[K]>;
  }

  private async pick(pool: string, select: FaultStep extends { select?: infer S } ? S : never): Promise<WorkerInfo[]> {
    const all = await this.need('workers')(pool);
    const live = all.filter((w) => w.state === 'Ready');
    if (live.length === 0) throw new Error(`pool ${pool} has no ready worker to select from`);
    return pickTargets(live, select as never, this.rng);
  }

  private async act(step: FaultStep): Promise<void> {
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
      case 'signal': {
        const signal = this.need('signal');
        for (const w of await this.pick(step.pool, step.select as never)) {
          this.mark('fault-injected', { fault: `signal:${step.signal}`, signal: step.signal, targetPid: w.pid, workerId: w.id, pool: step.pool });
          await signal(w.pid, step.signal);
          if (step.signal === 'SIGSTOP') this.addHeal(step.duration, async () => {
            await signal(w.pid, 'SIGCONT').catch(() => undefined);
            this.mark('fault-healed', { fault: 'signal:SIGSTOP', targetPid: w.pid });
          });
        }
        return;
      }
      case 'fault': {
        const inject = this.need('injectFault');
        const heal = this.need('healFaults');
        for (const w of await this.pick(step.pool, step.select as never)) {
          this.mark('fault-injected', { fault: step.fault, targetPid: w.pid, workerId: w.id, pool: step.pool });
          // The heal is registered first: an injection that timed out may still have taken effect.
          this.addHeal(step.duration, async () => {
            await heal(w).catch(() => undefined); // the worker may be gone: that is fine
            this.mark('fault-healed', { fault: step.fault.kind, targetPid: w.pid });
          });
          await inject(w, step.fault);
        }
        return;
      }
      case 'startup-fault': {
        const set = this.need('setStartupFault');
        this.mark('fault-injected', { fault: step.fault, pool: step.pool });
        this.addHeal(undefined, async () => {
          await set(step.pool, null).catch(() => undefined);
          this.mark('fault-healed', { fault: 'startup', pool: step.pool });
        });
        await set(step.pool, step.fault);
        return;
      }
      case 'heal-startup-fault':
        await this.need('setStartupFault')(step.pool, null);
        this.mark('fault-healed', { fault: 'startup', pool: step.pool });
        return;
      case 'container-kill':
        this.mark('fault-injected', { fault: `container-kill:${step.signal}`, signal: step.signal });
        await this.need('containerKill')(step.signal);
        return;
      case 'container-pause': {
        const pause = this.need('containerPause');
        const unpause = this.need('containerUnpause');
        this.mark('fault-injected', { fault: 'container-pause' });
        // Registered before the pause: a pause request that timed out may still have frozen the container.
        this.addHeal(step.duration, async () => {
          await unpause();
          this.mark('fault-healed', { fault: 'container-pause' });
        });
        await pause();
        return;
      }
      case 'container-restart': {
        const restart = this.need('containerRestart');
        this.mark('fault-injected', { fault: 'container-restart' });
        const r = await restart();
        this.mark('fault-healed', { fault: 'container-restart', durationMs: r.durationMs });
        return;
      }
      case 'oom': {
        const oomKill = this.need('oomKillWorker');
        const heal = this.need('healFaults');
        const leak: WorkerFaultSpec = { kind: 'leak', rateKBps: step.leak.rateKBps, capKB: step.leak.capKB, space: 'offheap', durationMs: 0 };
        for (const w of await this.pick(step.pool, step.select as never)) {
          this.mark('fault-injected', { fault: 'oom', leak, targetPid: w.pid, workerId: w.id, pool: step.pool });
          // Only needed when the kernel did not act: a killed worker has nothing left to heal.
          this.addHeal(undefined, async () => {
            await heal(w).catch(() => undefined);
          });
          const kill = await oomKill(w, leak, { timeoutMs: step.timeout });
          this.mark('oom-killed', { ...kill, targetPid: kill.pid, pool: step.pool });
        }
        return;
      }
    }
  }

  /** Registers a heal: after `ms` if given, and in any case when the schedule stops. */
  private addHeal(ms: number | undefined, fn: () => Promise<void>): void {
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
    for (const t of this.timers) clearTimeout(t), clearInterval(t);
    await Promise.allSettled([...this.pending]);
    await Promise.allSettled([...this.heals.values()].map((h) => h()));
  }
}

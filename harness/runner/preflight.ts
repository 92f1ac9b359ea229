// Preflight: everything about a scenario that can be known wrong before anything starts, checked for the target it
// will run on — the target name, the target's own settings (for w3: the `config:` block against w3's config
// schema, module files included), the pools that fault steps and checks name, the phases and marks that checks
// refer to, fault steps scheduled where they could never fire, and the event types `after:` waits for. All
// problems are collected and reported together, each with its path in the scenario file (`config.pools.0.…`,
// `faults.1.pool`, `expect.2.options.phase`); the CLI exits 254 and no run folder is made. Checker names and
// option types were already checked when the scenario was loaded.
import { LAB_EVENT_TYPES } from '../events';
import { missingCapabilities } from '../targets/capabilities';
import { getTarget, targetNames } from '../targets/registry';
import type { SettingsCheck, Target } from '../targets/types';
import type { FaultStep, Scenario } from '../scenarios/schema';
import { targetSettings } from './target-settings';

export interface PreflightProblem {
  /** Where in the scenario file, dotted: "config.pools.0.processModel.pingInterval", "faults.1.pool". */
  path: string;
  message: string;
}

export class PreflightError extends Error {
  readonly code = 'LAB_ERR_PREFLIGHT';
  readonly exitCode = 254;
  constructor(
    readonly file: string,
    readonly target: string,
    readonly problems: PreflightProblem[],
    /** How the message names the scenario: its file, or `scenario object "name"` for one given as a value. */
    source = `scenario ${file}`,
  ) {
    super(
      `${source} (target ${target}): ${problems.length} problem(s) found before the run:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

/** Names of the marks the runner writes; check time references ("pool-started+1000") may name these. */
export const MARK_NAMES: readonly string[] = [
  'start',
  'end',
  'workload-start',
  'workload-end',
  'phase-start',
  'phase-end',
  'fault-injected',
  'fault-healed',
  'fault-step',
  'recycle-requested',
  'pool-started',
  'pool-stop-requested',
  'oom-killed',
  'fault-error',
  'run-error',
];

/** When the workload ends, ms after it starts: the last phase's end. */
export function workloadEndMs(sc: Scenario): number {
  return Math.max(...sc.workload.map((p) => p.start + p.duration));
}

/** The times (ms after the workload start) a timed step fires; `after:` steps have none known in advance. */
export function firingTimes(step: FaultStep): number[] {
  if (step.at !== undefined) return [step.at];
  if (step.every === undefined) return [];
  const out: number[] = [];
  for (let at = step.from ?? step.every; out.length < 10_000; at += step.every) {
    if (at > (step.until ?? Infinity) || out.length >= (step.times ?? Infinity)) break;
    out.push(at);
  }
  return out;
}

function timingProblems(sc: Scenario): PreflightProblem[] {
  const end = workloadEndMs(sc);
  const out: PreflightProblem[] = [];
  sc.faults.forEach((step, i) => {
    const late = firingTimes(step).filter((t) => t >= end);
    if (late.length > 0) {
      out.push({
        path: `faults.${i}`,
        message:
          `fires at ${late.slice(0, 3).join(', ')} ms, at or after the end of the workload (${end} ms): ` +
          'it would never run',
      });
    }
    if (step.after && !(LAB_EVENT_TYPES as readonly string[]).includes(step.after.event)) {
      out.push({
        path: `faults.${i}.after.event`,
        message: `no event type "${step.after.event}" (known: ${LAB_EVENT_TYPES.join(', ')})`,
      });
    }
  });
  return out;
}

/** A time reference names a mark (optionally ±ms at its end); the mark must be one the runner writes. */
function badTimeRef(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const name = ref.replace(/(?<=.)[+-]\d+(?:\.\d+)?$/, '');
  return MARK_NAMES.includes(name) ? undefined : name;
}

function checkProblems(sc: Scenario, target: string, pools: readonly string[] | undefined): PreflightProblem[] {
  const phases = sc.workload.map((p) => p.name);
  const out: PreflightProblem[] = [];
  sc.expect.forEach((e, i) => {
    const at = `expect.${i}`;
    for (const t of e.targets ?? []) {
      if (!targetNames().includes(t))
        out.push({ path: `${at}.targets`, message: `unknown target "${t}" (known: ${targetNames().join(', ')})` });
    }
    if (e.targets && !e.targets.includes(target)) return; // not checked on this target
    const o = e.options;
    if (typeof o['phase'] === 'string' && !phases.includes(o['phase'])) {
      out.push({
        path: `${at}.options.phase`,
        message: `no workload phase "${o['phase']}" (phases: ${phases.join(', ')})`,
      });
    }
    for (const key of ['from', 'to', 'after']) {
      const bad = badTimeRef(o[key]);
      if (bad !== undefined)
        out.push({
          path: `${at}.options.${key}`,
          message: `no mark "${bad}" is ever written (marks: ${MARK_NAMES.join(', ')})`,
        });
    }
    if (pools && typeof o['pool'] === 'string' && !pools.includes(o['pool'])) {
      out.push({
        path: `${at}.options.pool`,
        message: `no pool "${o['pool']}" on ${target} (pools: ${pools.join(', ')})`,
      });
    }
  });
  return out;
}

function poolProblems(sc: Scenario, target: string, pools: readonly string[]): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  const known = (p: string): boolean => pools.includes(p);
  sc.faults.forEach((step, i) => {
    const pool = (step as { pool?: string }).pool; // only the actions on one pool have the field
    if (pool !== undefined && !known(pool)) {
      out.push({ path: `faults.${i}.pool`, message: `no pool "${pool}" on ${target} (pools: ${pools.join(', ')})` });
    }
    if (step.after?.pool !== undefined && !known(step.after.pool)) {
      out.push({
        path: `faults.${i}.after.pool`,
        message: `no pool "${step.after.pool}" on ${target} (pools: ${pools.join(', ')})`,
      });
    }
  });
  return out;
}

/** The target's own check of its settings, with paths as the scenario file has them. */
function settingsProblems(
  t: Target,
  sc: Scenario,
  file: string,
  name: string,
): { problems: PreflightProblem[]; check?: SettingsCheck } {
  if (!t.checkSettings) return { problems: [] };
  const check = t.checkSettings(targetSettings(sc, file, name));
  // `config` is the scenario's config block; every other setting comes from its `targets.<name>` block.
  const where = (p: string): string =>
    p === 'config' || p.startsWith('config.') ? p : `targets.${name}${p ? `.${p}` : ''}`;
  return { problems: check.problems.map((p) => ({ path: where(p.path), message: p.message })), check };
}

/** Every problem of running `sc` (from `file`) on `target`; empty when it may start. */
export function preflightProblems(sc: Scenario, file: string, target: string): PreflightProblem[] {
  let t: Target;
  try {
    t = getTarget(target);
  } catch (err) {
    return [{ path: 'target', message: (err as Error).message }];
  }
  const problems = [...timingProblems(sc)];
  const settings = targetSettings(sc, file, target);
  const caps = t.capabilities?.(settings);
  // A scenario the target does not support is reported as such (no run); its pools and settings are not judged.
  if (caps && missingCapabilities(sc.requires, caps).length > 0)
    return [...problems, ...checkProblems(sc, target, undefined)];
  const own = settingsProblems(t, sc, file, target);
  problems.push(...own.problems);
  const pools = own.check?.pools;
  problems.push(...checkProblems(sc, target, pools));
  if (pools && own.problems.length === 0) problems.push(...poolProblems(sc, target, pools));
  return problems;
}

/** Throws PreflightError (exit 254) listing every problem; returns quietly when there is none. */
export function preflight(sc: Scenario, file: string, target: string, source?: string): void {
  const problems = preflightProblems(sc, file, target);
  if (problems.length > 0) throw new PreflightError(file, target, problems, source);
}

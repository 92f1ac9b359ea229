// Shared vocabulary of the checkers: defining a checker with a zod options schema, picking records out of a
// history, resolving time windows (offsets and mark references), selecting a pool's events, percentiles and
// counting. Every checker builds on these so that a window or a percentile means the same thing in every verdict.
import { z } from 'zod';
import type { MarkRecord, RequestRecord, SocketRecord } from '../history/types';
import type { LabEvent, LabEventOf, LabEventType } from '../events';
import type { Checker, CheckInput, Validity, Verdict } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Defining checkers

/** A checker that also carries the zod schema of its options (defaults and descriptions live there). */
export interface SchemaChecker<S extends z.ZodType> extends Checker<z.input<S>> {
  optionsSchema: S;
}

/** Options are parsed (defaults applied, unknown keys rejected) before `run` sees them. */
export function defineChecker<S extends z.ZodType>(
  name: string,
  optionsSchema: S,
  run: (input: CheckInput, options: z.output<S>) => Verdict,
): SchemaChecker<S> {
  return { name, optionsSchema, check: (input, options) => run(input, optionsSchema.parse(options ?? {})) };
}

export function verdict(valid: Validity, summary: string, details: Record<string, unknown> = {}): Verdict {
  return { valid, summary, details };
}

// ---------------------------------------------------------------------------------------------------------------
// History records

export const requestsOf = (input: CheckInput): RequestRecord[] =>
  input.history.filter((r): r is RequestRecord => r.kind === 'request');

export const socketsOf = (input: CheckInput): SocketRecord[] =>
  input.history.filter((r): r is SocketRecord => r.kind === 'socket');

export function marksOf(input: CheckInput, name?: string): MarkRecord[] {
  return input.history
    .filter((r): r is MarkRecord => r.kind === 'mark' && (name === undefined || r.name === name))
    .sort((a, b) => a.t - b.t);
}

/** The kind of fault a 'fault-injected' mark describes: `fault` may be a kind string or a spec with `kind`. */
export function faultKindOf(mark: MarkRecord): string | undefined {
  const fault = mark['fault'];
  if (typeof fault === 'string') return fault;
  if (typeof fault === 'object' && fault !== null && typeof (fault as { kind?: unknown }).kind === 'string') {
    return (fault as { kind: string }).kind;
  }
  return undefined;
}

export function numberField(rec: object, key: string): number | undefined {
  const v = (rec as Record<string, unknown>)[key];
  return Number.isFinite(v) ? (v as number) : undefined; // false for anything but a finite number
}

/** When the client saw the end of a request (response complete, error or timeout). */
export const endOf = (r: RequestRecord): number => r.t + r.latencyMs;

/** A compact, JSON-friendly view of a request for verdict details (times relative to run start). */
export function requestBrief(input: CheckInput, r: RequestRecord): Record<string, unknown> {
  return {
    id: r.id,
    at: r.t - input.start,
    path: r.path,
    outcome: r.outcome,
    ...(r.status !== undefined ? { status: r.status } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.workerPid !== undefined ? { workerPid: r.workerPid } : {}),
    latencyMs: r.latencyMs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Time references and windows

export const timeRefSchema = z
  .union([z.number(), z.string().min(1)])
  .describe(
    'ms offset from the run start, or a mark reference: "NAME", "NAME+MS" or "NAME-MS" (first mark of that name); ' +
      '"start" and "end" mean the run start and end',
  );
export type TimeRef = z.infer<typeof timeRefSchema>;

export type Resolved<T> = { ok: true; value: T } | { ok: false; reason: string };

const OFFSET_SUFFIX = /^(.+?)([+-]\d+(?:\.\d+)?)$/;

/** Epoch ms of a time reference. A missing mark is not an error of the target: the caller answers unknown. */
export function resolveTimeRef(input: CheckInput, ref: TimeRef): Resolved<number> {
  if (typeof ref === 'number') return { ok: true, value: input.start + ref };
  const at = (name: string): number | undefined => {
    const mark = marksOf(input, name)[0];
    if (mark) return mark.t;
    if (name === 'start') return input.start;
    if (name === 'end') return input.end;
    return undefined;
  };
  // A mark whose own name ends in "-<digits>" wins over the offset reading.
  const exact = at(ref);
  if (exact !== undefined) return { ok: true, value: exact };
  const [, name, offset] = OFFSET_SUFFIX.exec(ref) ?? [];
  const base = name === undefined ? undefined : at(name);
  if (base !== undefined) return { ok: true, value: base + Number(offset) };
  return { ok: false, reason: `no mark "${name ?? ref}" in the history` };
}

/** A half-open interval [from, to) in epoch ms; open ends are ±Infinity. */
export interface Window {
  from: number;
  to: number;
}

export const inWindow = (w: Window, t: number): boolean => t >= w.from && t < w.to;

export function resolveWindow(input: CheckInput, from?: TimeRef, to?: TimeRef): Resolved<Window> {
  const f = from === undefined ? { ok: true as const, value: -Infinity } : resolveTimeRef(input, from);
  if (!f.ok) return f;
  const t = to === undefined ? { ok: true as const, value: Infinity } : resolveTimeRef(input, to);
  if (!t.ok) return t;
  return { ok: true, value: { from: f.value, to: t.value } };
}

/** The window as offsets from the run start (null = open end), for details. */
export function describeWindow(input: CheckInput, w: Window): { from: number | null; to: number | null } {
  const off = (t: number): number | null => (Number.isFinite(t) ? t - input.start : null);
  return { from: off(w.from), to: off(w.to) };
}

/** Window selection shared by the request-level checkers. */
export const requestWindowShape = {
  from: timeRefSchema.optional(),
  to: timeRefSchema.optional(),
  phase: z
    .string()
    .optional()
    .describe('only requests tagged with this phase (untagged ones count when inside its phase-start/phase-end marks)'),
};

/**
 * Requests written inside [from, to) and, when `phase` is given, belonging to that phase: tagged with it, or
 * untagged and written between its 'phase-start' and 'phase-end' marks.
 */
export function selectRequests(
  input: CheckInput,
  sel: { from?: TimeRef | undefined; to?: TimeRef | undefined; phase?: string | undefined },
): Resolved<{ requests: RequestRecord[]; window: Window }> {
  const w = resolveWindow(input, sel.from, sel.to);
  if (!w.ok) return w;
  let requests = requestsOf(input).filter((r) => inWindow(w.value, r.t));
  if (sel.phase !== undefined) {
    const phase = sel.phase;
    const isPhase = (m: MarkRecord): boolean => m['phase'] === phase;
    // No start mark: the window is empty (it starts at Infinity), so only tagged requests count.
    const from = marksOf(input, 'phase-start').find(isPhase)?.t ?? Infinity;
    const to = marksOf(input, 'phase-end').find((m) => isPhase(m) && m.t >= from)?.t ?? Infinity;
    requests = requests.filter((r) => (r.phase !== undefined ? r.phase === phase : inWindow({ from, to }, r.t)));
  }
  return { ok: true, value: { requests, window: w.value } };
}

// ---------------------------------------------------------------------------------------------------------------
// Events

/** Types that end a worker process, whatever the cause. */
export const WORKER_GONE: readonly LabEventType[] = ['WorkerExited', 'WorkerCrashed', 'WorkerKilled'];

/** Events in time order (stable for equal times), optionally of one pool and of some types only. */
export function eventsOf<K extends LabEventType>(
  input: CheckInput,
  pool: string | undefined,
  types: readonly K[],
): LabEventOf<K>[];
export function eventsOf(input: CheckInput, pool?: string): LabEvent[];
export function eventsOf(input: CheckInput, pool?: string, types?: readonly LabEventType[]): LabEvent[] {
  // Array.prototype.sort is stable: events of the same millisecond keep their order.
  return input.events
    .filter((e) => (pool === undefined || e.pool === pool) && (types === undefined || types.includes(e.type)))
    .sort((a, b) => a.t - b.t);
}

export function poolsOf(input: CheckInput): string[] {
  return [...new Set(input.events.map((e) => e.pool).filter((p): p is string => p !== undefined))].sort();
}

/** A compact view of an event for verdict details (time relative to run start). */
export function eventBrief(input: CheckInput, e: LabEvent): Record<string, unknown> {
  const { t, type, source: _source, ...fields } = e;
  return { at: t - input.start, type, ...fields };
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers and grouping

/** Nearest-rank percentile of ascending-sorted values (p in 0..100); undefined for no values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LatencySummary {
  count: number;
  min?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  max?: number;
  mean?: number;
}

export function summarise(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0 };
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    min: sorted[0],
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: Math.round(mean * 100) / 100,
  };
}

export function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** How many offending examples a verdict lists by default. */
export const EXAMPLES = 5;

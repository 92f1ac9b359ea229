// Time windows of a run that reports shade and `compare` measures inside: fault windows (a fault-injected mark up
// to its fault-healed mark; signals other than SIGSTOP are instants) and recycle windows (RecycleStarted up to
// RecycleCompleted or RecycleOverlapFailed of the same recycle id). Pure; times are epoch ms.
import type { HistoryRecord, MarkRecord } from '../history/types';
import type { LabEvent } from '../events';
import { faultKindOf } from '../checkers/shared';

export interface TimeWindow {
  kind: 'fault' | 'recycle';
  from: number;
  to: number;
  label: string;
  /** A point in time (a signal), drawn as a line rather than a band. */
  instant: boolean;
  /** No closing record was found: `to` is a default width (faults) or the run end (recycles). */
  open: boolean;
  pool?: string;
  pid?: number;
  recycleId?: number;
}

/** How long an unhealed, non-instant fault is shaded when no fault-healed mark closes it. */
export const DEFAULT_FAULT_WIDTH_MS = 1000;

const marksIn = (history: HistoryRecord[]): MarkRecord[] =>
  history.filter((r): r is MarkRecord => r.kind === 'mark').sort((a, b) => a.t - b.t);

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Fault windows from the marks. With `events`, a fault on one worker also ends when that worker's process exits
 * (the harness only heals at the end of the run, but a fault dies with its process).
 */
export function faultWindows(
  history: HistoryRecord[],
  end: number,
  events: LabEvent[] = [],
  defaultWidthMs = DEFAULT_FAULT_WIDTH_MS,
): TimeWindow[] {
  const marks = marksIn(history);
  const exitOf = (pid: number, after: number): number | undefined =>
    events
      .filter((e) => (e.type === 'WorkerExited' || e.type === 'WorkerCrashed') && e.pid === pid && e.t >= after)
      .sort((a, b) => a.t - b.t)[0]?.t;
  const heals = marks.filter((m) => m.name === 'fault-healed');
  const used = new Set<MarkRecord>();
  const out: TimeWindow[] = [];
  for (const m of marks) {
    if (m.name !== 'fault-injected') continue;
    const kind = faultKindOf(m) ?? 'fault';
    const pid = num(m['targetPid']);
    const pool = str(m['pool']);
    const base = {
      kind: 'fault' as const,
      label: kind,
      ...(pool !== undefined ? { pool } : {}),
      ...(pid !== undefined ? { pid } : {}),
    };
    if (kind.startsWith('signal:') && kind !== 'signal:SIGSTOP') {
      out.push({ ...base, from: m.t, to: m.t, instant: true, open: false });
      continue;
    }
    // The heal that belongs to this fault: same worker pid when both name one, else the same pool (or none).
    const heal = heals.find((h) => {
      if (used.has(h) || h.t < m.t) return false;
      const hp = num(h['targetPid']);
      if (pid !== undefined && hp !== undefined) return hp === pid;
      const hpool = str(h['pool']);
      return pool === undefined || hpool === undefined || hpool === pool;
    });
    const exit = pid !== undefined ? exitOf(pid, m.t) : undefined;
    if (heal) used.add(heal);
    if (exit !== undefined && (!heal || exit < heal.t)) {
      out.push({
        ...base,
        label: `${kind} (until the worker exited)`,
        from: m.t,
        to: exit,
        instant: false,
        open: false,
      });
    } else if (heal) {
      out.push({ ...base, from: m.t, to: heal.t, instant: false, open: false });
    } else {
      out.push({
        ...base,
        from: m.t,
        to: Math.max(m.t, Math.min(m.t + defaultWidthMs, end)),
        instant: false,
        open: true,
      });
    }
  }
  return out;
}

export function recycleWindows(events: LabEvent[], end: number): TimeWindow[] {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const out: TimeWindow[] = [];
  for (const s of sorted) {
    if (s.type !== 'RecycleStarted' || s.recycleId === undefined) continue;
    const close = sorted.find(
      (e) =>
        (e.type === 'RecycleCompleted' || e.type === 'RecycleOverlapFailed') &&
        e.recycleId === s.recycleId &&
        e.pool === s.pool &&
        e.t >= s.t,
    );
    const label =
      `recycle #${s.recycleId} ${s.reason ?? ''}`.trim() +
      (close?.type === 'RecycleOverlapFailed' ? ' (overlap failed)' : '');
    out.push({
      kind: 'recycle',
      from: s.t,
      to: close ? close.t : Math.max(s.t, end),
      label,
      instant: false,
      open: close === undefined,
      recycleId: s.recycleId,
      ...(s.pool !== undefined ? { pool: s.pool } : {}),
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
    });
  }
  return out;
}

/** Total length of the union of the windows (overlapping recycles of several workers count once). */
export function unionLength(windows: readonly { from: number; to: number }[]): number {
  const sorted = [...windows].filter((w) => w.to > w.from).sort((a, b) => a.from - b.from);
  let total = 0;
  let curFrom = -Infinity;
  let curTo = -Infinity;
  for (const w of sorted) {
    if (w.from > curTo) {
      if (curTo > curFrom) total += curTo - curFrom;
      curFrom = w.from;
      curTo = w.to;
    } else curTo = Math.max(curTo, w.to);
  }
  if (curTo > curFrom) total += curTo - curFrom;
  return total;
}

export const insideAny = (windows: readonly { from: number; to: number }[], t: number): boolean =>
  windows.some((w) => t >= w.from && t <= w.to);

// One row per recycle for the report's recycle table: when it started, when the replacement became ready, when the
// old worker exited, how long the two processes coexisted (overlap), how long the old one kept running after the
// replacement was ready (drain; negative = a gap with no ready worker, as with disallowOverlappingRotation), and
// the requests written while the recycle was in progress. Pure.
import type { RequestRecord, HistoryRecord } from '../history/types';
import type { LabEvent, LabEventOf } from '../events';
import { recycleWindows } from './windows';

export interface RecycleRow {
  recycleId: number;
  pool: string;
  reason: string;
  overlapped: boolean | null;
  oldPid: number | null;
  newPid: number | null;
  /** Times in ms since the workload start; null when the run does not say. */
  startMs: number;
  newStartingMs: number | null;
  newReadyMs: number | null;
  oldExitMs: number | null;
  completedMs: number | null;
  durationMs: number | null;
  /** ms both processes were alive: replacement started → old exited (0 when they never coexisted). */
  overlapMs: number | null;
  /** Replacement ready → old exited. Negative: the old one was gone before the replacement was ready. */
  drainMs: number | null;
  requests: number;
  failures: number;
  outcome: 'completed' | 'overlap-failed' | 'incomplete';
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const EXITS = new Set(['WorkerExited', 'WorkerCrashed']);

export function recycleRows(history: HistoryRecord[], events: LabEvent[], start: number, end: number): RecycleRow[] {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const requests = history.filter((r): r is RequestRecord => r.kind === 'request');
  const rel = (t: number | null): number | null => (t === null ? null : t - start);
  return recycleWindows(sorted, end).map((w) => {
    const id = w.recycleId!;
    const started = sorted.find(
      (e): e is LabEventOf<'RecycleStarted'> => e.type === 'RecycleStarted' && e.recycleId === id && e.pool === w.pool,
    )!;
    const mine = (e: LabEvent): boolean =>
      'recycleId' in e && e.recycleId === id && e.pool === w.pool && e.t >= started.t;
    const completed = sorted.find((e): e is LabEventOf<'RecycleCompleted'> => e.type === 'RecycleCompleted' && mine(e));
    const failed = sorted.find((e) => e.type === 'RecycleOverlapFailed' && mine(e));
    const oldPid = num(started.pid) ?? num(completed?.oldPid);
    const newStarting = sorted.find((e) => e.type === 'WorkerStarting' && mine(e));
    const newPid = num(completed?.newPid) ?? num(newStarting?.pid);
    const byPid = (type: string): LabEvent | undefined =>
      newPid === null ? undefined : sorted.find((e) => e.type === type && e.pid === newPid && e.t >= started.t);
    const ready = sorted.find((e) => e.type === 'WorkerReady' && mine(e)) ?? byPid('WorkerReady');
    const oldExit =
      oldPid === null ? undefined : sorted.find((e) => EXITS.has(e.type) && e.pid === oldPid && e.t >= started.t);
    const readyMsField = num(completed?.readyMs);
    const oldExitField = num(completed?.oldExitMs);
    const readyAt = ready?.t ?? (readyMsField !== null ? started.t + readyMsField : null);
    const oldExitAt = oldExit?.t ?? (oldExitField !== null ? started.t + oldExitField : null);
    const startingAt = (newStarting ?? byPid('WorkerStarting'))?.t ?? null;
    const windowEnd = completed?.t ?? failed?.t ?? end;
    const inWindow = requests.filter((r) => r.t >= started.t && r.t <= windowEnd);
    const overlapped = started.overlapped ?? completed?.overlapped ?? null;
    return {
      recycleId: id,
      pool: w.pool ?? '?',
      reason: started.reason,
      overlapped,
      oldPid,
      newPid,
      startMs: started.t - start,
      newStartingMs: rel(startingAt),
      newReadyMs: rel(readyAt),
      oldExitMs: rel(oldExitAt),
      completedMs: rel(completed?.t ?? null),
      durationMs: num(completed?.durationMs) ?? (completed ? completed.t - started.t : null),
      overlapMs: startingAt !== null && oldExitAt !== null ? Math.max(0, oldExitAt - startingAt) : null,
      drainMs: readyAt !== null && oldExitAt !== null ? oldExitAt - readyAt : null,
      requests: inWindow.length,
      failures: inWindow.filter((r) => r.outcome !== 'ok').length,
      outcome: completed ? 'completed' : failed ? 'overlap-failed' : 'incomplete',
    };
  });
}

// Run statistics for results.json, summary.md and the CLI table: request outcomes, connection closes and the key
// timings taken from the target's events (recycle durations, detection latencies, replacement start times).
import type { HistoryRecord, RequestRecord, SocketCloseKind, SocketRecord } from '../history/types';
import type { LabEvent, LabEventOf } from '../events';

/**
 * Socket ends the server caused (a FIN, announced by `Connection: close` or not, a reset or an error), as opposed to
 * the client closing: the same closes connectionsSurvive counts by default, so the figure and the verdict agree.
 */
const SERVER_CLOSES: ReadonlySet<SocketCloseKind | undefined> = new Set([
  'server-fin',
  'server-close-announced',
  'reset',
  'error',
]);

export interface RunStats {
  requests: number;
  ok: number;
  fail: number;
  info: number;
  byError: Record<string, number>;
  byStatus: Record<string, number>;
  sockets: number;
  serverClosedSockets: number;
  rps: number;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  recycles: { count: number; durationMs: Summary; readyMs: Summary };
  crashes: number;
  /** Requests the target replayed on another worker after one failed under them, and those it could not replay. */
  replays: { retried: number; abandoned: number };
  workerReadyMs: Summary;
  detections: { pingFailed: number; stalled: number; startupTimeouts: number; shutdownTimeouts: number };
  poolStops: { pool?: string; reason?: string; t: number }[];
}

export interface Summary {
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : null };
}

export function computeStats(history: HistoryRecord[], events: LabEvent[], start: number, end: number): RunStats {
  const reqs = history.filter((r): r is RequestRecord => r.kind === 'request');
  const socks = history.filter((r): r is SocketRecord => r.kind === 'socket');
  const byError: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let ok = 0;
  let fail = 0;
  let info = 0;
  const lat: number[] = [];
  for (const r of reqs) {
    if (r.outcome === 'ok') {
      ok++;
      lat.push(r.latencyMs);
    } else if (r.outcome === 'fail') fail++;
    else info++;
    if (r.error) byError[r.error] = (byError[r.error] ?? 0) + 1;
    if (r.status !== undefined) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  }
  lat.sort((a, b) => a - b);
  const completed = events.filter((e): e is LabEventOf<'RecycleCompleted'> => e.type === 'RecycleCompleted');
  const count = (t: string): number => events.filter((e) => e.type === t).length;
  return {
    requests: reqs.length,
    ok,
    fail,
    info,
    byError,
    byStatus,
    sockets: socks.length,
    serverClosedSockets: socks.filter((s) => SERVER_CLOSES.has(s.closeKind)).length,
    rps: end > start ? Math.round((reqs.length / (end - start)) * 1000) : 0,
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1]! : null },
    recycles: {
      count: completed.length,
      durationMs: summarize(completed.map((e) => e.durationMs).filter((v): v is number => typeof v === 'number')),
      readyMs: summarize(completed.map((e) => e.readyMs).filter((v): v is number => typeof v === 'number')),
    },
    crashes: count('WorkerCrashed'),
    replays: { retried: count('RequestRetried'), abandoned: count('RequestAbandoned') },
    workerReadyMs: summarize(
      events.flatMap((e) => (e.type === 'WorkerReady' && e.startupMs !== undefined ? [e.startupMs] : [])),
    ),
    detections: {
      pingFailed: count('PingFailed'),
      stalled: count('RequestStalled'),
      startupTimeouts: count('StartupTimeout'),
      shutdownTimeouts: count('ShutdownTimeout'),
    },
    poolStops: events.flatMap((e) =>
      e.type === 'PoolStopped' ? [{ pool: e.pool, reason: e.reason, t: e.t - start }] : [],
    ),
  };
}

// The recycle-behaviour numbers `w3lab compare` puts side by side for one run: failed requests, server-closed
// connections, recycle and replacement-ready times, fault detection latencies, and throughput / p99 latency of
// requests written inside recycle windows (RecycleStarted..RecycleCompleted) versus outside them. Pure.
import type { LabEventOf } from '../events';
import type { MarkRecord, RequestRecord, SocketRecord } from '../history/types';
import { percentile } from '../results/stats';
import type { LoadedRun } from './run-files';
import { insideAny, recycleWindows, unionLength } from './windows';

export const METRIC_KEYS = [
  'failedRequests',
  'serverClosed',
  'recycleP50',
  'recycleP99',
  'readyP50',
  'readyP99',
  'detectionP50',
  'detectionP99',
  'recycleThroughput',
  'recycleP99Latency',
  'outsideThroughput',
  'outsideP99Latency',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricDef {
  key: MetricKey;
  label: string;
  unit: string;
  /** Which direction is a regression. */
  worse: 'higher' | 'lower';
}

export const METRICS: Readonly<Record<MetricKey, MetricDef>> = {
  failedRequests: { key: 'failedRequests', label: 'failed requests (fail + info)', unit: '', worse: 'higher' },
  serverClosed: { key: 'serverClosed', label: 'connections closed by the server', unit: '', worse: 'higher' },
  recycleP50: { key: 'recycleP50', label: 'recycle duration p50', unit: 'ms', worse: 'higher' },
  recycleP99: { key: 'recycleP99', label: 'recycle duration p99', unit: 'ms', worse: 'higher' },
  readyP50: { key: 'readyP50', label: 'replacement ready p50', unit: 'ms', worse: 'higher' },
  readyP99: { key: 'readyP99', label: 'replacement ready p99', unit: 'ms', worse: 'higher' },
  detectionP50: { key: 'detectionP50', label: 'fault detection p50', unit: 'ms', worse: 'higher' },
  detectionP99: { key: 'detectionP99', label: 'fault detection p99', unit: 'ms', worse: 'higher' },
  recycleThroughput: {
    key: 'recycleThroughput',
    label: 'ok throughput during recycles',
    unit: 'req/s',
    worse: 'lower',
  },
  recycleP99Latency: { key: 'recycleP99Latency', label: 'p99 latency during recycles', unit: 'ms', worse: 'higher' },
  outsideThroughput: {
    key: 'outsideThroughput',
    label: 'ok throughput outside recycles',
    unit: 'req/s',
    worse: 'lower',
  },
  outsideP99Latency: { key: 'outsideP99Latency', label: 'p99 latency outside recycles', unit: 'ms', worse: 'higher' },
};

export type MetricValues = Record<MetricKey, number | null>;

export interface RunMetrics {
  values: MetricValues;
  /** Context for the reader: how many recycles, detections and requests the numbers rest on. */
  counts: { requests: number; recycles: number; faults: number; detections: number; recycleWindowMs: number };
}

const SERVER_CLOSES = new Set(['server-fin', 'reset', 'error']);
// What the target does when it notices a fault: a dead worker is reported as WorkerCrashed, a hung one as
// PingFailed or RequestStalled. Faults with no such moment (slow, error, leak, CPU spin, whole-container steps)
// are not counted as detectable.
const CRASH_EVENTS = new Set(['WorkerCrashed']);
const HANG_EVENTS = new Set(['PingFailed', 'RequestStalled']);
const CRASH_SIGNALS = new Set(['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGTERM']);

/** Which events detect the fault of a fault-injected mark, or null when the fault has no detection moment. */
export function detectionEventsOf(mark: MarkRecord): Set<string> | null {
  const signal = mark['signal'];
  const fault = mark['fault'];
  if (typeof fault === 'string' && fault.startsWith('signal:') && typeof signal === 'string') {
    return CRASH_SIGNALS.has(signal) ? CRASH_EVENTS : signal === 'SIGSTOP' ? HANG_EVENTS : null;
  }
  if (fault === 'oom') return CRASH_EVENTS;
  const kind = typeof fault === 'object' && fault !== null ? (fault as { kind?: unknown }).kind : undefined;
  return kind === 'crash' ? CRASH_EVENTS : kind === 'hang' ? HANG_EVENTS : null;
}

const round = (v: number | null, digits = 1): number | null =>
  v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** The fault-injected marks whose fault the target is expected to notice (a crash or a hang). */
export function detectableFaults(run: LoadedRun): MarkRecord[] {
  return run.history.filter(
    (r): r is MarkRecord => r.kind === 'mark' && r.name === 'fault-injected' && detectionEventsOf(r) !== null,
  );
}

/**
 * Detection latency of each crash or hang fault: the first matching event (WorkerCrashed for a crash, PingFailed or
 * RequestStalled for a hang) at or after the mark, of the faulted worker when the mark names one. Faults nobody
 * detected add no sample (the checkers judge those).
 */
export function detectionLatencies(run: LoadedRun): number[] {
  const events = [...run.events].sort((a, b) => a.t - b.t);
  const out: number[] = [];
  for (const m of detectableFaults(run)) {
    const types = detectionEventsOf(m)!;
    const pid = typeof m['targetPid'] === 'number' ? m['targetPid'] : undefined;
    const hit = events.find((e) => types.has(e.type) && e.t >= m.t && (pid === undefined || e.pid === pid));
    if (hit) out.push(hit.t - m.t);
  }
  return out;
}

export function recycleMetrics(run: LoadedRun): RunMetrics {
  const requests = run.history.filter((r): r is RequestRecord => r.kind === 'request');
  const sockets = run.history.filter((r): r is SocketRecord => r.kind === 'socket');
  const completed = run.events.filter((e): e is LabEventOf<'RecycleCompleted'> => e.type === 'RecycleCompleted');
  const field = (k: 'durationMs' | 'readyMs'): number[] =>
    completed.map((e) => e[k]).filter((v): v is number => typeof v === 'number');
  const durations = sorted(field('durationMs'));
  const ready = sorted(field('readyMs'));
  const detections = sorted(detectionLatencies(run));
  // Windows clipped to the workload, so settle-time recycles do not dilute the rates.
  const windows = recycleWindows(run.events, run.end)
    .map((w) => ({ from: Math.max(w.from, run.start), to: Math.min(w.to, run.end) }))
    .filter((w) => w.to > w.from);
  const windowMs = unionLength(windows);
  const outsideMs = Math.max(0, run.end - run.start - windowMs);
  const inWorkload = requests.filter((r) => r.t >= run.start && r.t <= run.end);
  const inside = inWorkload.filter((r) => insideAny(windows, r.t));
  const outside = inWorkload.filter((r) => !insideAny(windows, r.t));
  const okRate = (rs: RequestRecord[], ms: number): number | null =>
    ms > 0 ? round((rs.filter((r) => r.outcome === 'ok').length / ms) * 1000) : null;
  const p99 = (rs: RequestRecord[]): number | null =>
    round(percentile(sorted(rs.filter((r) => r.outcome === 'ok').map((r) => r.latencyMs)), 99));
  return {
    values: {
      failedRequests: requests.filter((r) => r.outcome !== 'ok').length,
      serverClosed: sockets.filter((s) => s.closeKind !== undefined && SERVER_CLOSES.has(s.closeKind)).length,
      recycleP50: percentile(durations, 50),
      recycleP99: percentile(durations, 99),
      readyP50: percentile(ready, 50),
      readyP99: percentile(ready, 99),
      detectionP50: percentile(detections, 50),
      detectionP99: percentile(detections, 99),
      recycleThroughput: windows.length ? okRate(inside, windowMs) : null,
      recycleP99Latency: windows.length ? p99(inside) : null,
      outsideThroughput: okRate(outside, outsideMs),
      outsideP99Latency: p99(outside),
    },
    counts: {
      requests: requests.length,
      recycles: completed.length,
      faults: detectableFaults(run).length,
      detections: detections.length,
      recycleWindowMs: windowMs,
    },
  };
}

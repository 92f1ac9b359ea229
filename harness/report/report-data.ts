// The data behind report.html, computed from a loaded run folder: time buckets of throughput, latency and failures
// by kind, workers alive per pool as a step function, shaded fault and recycle windows, labelled event lines, the
// checks and the recycle table. Pure (no I/O) so every number the page shows is unit-tested; the page only draws.
// Times on the page are seconds since the workload start.
import type { HistoryRecord, RequestRecord, MarkRecord, SampleRecord } from '../history/types';
import type { LabEvent } from '../events';
import { checkLabel, describeOptions, type Validity } from '../checkers';
import type { RunStats } from '../results/stats';
import { percentile } from '../results/stats';
import type { LoadedRun } from './run-files';
import { faultWindows, recycleWindows } from './windows';
import { recycleRows, type RecycleRow } from './recycle-rows';

export interface ReportMeta {
  scenario: string;
  description: string;
  target: string;
  runtime: string;
  seed: number | null;
  runId: string;
  startedAt: string;
  status: string;
  git: string | null;
  valid: Validity | null;
  summary: string;
  dir: string;
}

export interface Timeline {
  bucketMs: number;
  /** Bucket centres, seconds since the workload start. */
  x: number[];
  /** Requests per second, by the time each request ended (a stall shows as a dip where it happened). */
  ok: number[];
  fail: number[];
  info: number[];
  /** Latency (ms) of ok requests, by the time each request was written (as Jepsen plots latency). */
  p50: (number | null)[];
  p99: (number | null)[];
  max: (number | null)[];
  /** Non-ok requests per bucket by kind ("HTTP 503", "reset", "timeout", ...), by end time. */
  failures: { kind: string; counts: number[] }[];
}

export interface WorkerSeries {
  x: number[];
  pools: { pool: string; alive: number[] }[];
}

/** Private memory per worker over time (MB), from the lab's samples: a leak is a slope, a recycle a new line. */
export interface MemorySeries {
  /** Sample times, seconds since the workload start. */
  x: number[];
  workers: { label: string; pool: string; pid: number; mb: (number | null)[]; peakMb: number }[];
}

export interface ShadedWindow {
  kind: 'fault' | 'recycle';
  from: number;
  to: number;
  label: string;
  instant: boolean;
  open: boolean;
}

export interface EventLine {
  t: number;
  kind: 'crash' | 'detect' | 'pool' | 'fault' | 'admin';
  label: string;
  detail: string;
}

export interface ReportData {
  meta: ReportMeta;
  durationS: number;
  timeline: Timeline;
  workers: WorkerSeries;
  memory: MemorySeries;
  windows: ShadedWindow[];
  lines: EventLine[];
  /** `name` is the check's distinct label; `options` what the scenario gave it ("" for none). */
  checks: { name: string; options: string; valid: Validity; summary: string; details: unknown }[];
  recycles: RecycleRow[];
  stats: RunStats | null;
}

const NICE_BUCKETS = [250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000];

/** 250 ms buckets up to a minute; longer runs get the smallest "nice" size that keeps ≤ 300 buckets. */
export function bucketSizeFor(durationMs: number): number {
  for (const b of NICE_BUCKETS) if (durationMs / b <= 300) return b;
  return NICE_BUCKETS[NICE_BUCKETS.length - 1]!;
}

export function failureKind(r: RequestRecord): string {
  if (r.status !== undefined && r.status >= 400) return `HTTP ${r.status}`;
  return r.error ?? r.outcome;
}

const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function timeline(
  requests: RequestRecord[],
  start: number,
  spanMs: number,
  bucketMs = bucketSizeFor(spanMs),
): Timeline {
  const n = Math.max(1, Math.ceil(spanMs / bucketMs));
  const idx = (t: number): number => Math.min(n - 1, Math.max(0, Math.floor((t - start) / bucketMs)));
  const zero = (): number[] => new Array<number>(n).fill(0);
  const ok = zero();
  const fail = zero();
  const info = zero();
  const lat: number[][] = Array.from({ length: n }, () => []);
  const byKind = new Map<string, number[]>();
  for (const r of requests) {
    const endBucket = idx(r.t + r.latencyMs);
    if (r.outcome === 'ok') {
      ok[endBucket]!++;
      lat[idx(r.t)]!.push(r.latencyMs);
      continue;
    }
    (r.outcome === 'fail' ? fail : info)[endBucket]!++;
    const kind = failureKind(r);
    const counts = byKind.get(kind) ?? zero();
    counts[endBucket]!++;
    byKind.set(kind, counts);
  }
  const perSec = 1000 / bucketMs;
  const q = (p: number) =>
    lat.map((l) =>
      l.length
        ? percentile(
            l.sort((a, b) => a - b),
            p,
          )
        : null,
    );
  return {
    bucketMs,
    x: Array.from({ length: n }, (_, i) => round(((i + 0.5) * bucketMs) / 1000)),
    ok: ok.map((c) => round(c * perSec)),
    fail: fail.map((c) => round(c * perSec)),
    info: info.map((c) => round(c * perSec)),
    p50: q(50),
    p99: q(99),
    max: q(100),
    failures: [...byKind.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kind, counts]) => ({ kind, counts })),
  };
}

const EXIT_TYPES = new Set(['WorkerExited', 'WorkerCrashed', 'WorkerOrphaned']);

/** Workers alive per pool: a worker counts from WorkerReady until it exits (or is orphaned out of the pool). */
export function workersAlive(events: LabEvent[], start: number, spanMs: number): WorkerSeries {
  const sorted = [...events].filter((e) => e.pool !== undefined && e.pid !== undefined).sort((a, b) => a.t - b.t);
  const pools = [...new Set(sorted.filter((e) => e.type === 'WorkerReady').map((e) => e.pool))].sort();
  const alive = new Map(pools.map((p) => [p, new Set<number>()]));
  const x: number[] = [0];
  const values = new Map(pools.map((p) => [p, [0]]));
  const push = (tMs: number): void => {
    x.push(round(tMs / 1000));
    for (const p of pools) values.get(p)!.push(alive.get(p)!.size);
  };
  for (const e of sorted) {
    const set = alive.get(e.pool!);
    if (!set) continue;
    if (e.type === 'WorkerReady') set.add(e.pid);
    else if (EXIT_TYPES.has(e.type)) set.delete(e.pid!);
    else continue;
    const rel = e.t - start;
    if (rel <= 0) {
      for (const p of pools) values.get(p)![0] = alive.get(p)!.size; // the state the workload started in
    } else if (rel <= spanMs) push(rel);
  }
  push(spanMs);
  return { x, pools: pools.map((pool) => ({ pool, alive: values.get(pool)! })) };
}

const LINE_EVENTS: Partial<Record<string, EventLine['kind']>> = {
  WorkerCrashed: 'crash',
  WorkerKilled: 'crash',
  PingFailed: 'detect',
  RequestStalled: 'detect',
  StartupTimeout: 'detect',
  ShutdownTimeout: 'detect',
  RecycleOverlapFailed: 'crash',
  PoolStopped: 'pool',
  PoolStarted: 'pool',
  QueueFull: 'pool',
  IdleShutdown: 'pool',
};
const LINE_MARKS: Partial<Record<string, EventLine['kind']>> = {
  'recycle-requested': 'admin',
  'pool-started': 'admin',
  'pool-stop-requested': 'admin',
  'fault-error': 'fault',
  'run-error': 'fault',
};

function describe(rec: object, skip: string[]): string {
  return Object.entries(rec)
    .filter(([k, v]) => !skip.includes(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/**
 * Vertical lines for notable events and harness marks. Repeats of one event type in one pool within `mergeMs`
 * (QueueFull fires per rejected request) become one line with a count, so the chart stays readable.
 */
export function eventLines(
  events: LabEvent[],
  marks: MarkRecord[],
  start: number,
  spanMs: number,
  mergeMs = 250,
): EventLine[] {
  const out: (EventLine & { key: string; count: number; at: number })[] = [];
  const inRange = (t: number): boolean => t >= start && t <= start + spanMs;
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    const kind = LINE_EVENTS[e.type];
    if (!kind || !inRange(e.t)) continue;
    const key = `${e.type}/${e.pool ?? ''}`;
    const prev = out.find((l) => l.key === key && e.t - l.at <= mergeMs);
    if (prev) {
      prev.count++;
      prev.label = `${e.type} ×${prev.count}`;
      continue;
    }
    const reason = 'reason' in e && typeof e.reason === 'string' ? e.reason : undefined;
    const label = reason ? `${e.type} (${reason})` : e.type;
    out.push({ t: round((e.t - start) / 1000), kind, label, detail: describe(e, ['t']), key, count: 1, at: e.t });
  }
  for (const m of marks) {
    const kind = LINE_MARKS[m.name];
    if (kind && inRange(m.t))
      out.push({
        t: round((m.t - start) / 1000),
        kind,
        label: m.name,
        detail: describe(m, ['t', 'kind']),
        key: m.name,
        count: 1,
        at: m.t,
      });
  }
  return out.sort((a, b) => a.t - b.t).map(({ t, kind, label, detail }) => ({ t, kind, label, detail }));
}

export function memorySeries(history: HistoryRecord[], start: number): MemorySeries {
  const samples = history.filter((r): r is SampleRecord => r.kind === 'sample').sort((a, b) => a.t - b.t);
  const times = [...new Set(samples.map((s) => s.t))];
  const at = new Map(times.map((t, i) => [t, i]));
  const byPid = new Map<number, { pool: string; mb: (number | null)[] }>();
  for (const s of samples) {
    const w = byPid.get(s.pid) ?? { pool: s.pool, mb: new Array<number | null>(times.length).fill(null) };
    w.mb[at.get(s.t)!] = round(s.privateMemoryKB / 1024, 1);
    byPid.set(s.pid, w);
  }
  return {
    x: times.map((t) => round((t - start) / 1000)),
    workers: [...byPid.entries()].map(([pid, w]) => ({
      label: `${w.pool} pid ${pid}`,
      pool: w.pool,
      pid,
      mb: w.mb,
      peakMb: Math.max(...w.mb.map((v) => v ?? 0)),
    })),
  };
}

export function buildReportData(run: LoadedRun): ReportData {
  const requests = run.history.filter((r): r is RequestRecord => r.kind === 'request');
  const marks = run.history.filter((r): r is MarkRecord => r.kind === 'mark');
  const lastEnd = requests.reduce((m, r) => Math.max(m, r.t + r.latencyMs), run.end);
  const spanMs = Math.max(1, lastEnd - run.start);
  const rel = (t: number): number => round((t - run.start) / 1000);
  const windows = [...faultWindows(run.history, lastEnd, run.events), ...recycleWindows(run.events, lastEnd)].map(
    (w) => ({
      kind: w.kind,
      from: rel(w.from),
      to: rel(w.to),
      label: w.pid !== undefined ? `${w.label} pid ${w.pid}` : w.label,
      instant: w.instant,
      open: w.open,
    }),
  );
  const i = run.info;
  const results = run.results;
  return {
    meta: {
      scenario: i.scenario,
      description: i.description ?? '',
      target: i.target,
      runtime: i.runtime ?? '?',
      seed: typeof i.seed === 'number' ? i.seed : null,
      runId: i.runId ?? '',
      startedAt: i.startedAt ?? '',
      status: i.status ?? '?',
      git: i.versions?.git ?? null,
      valid: results?.valid ?? i.valid ?? null,
      summary: results?.summary ?? (results ? '' : 'No results.json: the run did not finish.'),
      dir: run.dir,
    },
    durationS: rel(lastEnd),
    timeline: timeline(requests, run.start, spanMs),
    workers: workersAlive(run.events, run.start, spanMs),
    memory: memorySeries(run.history, run.start),
    windows,
    lines: eventLines(run.events, marks, run.start, spanMs),
    checks: (results?.checks ?? []).map((c) => ({
      name: checkLabel(c),
      options: describeOptions(c.options),
      valid: c.verdict.valid,
      summary: c.verdict.summary,
      details: c.verdict.details,
    })),
    recycles: recycleRows(run.history, run.events, run.start, lastEnd),
    stats: results?.stats ?? null,
  };
}

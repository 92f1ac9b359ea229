// From the throughput section's measurements (target × client × round) to what it reports: the median per target
// and client, the ratios w3/HAProxy, w3/nginx, w3/bare (and the proxies' own ratios to bare), the goals, and
// whether the machine was quiet enough for the req/s columns to mean much. Pure functions, tested on their own.
import type { ClientName, ClientResult } from './load-client';
import type { CpuWindowResult } from './cpu-usage';
import type { PerfCounts } from './perf-stat';
import type { TargetKey } from './throughput-targets';

export interface CpuPerRequest {
  /** CPU µs per request of the front process(es), of the app process(es) behind, and both. */
  frontUs: number | null;
  backUs: number | null;
  totalUs: number | null;
  /** Cores used on average over the window: the front, the client, and everything else on the machine. */
  frontCores: number | null;
  clientCores: number | null;
  otherLoadCores: number | null;
  /** Share of the window the front's main thread was runnable but waiting for a CPU. */
  frontRunQueueWaitShare: number | null;
  /** System calls per request of the front and of the app (perf), null when not counted. */
  frontSyscalls: number | null;
  backSyscalls: number | null;
}

export interface RoleCounts {
  front: PerfCounts | null;
  back: PerfCounts | null;
}

export interface Measurement {
  round: number;
  client: ClientName;
  target: TargetKey;
  result: ClientResult;
  cpuWindow: CpuWindowResult;
  cpu: CpuPerRequest;
  counts?: RoleCounts;
  evidence?: unknown;
}

export interface TargetSummary {
  target: TargetKey;
  client: ClientName;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  frontUs: number | null;
  totalUs: number | null;
  frontSyscalls: number | null;
  otherLoadCores: number | null;
  errors: number;
  non2xx: number;
}

export interface Goal {
  goal: string;
  client: ClientName;
  met: boolean | null;
  detail: string;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

export function perRequest(result: ClientResult, w: CpuWindowResult, counts?: RoleCounts): CpuPerRequest {
  const n = result.requests;
  const us = (ms: number | null): number | null => (ms === null || n === 0 ? null : r2((ms * 1000) / n));
  const cores = (ms: number | null): number | null => (ms === null || w.wallMs <= 0 ? null : r2(ms / w.wallMs));
  const total = w.frontMs === null || w.backMs === null ? null : w.frontMs + w.backMs;
  const other =
    w.machineBusyMs === null || total === null || result.clientCpuMs === null
      ? null
      : Math.max(0, w.machineBusyMs - total - result.clientCpuMs);
  return {
    frontUs: us(w.frontMs),
    backUs: us(w.backMs),
    totalUs: us(total),
    frontCores: cores(w.frontMs),
    clientCores: cores(result.clientCpuMs),
    otherLoadCores: cores(other),
    frontRunQueueWaitShare:
      w.frontRunQueueWaitMs === null || w.wallMs <= 0 ? null : r2(w.frontRunQueueWaitMs / w.wallMs),
    frontSyscalls: perReq(counts?.front?.syscalls, n),
    backSyscalls: perReq(counts?.back?.syscalls, n),
  };
}

function perReq(count: number | null | undefined, n: number): number | null {
  return count === null || count === undefined || n === 0 ? null : r2(count / n);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function medianOrNull(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : median(v);
}

export function summarize(ms: Measurement[]): TargetSummary[] {
  const out: TargetSummary[] = [];
  const keys = [...new Set(ms.map((m) => `${m.client}\u0000${m.target}`))];
  for (const k of keys) {
    const [client, target] = k.split('\u0000') as [ClientName, TargetKey];
    const g = ms.filter((m) => m.client === client && m.target === target);
    const tot = (f: (m: Measurement) => number): number => g.reduce((a, m) => a + f(m), 0);
    out.push({
      target,
      client,
      rounds: g.length,
      rps: r1(median(g.map((m) => m.result.rps))),
      p50Ms: r2(median(g.map((m) => m.result.latencyMs.p50))),
      p99Ms: r2(median(g.map((m) => m.result.latencyMs.p99))),
      frontUs: medianOrNull(g.map((m) => m.cpu.frontUs)),
      totalUs: medianOrNull(g.map((m) => m.cpu.totalUs)),
      frontSyscalls: medianOrNull(g.map((m) => m.cpu.frontSyscalls)),
      otherLoadCores: medianOrNull(g.map((m) => m.cpu.otherLoadCores)),
      errors: tot((m) => m.result.errors),
      non2xx: tot((m) => m.result.non2xx),
    });
  }
  return out;
}

const RATIOS: [string, TargetKey, TargetKey][] = [
  ['w3-1/haproxy', 'w3-1', 'haproxy'],
  ['w3-1/nginx', 'w3-1', 'nginx'],
  ['w3-1/bare', 'w3-1', 'bare'],
  ['w3-2/w3-1', 'w3-2', 'w3-1'],
  ['w3-2p/w3-1', 'w3-2p', 'w3-1'],
  ['haproxy/bare', 'haproxy', 'bare'],
  ['nginx/bare', 'nginx', 'bare'],
];

/** req/s ratios of the medians, per client; null where a side is missing. */
export function ratios(s: TargetSummary[]): Record<ClientName, Record<string, number | null>> {
  const get = (c: ClientName, t: TargetKey): number | undefined => s.find((x) => x.client === c && x.target === t)?.rps;
  const per = (c: ClientName): Record<string, number | null> => {
    const o: Record<string, number | null> = {};
    for (const [name, a, b] of RATIOS) {
      const x = get(c, a);
      const y = get(c, b);
      o[name] = x === undefined || y === undefined || y === 0 ? null : r2(x / y);
    }
    return o;
  };
  return { wrk: per('wrk'), autocannon: per('autocannon') };
}

/** The speed goals of the listener: w3 (1 worker) ≥ HAProxy in req/s with p99 no worse; 2 workers ≥ 1. */
export function goals(s: TargetSummary[]): Goal[] {
  const out: Goal[] = [];
  const get = (c: ClientName, t: TargetKey): TargetSummary | undefined =>
    s.find((x) => x.client === c && x.target === t);
  for (const c of ['wrk', 'autocannon'] as const) {
    const w1 = get(c, 'w3-1');
    const w2 = get(c, 'w3-2');
    const hp = get(c, 'haproxy');
    const both = <T>(a: T | undefined, b: T | undefined): a is T => a !== undefined && b !== undefined;
    out.push({
      goal: 'w3 (1 worker) req/s >= 1.0 x HAProxy',
      client: c,
      met: both(w1, hp) ? w1.rps >= hp!.rps : null,
      detail: both(w1, hp) ? `${w1.rps} vs ${hp!.rps} (${r2(w1.rps / hp!.rps)}x)` : 'not measured',
    });
    out.push({
      goal: "w3 (1 worker) p99 <= HAProxy's",
      client: c,
      met: both(w1, hp) ? w1.p99Ms <= hp!.p99Ms : null,
      detail: both(w1, hp) ? `${w1.p99Ms} ms vs ${hp!.p99Ms} ms` : 'not measured',
    });
    out.push({
      goal: 'w3 (2 workers) req/s >= w3 (1 worker)',
      client: c,
      met: both(w2, w1) ? w2.rps >= w1!.rps : null,
      detail: both(w2, w1) ? `${w2.rps} vs ${w1!.rps}` : 'not measured',
    });
    const w2p = get(c, 'w3-2p');
    out.push({
      goal: 'w3 (2 workers, pack) req/s >= w3 (1 worker)',
      client: c,
      met: both(w2p, w1) ? w2p.rps >= w1!.rps : null,
      detail: both(w2p, w1) ? `${w2p.rps} vs ${w1!.rps}` : 'not measured',
    });
  }
  return out;
}

/** Other load above this many cores (median over the runs) makes req/s comparisons unreliable. */
export const QUIET_OTHER_LOAD_CORES = 0.15;

export function quietMachine(s: TargetSummary[]): { quiet: boolean | null; worstOtherLoadCores: number | null } {
  const loads = s.map((x) => x.otherLoadCores).filter((x): x is number => x !== null);
  if (loads.length === 0) return { quiet: null, worstOtherLoadCores: null };
  const worst = Math.max(...loads);
  return { quiet: worst <= QUIET_OTHER_LOAD_CORES, worstOtherLoadCores: r2(worst) };
}

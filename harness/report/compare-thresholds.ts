// Regression thresholds of `w3lab compare`: the defaults, parsing `--threshold KEY=VALUE` overrides, and judging
// one metric of a run against its baseline. A change only counts when it is worse than the allowance AND larger
// than the metric's noise floor, so a 3 ms wobble of a 4 ms p99 is not a regression.
//
// Defaults (worse direction in brackets):
//   failedRequests     +0      (any increase fails)            floor 0
//   serverClosed       +0      (any increase fails)            floor 0
//   recycleP99         +50 %   recycle duration p99            floor 20 ms
//   readyP99           +50 %   replacement-ready p99           floor 50 ms  (process start-up is noisy)
//   detectionP99       +50 %   fault detection p99             floor 250 ms (quantised by the ping interval)
//   recycleThroughput  −20 %   ok req/s during recycles        floor 5 req/s
//   recycleP99Latency  +50 %   p99 latency during recycles     floor 5 ms
//   recycleP50, readyP50, detectionP50, outsideThroughput, outsideP99Latency: reported only (off).
// VALUE: "off", an absolute change "+N" / "N" (in the metric's unit) or a relative one "+N%" / "-N%". A sign, when
// given, must point the metric's worse way. "KEY.floor=N" sets the noise floor. A metric the baseline has but the
// run lacks (e.g. no recycle completed) counts as crossed unless its threshold is off.
import { METRIC_KEYS, METRICS, type MetricKey } from './compare-metrics';

export interface Threshold {
  kind: 'abs' | 'pct' | 'off';
  value: number;
  floor: number;
}

export type Thresholds = Record<MetricKey, Threshold>;

const abs = (value: number, floor = 0): Threshold => ({ kind: 'abs', value, floor });
const pct = (value: number, floor: number): Threshold => ({ kind: 'pct', value, floor });
const off = (floor = 0): Threshold => ({ kind: 'off', value: 0, floor });

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  failedRequests: abs(0),
  serverClosed: abs(0),
  recycleP50: off(20),
  recycleP99: pct(50, 20),
  readyP50: off(50),
  readyP99: pct(50, 50),
  detectionP50: off(250),
  detectionP99: pct(50, 250),
  recycleThroughput: pct(20, 5),
  recycleP99Latency: pct(50, 5),
  outsideThroughput: off(5),
  outsideP99Latency: off(5),
});

/** Bad `--threshold` input: exit code 254 like every other usage error. */
export class ThresholdError extends Error {
  readonly code = 'LAB_ERR_THRESHOLD';
  readonly exitCode = 254;
}

const isKey = (k: string): k is MetricKey => (METRIC_KEYS as readonly string[]).includes(k);

export function parseThresholds(args: readonly string[], base: Readonly<Thresholds> = DEFAULT_THRESHOLDS): Thresholds {
  const out: Thresholds = { ...base };
  for (const arg of args) {
    const m = /^([A-Za-z0-9]+)(\.floor)?=(.+)$/.exec(arg.trim());
    if (!m) throw new ThresholdError(`--threshold ${arg}: expected KEY=VALUE or KEY.floor=N`);
    const key = m[1]!;
    const value = m[3]!.trim();
    if (!isKey(key))
      throw new ThresholdError(`--threshold ${arg}: unknown metric "${key}" (known: ${METRIC_KEYS.join(', ')})`);
    if (m[2]) {
      const floor = Number(value);
      if (!Number.isFinite(floor) || floor < 0)
        throw new ThresholdError(`--threshold ${arg}: the floor must be a number >= 0`);
      out[key] = { ...out[key], floor };
      continue;
    }
    if (value === 'off') {
      out[key] = { ...out[key], kind: 'off', value: 0 };
      continue;
    }
    const v = /^([+-]?)(\d+(?:\.\d+)?)(%?)$/.exec(value);
    if (!v) throw new ThresholdError(`--threshold ${arg}: VALUE must be off, +N, N, +N% or -N%`);
    const worse = METRICS[key].worse;
    if ((v[1] === '+' && worse === 'lower') || (v[1] === '-' && worse === 'higher')) {
      const sign = worse === 'lower' ? '-' : '+';
      throw new ThresholdError(
        `--threshold ${arg}: ${key} regresses when it gets ${worse}; write ${sign}${v[2]}${v[3]}`,
      );
    }
    out[key] = { ...out[key], kind: v[3] ? 'pct' : 'abs', value: Number(v[2]) };
  }
  return out;
}

export function describeThreshold(key: MetricKey, t: Threshold): string {
  if (t.kind === 'off') return 'off';
  const sign = METRICS[key].worse === 'higher' ? '+' : '−';
  const floor = t.floor > 0 ? ` (floor ${t.floor}${METRICS[key].unit ? ` ${METRICS[key].unit}` : ''})` : '';
  return `${sign}${t.value}${t.kind === 'pct' ? ' %' : ''}${floor}`;
}

export type MetricStatus = 'ok' | 'crossed' | 'reported' | 'n/a' | 'new' | 'missing';

export interface Judgement {
  status: MetricStatus;
  /** run − baseline (null when either is missing). */
  delta: number | null;
  /** Relative change in % of the baseline (null when the baseline is 0 or missing). */
  deltaPct: number | null;
  /** How much worse the run may be before the threshold is crossed, in the metric's unit. */
  allowed: number | null;
}

export function judge(key: MetricKey, baseline: number | null, run: number | null, t: Threshold): Judgement {
  const delta = baseline !== null && run !== null ? run - baseline : null;
  const deltaPct = delta !== null && baseline !== null && baseline !== 0 ? (delta / Math.abs(baseline)) * 100 : null;
  const on = t.kind !== 'off';
  if (baseline === null && run === null) return { status: 'n/a', delta, deltaPct, allowed: null };
  if (baseline === null) return { status: 'new', delta, deltaPct, allowed: null };
  const allowed = t.kind === 'pct' ? (Math.abs(baseline) * t.value) / 100 : t.kind === 'abs' ? t.value : null;
  if (run === null) return { status: on ? 'crossed' : 'missing', delta, deltaPct, allowed };
  if (!on) return { status: 'reported', delta, deltaPct, allowed };
  const worseBy = METRICS[key].worse === 'higher' ? run - baseline : baseline - run;
  const crossed = worseBy > allowed! && worseBy > t.floor;
  return { status: crossed ? 'crossed' : 'ok', delta, deltaPct, allowed };
}

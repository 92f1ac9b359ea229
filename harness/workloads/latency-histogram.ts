// Latency percentiles in constant memory. A 10-minute run at tens of thousands of requests per second would need
// hundreds of MB to keep every sample, so latencies go into log-spaced buckets (1 % wide, from 1 µs up to an hour):
// percentiles are exact to within 1 %, max is exact.
const MIN_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1 + Math.ceil(Math.log(3_600_000 / MIN_MS) / LOG_GROWTH);

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private n = 0;
  private maxMs = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return; // NaN or negative: a clock bug, not a latency
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Latency (ms) below which a fraction q (0..1) of the samples fall; 0 when empty. */
  percentile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        if (i === BUCKETS - 1) return this.maxMs; // the overflow bucket has no upper bound
        // The bucket's upper bound, never above the true maximum.
        const upper = i === 0 ? MIN_MS : MIN_MS * Math.pow(GROWTH, i);
        return Math.min(upper, this.maxMs);
      }
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      p50: r(this.percentile(0.5)),
      p90: r(this.percentile(0.9)),
      p99: r(this.percentile(0.99)),
      max: r(this.maxMs),
      count: this.n,
    };
  }
}

// What one measured load run reports, whichever client produced it (wrk or autocannon), so the throughput section
// can put both side by side. Latencies are in ms; `errors` counts socket errors and timeouts, `non2xx` responses the
// client counted as failed by status.
export type ClientName = 'wrk' | 'autocannon';

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface ClientResult {
  client: ClientName;
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: LatencyMs;
  errors: number;
  non2xx: number;
  /** CPU the client itself used over the run (ms), null when unknown. */
  clientCpuMs: number | null;
  /** Client-specific breakdown (wrk's error kinds, autocannon's counters). */
  detail: Record<string, unknown>;
}

export interface LoadShape {
  url: string;
  connections: number;
  durationS: number;
}

export const roundTo = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

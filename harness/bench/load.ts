// One throughput/latency measurement: an unrecorded autocannon warm-up, then the measured run, with the machine's
// load average around it (autocannon shares the CPUs with the servers, and the machine may be shared too).
import http from 'node:http';
import os from 'node:os';
import type autocannon from 'autocannon';
import { runAutocannon } from '../workloads/autocannon-load';

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface ThroughputMeasurement {
  label: string;
  url: string;
  connections: number;
  durationS: number;
  warmupS: number;
  /** autocannon's mean of per-second request counts. */
  rpsMean: number;
  /** Responses / measured seconds (a cross-check of rpsMean). */
  rpsOverall: number;
  requests: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  loadavgBefore: number[];
  loadavgAfter: number[];
  /** autocannon's whole result object. */
  raw: autocannon.Result;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** One GET with a fresh connection: proves the server answers 200 before load is put on it. */
export function probeOnce(
  url: string,
  timeoutMs = 5000,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function warmUp(url: string, connections: number, warmupS: number): Promise<void> {
  if (warmupS > 0) await runAutocannon({ url, connections, durationMs: warmupS * 1000 });
}

/** `warmedUp`: the caller already ran the warm-up (e.g. while waiting for w3's web garden to grow). */
export async function measure(
  label: string,
  url: string,
  s: LoadSettings,
  warmedUp = false,
): Promise<ThroughputMeasurement> {
  if (!warmedUp) await warmUp(url, s.connections, s.warmupS);
  const loadavgBefore = os.loadavg().map((x) => round(x));
  const { raw, summary } = await runAutocannon({ url, connections: s.connections, durationMs: s.durationS * 1000 });
  return {
    label,
    url,
    connections: s.connections,
    durationS: s.durationS,
    warmupS: s.warmupS,
    rpsMean: round(raw.requests.average, 1),
    rpsOverall: summary.rps,
    requests: summary.requests,
    latencyMs: { p50: raw.latency.p50, p99: raw.latency.p99, max: raw.latency.max, mean: round(raw.latency.mean) },
    errors: summary.errors,
    timeouts: summary.timeouts,
    non2xx: summary.non2xx,
    loadavgBefore,
    loadavgAfter: os.loadavg().map((x) => round(x)),
    raw,
  };
}

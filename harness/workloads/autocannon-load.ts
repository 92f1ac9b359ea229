// Load generation with autocannon's programmatic API, bounded in time. autocannon is fast but blind to connection
// closes (a FIN mid-request counts as nothing, `Connection: close` is ignored: it counts responses and errors, not what
// happened to each connection), so its numbers are for throughput and rough latency in fault-free windows only;
// per-connection evidence comes from the tracked client. The raw result is returned whole for the runner to save as
// autocannon.json. autocannon is an optional package, loaded on first use (harness/optional-package.ts).
import type autocannon from 'autocannon';
import { importOptional } from '../optional-package';
import { WorkloadOptionsError } from './errors';
import { MAX_CONNECTIONS, MAX_DURATION_MS } from './tracked-client-options';
import { AUTOCANNON_NOTE, type AutocannonCompactSummary } from './autocannon-summary';

export { AUTOCANNON_NOTE, type AutocannonCompactSummary };

export interface AutocannonLoadOptions {
  url: string;
  connections: number;
  /** Required bound (1 ms .. 10 min). */
  durationMs: number;
  pipelining?: number;
  method?: autocannon.Request['method'];
  /** Path (and query) resolved against url. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** autocannon's per-connection timeout, in seconds (default 10). */
  timeoutSec?: number;
  /** Stops the load early. */
  signal?: AbortSignal;
}

export interface AutocannonSummary {
  /** autocannon's full result object. */
  raw: autocannon.Result;
  summary: AutocannonCompactSummary;
}

export function summarizeAutocannon(raw: autocannon.Result): AutocannonCompactSummary {
  const durationSec = raw.duration;
  return {
    requests: raw.requests.total,
    sent: raw.requests.sent,
    rps: durationSec > 0 ? Math.round((raw.requests.total / durationSec) * 10) / 10 : 0,
    durationSec,
    errors: raw.errors,
    timeouts: raw.timeouts,
    non2xx: raw.non2xx,
    latency: { p50: raw.latency.p50, p99: raw.latency.p99, max: raw.latency.max },
    note: AUTOCANNON_NOTE,
  };
}

export async function runAutocannon(opts: AutocannonLoadOptions): Promise<AutocannonSummary> {
  const { durationMs, connections } = opts;
  if (typeof durationMs !== 'number' || !(durationMs > 0) || durationMs > MAX_DURATION_MS) {
    throw new WorkloadOptionsError(`durationMs must be in (0, ${MAX_DURATION_MS}], got ${String(durationMs)}`);
  }
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
    throw new WorkloadOptionsError(
      `connections must be an integer in [1, ${MAX_CONNECTIONS}], got ${String(connections)}`,
    );
  }
  let url: string;
  try {
    url = opts.path === undefined ? new URL(opts.url).toString() : new URL(opts.path, opts.url).toString();
  } catch (err) {
    throw new WorkloadOptionsError(`url is not a URL: ${JSON.stringify(opts.url)}`, { cause: err });
  }
  const autocannon = (await importOptional('autocannon', 'the autocannon client', () => import('autocannon'))).default;
  const timeoutSec = opts.timeoutSec ?? 10;
  const acOpts: autocannon.Options = {
    url,
    connections,
    duration: durationMs / 1000,
    pipelining: opts.pipelining ?? 1,
    timeout: timeoutSec,
    ...(opts.method !== undefined ? { method: opts.method } : {}),
    ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  };
  return new Promise<AutocannonSummary>((resolve, reject) => {
    const stop = (): void => instance.stop();
    // autocannon ends on its own after `duration`; this guard only matters if it ever fails to (e.g. stuck sockets).
    const guard = setTimeout(stop, durationMs + timeoutSec * 1000 + 5000);
    const finish = (): void => {
      clearTimeout(guard);
      opts.signal?.removeEventListener('abort', stop);
    };
    const instance: autocannon.Instance = autocannon(acOpts, (err: unknown, raw: autocannon.Result) => {
      finish();
      if (err !== null && err !== undefined)
        reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`));
      else resolve({ raw, summary: summarizeAutocannon(raw) });
    });
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (opts.signal?.aborted === true) stop();
  });
}

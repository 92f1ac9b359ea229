// Options of the tracked client, their defaults and bounds. Every run is bounded in time (durationMs, at most
// 10 minutes) and optionally in count; validation errors name the option.
import type { HistoryRecord } from '../history/types';
import { WorkloadOptionsError } from './errors';
import type { OkStatuses } from './outcome';
import type { RequestSpec } from './request-spec';

export const MAX_DURATION_MS = 10 * 60 * 1000;
export const MAX_CONNECTIONS = 10_000;

export interface TrackedClientOptions {
  /** Base URL (http only); its path and query are the default request. */
  url: string;
  /** Concurrent connections, each a closed loop with one outstanding request. */
  connections: number;
  /** Required bound on the run (1 ms .. 10 min). */
  durationMs: number;
  /** Stop after this many requests in total (refused connects count). */
  maxRequests?: number;
  /** Overall request rate, spread evenly over the connections. */
  ratePerSec?: number;
  /** Per-request client timeout; a request without a full response by then is recorded as 'timeout'. Default 10000. */
  timeoutMs?: number;
  /** TCP connect timeout. Default min(timeoutMs, 5000). */
  connectTimeoutMs?: number;
  /** Requests cycled per connection (default: GET of the URL's path). */
  requests?: readonly RequestSpec[];
  /** Alternative to `requests`: the i-th request of the run (i = its id), issued on connection slot `slot`. */
  pick?: (i: number, slot: number) => RequestSpec;
  /** Statuses >= 400 that count as ok (a list or predicate). */
  okStatuses?: OkStatuses;
  /**
   * Resend an idempotent request once on a fresh connection when a reused keep-alive socket was closed or reset
   * before any response byte came back (what browsers do). Off by default: the lab must see what the client saw.
   * The lost attempt is still recorded (info, errorMessage "… retried as #id"); the retry gets a new id and is not
   * held back by maxRequests or the rate limit.
   */
  retryIdempotentOnStaleSocket?: boolean;
  /** Tag written on every request record. */
  phase?: string;
  /** Receives every request and socket record. Must be cheap (e.g. HistoryWriter.append). */
  onRecord: (r: HistoryRecord) => void;
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  /** Host header value. */
  authority: string;
  defaultPath: string;
  connections: number;
  durationMs: number;
  maxRequests: number;
  /** Per-connection interval between request starts (ms); 0 = as fast as responses come. */
  intervalMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
}

function positive(name: string, v: number | undefined, integer: boolean, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max || (integer && !Number.isInteger(v))) {
    throw new WorkloadOptionsError(
      `${name} must be a positive ${integer ? 'integer' : 'number'} <= ${max}, got ${String(v)}`,
    );
  }
}

export function resolveOptions(o: TrackedClientOptions): ResolvedOptions {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch (err) {
    throw new WorkloadOptionsError(`url is not a URL: ${JSON.stringify(o.url)}`, { cause: err });
  }
  if (u.protocol !== 'http:') throw new WorkloadOptionsError(`url must be http:, got ${u.protocol}`);
  if (o.durationMs === undefined) throw new WorkloadOptionsError('durationMs is required');
  positive('connections', o.connections, true, MAX_CONNECTIONS);
  positive('durationMs', o.durationMs, false, MAX_DURATION_MS);
  positive('maxRequests', o.maxRequests, true);
  positive('ratePerSec', o.ratePerSec, false);
  positive('timeoutMs', o.timeoutMs, false, MAX_DURATION_MS);
  positive('connectTimeoutMs', o.connectTimeoutMs, false, MAX_DURATION_MS);
  if (o.requests !== undefined && o.pick !== undefined)
    throw new WorkloadOptionsError('give requests or pick, not both');
  if (o.requests !== undefined && o.requests.length === 0) throw new WorkloadOptionsError('requests must not be empty');
  if (typeof o.onRecord !== 'function') throw new WorkloadOptionsError('onRecord is required');
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 80 : Number(u.port),
    authority: u.host,
    defaultPath: `${u.pathname}${u.search}`,
    connections: o.connections,
    durationMs: o.durationMs,
    maxRequests: o.maxRequests ?? Number.POSITIVE_INFINITY,
    intervalMs: o.ratePerSec === undefined ? 0 : (1000 * o.connections) / o.ratePerSec,
    timeoutMs,
    connectTimeoutMs: o.connectTimeoutMs ?? Math.min(timeoutMs, 5000),
  };
}

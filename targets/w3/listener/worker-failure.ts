// What a worker failure means for the request it was running, on both transports (proxy-job.ts for HTTP,
// framed-connection.ts for frames): one rule, decided here, so the two can never drift apart.
//
// The rule depends only on whether the listener had already sent a byte of the response to the client:
//  - no byte sent, the request is replayable (idempotent method, no body, retryIdempotent on), it has run fewer
//    than MAX_ATTEMPTS times and its pool is still Started → replayed on another worker (RequestRetried);
//  - no byte sent otherwise → a 502 with a short text body (RequestAbandoned, HTTPERR
//    Connection_Abandoned_By_ReqQueue); the connection stays open when the request had been fully read;
//  - response partly sent → the client connection is closed (nothing else is honest), recorded the same way.
// A worker that exits mid-response: whatever it had handed to the kernel reaches the listener (and so the client)
// before the end of the link; what decides is what the listener actually received.
//
// Poison requests: a request is replayed at most once, so one that kills every worker it runs on costs at most one
// extra worker — never a rapid-fail stop on its own.
import type { AppPool } from '../manager/app-pool';
import type { WorkerProcess } from '../manager/worker-process';

/** Methods replayed after a worker death (RFC 9110's idempotent methods); README and the settings list them. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** A request runs at most this often (the first attempt and one replay). */
export const MAX_ATTEMPTS = 2;

export const BAD_GATEWAY_BODY = 'Bad Gateway: the worker process did not deliver a response to this request.\n';

export type FailureOutcome = 'replay' | 'badGateway' | 'abandon';

/** The request may be replayed at all (before counting attempts). */
export function isReplayable(retryIdempotent: boolean, method: string, hasBody: boolean): boolean {
  return retryIdempotent && !hasBody && IDEMPOTENT_METHODS.has(method);
}

export interface FailedRequest {
  /** A byte of the response already went to the client. */
  responseStarted: boolean;
  /** isReplayable() for this request (and its bytes are still at hand). */
  replayable: boolean;
  /** Attempts so far, the failed one included. */
  attempts: number;
}

export function decideFailure(f: FailedRequest, pool: Pick<AppPool, 'state'>): FailureOutcome {
  if (f.responseStarted) return 'abandon';
  if (f.replayable && f.attempts < MAX_ATTEMPTS && pool.state === 'Started') return 'replay';
  return 'badGateway';
}

/** The event for `outcome` (RequestRetried or RequestAbandoned) on the pool's event log. */
export function emitFailure(
  pool: AppPool,
  w: WorkerProcess,
  req: { method?: string; url?: string },
  outcome: FailureOutcome,
  error: string,
): void {
  const base = { pool: pool.name, workerId: w.id, pid: w.pid, method: req.method, url: req.url, error };
  if (outcome === 'replay') pool.ctx.events.emit({ type: 'RequestRetried', ...base });
  else pool.ctx.events.emit({ type: 'RequestAbandoned', ...base, responseStarted: outcome === 'abandon' });
}

/**
 * The 502's headers as a flat list (the HTTP transport hands them to ServerResponse, which adds Date and
 * Connection itself). `pid`: the failed worker's (a 502 names the worker that did not deliver).
 */
export function badGatewayHeaders(pid: number | undefined, keep: boolean): string[] {
  const h = ['Content-Type', 'text/plain', 'Content-Length', String(BAD_GATEWAY_BODY.length)];
  h.push('X-W3-Worker-Pid', pid === undefined ? '' : String(pid));
  if (!keep) h.push('Connection', 'close');
  return h;
}

/** The same 502 as raw bytes (frames): the headers ServerResponse would send, Date and Connection included. */
export function badGatewayBytes(pid: number | undefined, keep: boolean): Buffer {
  const h = badGatewayHeaders(pid, keep);
  let head = 'HTTP/1.1 502 Bad Gateway\r\n';
  for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
  head += `Date: ${new Date().toUTCString()}\r\n`;
  if (keep) head += 'Connection: keep-alive\r\n';
  return Buffer.from(head + '\r\n' + BAD_GATEWAY_BODY, 'latin1');
}

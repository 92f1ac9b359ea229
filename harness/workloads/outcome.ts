// How a request's end maps onto Jepsen's outcomes (ok / fail / info). Pure, so checkers and tests can rely on
// one definition: a response decides by its status; a transport error decides by whether the request had been
// written (never written: it certainly did not happen → fail; written: the server may have run it → info).
import type { Outcome, RequestErrorKind } from '../history/types';

/** Statuses that count as ok although they are 4xx/5xx (e.g. a scenario that expects 404s), or a predicate. */
export type OkStatuses = readonly number[] | ((status: number) => boolean);

export interface Classification {
  outcome: Outcome;
  error?: RequestErrorKind;
}

/** A complete response: < 400 is ok, 4xx fails as status-4xx, >= 500 fails as status-5xx, unless okStatuses says ok. */
export function classifyStatus(status: number, okStatuses?: OkStatuses): Classification {
  if (okStatuses !== undefined) {
    const ok = typeof okStatuses === 'function' ? okStatuses(status) : okStatuses.includes(status);
    if (ok) return { outcome: 'ok' };
  }
  if (status >= 500) return { outcome: 'fail', error: 'status-5xx' };
  if (status >= 400) return { outcome: 'fail', error: 'status-4xx' };
  return { outcome: 'ok' };
}

/**
 * A request that ended without a complete response. `written` is true once any byte of the request was handed
 * to the socket: from then on the server may have processed it, so the outcome is unknown (info).
 */
export function classifyTransportError(error: RequestErrorKind, written: boolean): Classification {
  return { outcome: written ? 'info' : 'fail', error };
}

/** Maps a socket error code to the history's error kind. */
export function errorKindOf(code: string | undefined): RequestErrorKind {
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'connect-timeout';
    default:
      return 'other';
  }
}

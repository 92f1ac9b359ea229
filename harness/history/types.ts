// The recorded history of a run (history.jsonl): one JSON object per line. Request records follow Jepsen's
// outcome model: ok (it happened), fail (it certainly did not), info (unknown: e.g. the connection died after the
// request was written). Socket records describe each client connection the tracked client opened.

export type Outcome = 'ok' | 'fail' | 'info';

/** Why a request did not end in ok. */
export type RequestErrorKind =
  | 'status-5xx' // a response with status >= 500 (outcome fail)
  | 'status-4xx' // a response with status 4xx (outcome fail unless the scenario expects it)
  | 'reset' // ECONNRESET / EPIPE while the request was outstanding (outcome info)
  | 'closed' // the server closed (FIN) the socket while the request was outstanding (outcome info)
  | 'refused' // ECONNREFUSED: nothing listening (outcome fail: the request was never sent)
  | 'timeout' // no complete response within the client timeout: a hung request (outcome info)
  | 'connect-timeout' // the TCP connect did not complete (outcome fail)
  | 'other';

export interface RequestRecord {
  kind: 'request';
  /** Epoch ms when the request was written. */
  t: number;
  /** Sequence number of the request within the run. */
  id: number;
  /** Id of the client socket (see SocketRecord.conn). */
  conn: number;
  localPort?: number;
  method: string;
  path: string;
  outcome: Outcome;
  status?: number;
  error?: RequestErrorKind;
  errorMessage?: string;
  latencyMs: number;
  /** The worker that served it, from the X-W3-Worker-Pid (or X-Worker-Pid) response header. */
  workerPid?: number;
  /** True when the response carried `Connection: close`. */
  connectionClose?: boolean;
  /** Free-form tag from the workload phase that issued the request. */
  phase?: string;
}

export type SocketCloseKind =
  | 'client' // we closed it (end of run, or after Connection: close was honoured)
  | 'server-fin' // the server ended it without having announced Connection: close
  | 'server-close-announced' // the server ended it after a response with Connection: close
  | 'reset' // ECONNRESET
  | 'error';

export interface SocketRecord {
  kind: 'socket';
  conn: number;
  localPort?: number;
  /** Epoch ms of connect and close. */
  opened: number;
  closed?: number;
  closeKind?: SocketCloseKind;
  /** True when a request was outstanding when the server closed or reset it. */
  closedWithRequestInFlight?: boolean;
  requests: number;
  errorMessage?: string;
}

/** A mark the harness writes into the history (fault injected/healed, phase start/end, recycle requested). */
export interface MarkRecord {
  kind: 'mark';
  t: number;
  name: string;
  [extra: string]: unknown;
}

/**
 * What the lab measured of one worker at one moment (memory over time: the evidence a leak scenario needs). Taken
 * from the target's own worker list when it reports memory, else from /proc on this machine.
 */
export interface SampleRecord {
  kind: 'sample';
  t: number;
  pool: string;
  pid: number;
  workerId?: number;
  privateMemoryKB: number;
  /** Who measured: the target (its worker list) or the lab (/proc). */
  from: 'target' | 'proc';
}

export type HistoryRecord = RequestRecord | SocketRecord | MarkRecord | SampleRecord;

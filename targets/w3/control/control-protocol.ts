// Messages on the control channel between the manager and a module-mode worker: readiness, health pings, drain,
// faults, and the two things an application may say (unhealthy, a log line). The data path (HTTP requests) uses a
// separate Unix socket. The channel is one newline-delimited JSON message per line (line-channel.ts).
//
// A worker runs application code, so everything that comes from it is untrusted input to the host: each message is
// checked against a whitelist of types and fields with bounded sizes, and anything else — unknown type, extra or
// missing field, wrong type, a string over its limit, a line over MAX_WORKER_LINE_BYTES, text that is not JSON — is
// "malformed": the worker is killed and the failure counts toward rapid-fail protection, as WAS does when a w3wp
// sends it ill-formed data (IIS event 5127, "worker process no longer trusted").

export type ToWorker =
  | { type: 'ping'; seq: number }
  | { type: 'shutdown' }
  | { type: 'fault'; id: number; spec: unknown }
  | { type: 'heal'; id?: number };

export type LogLevel = 'info' | 'warn' | 'error';

export type FromWorker =
  | { type: 'ready'; socket: string }
  | { type: 'pong'; seq: number }
  | { type: 'unhealthy'; reason?: string }
  | { type: 'fault-ack'; id: number; ok: boolean; error?: string }
  | { type: 'log'; level: LogLevel; msg: string };

/** Longest line the host reads from a worker; a longer one is malformed (the host keeps at most this in memory). */
export const MAX_WORKER_LINE_BYTES = 16 * 1024;
/** Longest line a worker reads from the host (fault specs are bounded by the admin API's 1 MB body limit). */
export const MAX_HOST_LINE_BYTES = 2 * 1024 * 1024;
/** Field limits (characters). A Unix socket path cannot exceed 108 bytes; the rest leave room for a useful text. */
export const MAX_REASON_CHARS = 1024;
export const MAX_LOG_CHARS = 4096;
const MAX_SOCKET_CHARS = 1024;

const LOG_LEVELS: ReadonlySet<string> = new Set<LogLevel>(['info', 'warn', 'error']);

type FieldCheck = (v: unknown) => boolean;
const str =
  (max: number): FieldCheck =>
  (v) =>
    typeof v === 'string' && v.length <= max;
const seq: FieldCheck = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Per type: required fields and optional fields with their checks. No other key is accepted. */
const SHAPES: Record<
  FromWorker['type'],
  { required: Record<string, FieldCheck>; optional: Record<string, FieldCheck> }
> = {
  ready: { required: { socket: str(MAX_SOCKET_CHARS) }, optional: {} },
  pong: { required: { seq }, optional: {} },
  unhealthy: { required: {}, optional: { reason: str(MAX_REASON_CHARS) } },
  'fault-ack': { required: { id: seq, ok: (v) => typeof v === 'boolean' }, optional: { error: str(MAX_REASON_CHARS) } },
  log: {
    required: { level: (v) => typeof v === 'string' && LOG_LEVELS.has(v), msg: str(MAX_LOG_CHARS) },
    optional: {},
  },
};

export type Checked<T> = { ok: true; msg: T } | { ok: false; error: string };

/** Validates one decoded message from a worker; `error` says what is wrong without echoing the input. */
export function checkFromWorker(m: unknown): Checked<FromWorker> {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return { ok: false, error: 'not a JSON object' };
  const o = m as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string' || !Object.hasOwn(SHAPES, type)) return { ok: false, error: 'unknown message type' };
  const shape = SHAPES[type as FromWorker['type']];
  for (const key of Object.keys(o)) {
    if (key === 'type') continue;
    const check = Object.hasOwn(shape.required, key)
      ? shape.required[key]
      : Object.hasOwn(shape.optional, key)
        ? shape.optional[key]
        : undefined;
    if (!check) return { ok: false, error: `${type}: unexpected field` };
    if (!check(o[key])) return { ok: false, error: `${type}: bad or oversized field ${key}` };
  }
  for (const key of Object.keys(shape.required)) {
    if (!Object.hasOwn(o, key)) return { ok: false, error: `${type}: missing field ${key}` };
  }
  return { ok: true, msg: o as FromWorker };
}

/** Host → worker: the host is trusted, but the worker still ignores what it does not know. */
export function checkToWorker(m: unknown): ToWorker | null {
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  switch (o['type']) {
    case 'ping':
      return seq(o['seq']) ? (o as ToWorker) : null;
    case 'shutdown':
      return o as ToWorker;
    case 'fault':
      return seq(o['id']) ? (o as ToWorker) : null;
    case 'heal':
      return o['id'] === undefined || seq(o['id']) ? (o as ToWorker) : null;
    default:
      return null;
  }
}

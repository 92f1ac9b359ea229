// Per-connection facts the listener's timers need and Node does not keep: where a connection is between requests,
// whether the listener already answered and is closing it (nothing the client sends afterwards runs), whether it
// was accepted beyond maxConnections, and which request is currently reading its body.
// Stored as symbol properties on the socket (set once per connection or per request, no extra objects).
//
// Why: Node's keep-alive timer closes an idle connection silently (nothing is sent, as with HTTP.SYS) and reports
// nothing, so w3 runs the idle timer itself — `socket.setTimeout(connectionTimeout)`, an inactivity timer that
// every read and write restarts — and decides on expiry what the connection was doing (`phase`).
import type net from 'node:net';

const kReadAtIdle = Symbol('w3.readAtIdle');
const kClosing = Symbol('w3.closing');
const kBodyOwner = Symbol('w3.bodyOwner');
const kOverLimit = Symbol('w3.overLimit');

/** A request that can be ended by the listener with one HTTPERR line (a ProxyJob). */
export interface Abandonable {
  /** True while its request body is still arriving. */
  readingBody(): boolean;
  abandon(reason: import('./http-error-log').HttpErrReason, page?: import('./httpsys-responses').PageName): void;
}

interface ConnSocket extends net.Socket {
  [kReadAtIdle]?: number;
  [kClosing]?: boolean;
  [kBodyOwner]?: Abandonable | null;
  [kOverLimit]?: boolean;
  /** Node's in-flight ServerResponse on this socket (set from headers-complete until the response finished). */
  _httpMessage?: unknown;
}

export type ConnectionPhase = 'idle' | 'head' | 'response';

/**
 * - `response`: a request was parsed and its response is not finished (queued, at a worker, or being sent);
 * - `head`: bytes of a new request arrived since the last response finished (its head is incomplete);
 * - `idle`: nothing since the connection opened or since the last response finished.
 */
export function phase(socket: net.Socket): ConnectionPhase {
  const s = socket as ConnSocket;
  if (s._httpMessage) return 'response';
  return s.bytesRead > (s[kReadAtIdle] ?? 0) ? 'head' : 'idle';
}

/** A response on this connection finished: later bytes belong to the next request. */
export function markIdle(socket: net.Socket): void {
  (socket as ConnSocket)[kReadAtIdle] = socket.bytesRead;
}

/** The listener answered (or gave up on) this connection: later errors and timers must not log again. */
export function markClosing(socket: net.Socket): void {
  (socket as ConnSocket)[kClosing] = true;
}

export function isClosing(socket: net.Socket): boolean {
  return (socket as ConnSocket)[kClosing] === true;
}

/** The request whose body is being read on this connection (a body parse error belongs to it). */
export function setBodyOwner(socket: net.Socket, job: Abandonable | null): void {
  (socket as ConnSocket)[kBodyOwner] = job;
}

export function bodyOwner(socket: net.Socket): Abandonable | null {
  return (socket as ConnSocket)[kBodyOwner] ?? null;
}

/** The response Node is currently writing on this connection (later pipelined ones wait behind it), if any. */
export function activeResponse(socket: net.Socket): import('node:http').ServerResponse | null {
  return ((socket as ConnSocket)._httpMessage as import('node:http').ServerResponse | undefined) ?? null;
}

/** Accepted beyond maxConnections: its request gets the 503 ConnLimit page. */
export function markOverLimit(socket: net.Socket): void {
  (socket as ConnSocket)[kOverLimit] = true;
}

export function isOverLimit(socket: net.Socket): boolean {
  return (socket as ConnSocket)[kOverLimit] === true;
}

/** How long a connection that got an error page may stay half-open waiting for the client to close. */
export const LINGER_MS = 2000;

/**
 * Sends `bytes` and closes a connection no HTTP response object owns (a parse error, an upgrade or CONNECT): end(),
 * not destroy() — unread request bytes would turn the close into a reset that can eat the page; the client's own
 * close, or LINGER_MS, ends the socket.
 */
export function endWith(socket: net.Socket, bytes: string | Buffer): void {
  if (socket.destroyed) return;
  markClosing(socket);
  socket.end(bytes);
  socket.setTimeout(LINGER_MS, () => socket.destroy());
}

/**
 * The end of a host stop (every worker has exited, nothing more will be written): closes `socket` as soon as all
 * that was written to it is in the kernel — at once when nothing is left to send (an idle connection, one waiting
 * for the client's FIN after a page, one holding half a request head). Waiting for the client there would only make
 * the host's exit wait on it.
 */
export function closeOnceSent(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableLength === 0) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  if (!socket.writableEnded) socket.end();
}

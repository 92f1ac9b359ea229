// The worker's ServerResponse under the framed transport (passed to `http.createServer({ ServerResponse })`). The
// listener forwards the response bytes as they are, so what the HTTP transport's listener does to a response is
// done here, where the response is built:
//  - X-W3-Worker-Pid is set in the constructor (no per-request closure; the listener never splices the head);
//  - headers a response's `Connection` field names are removed with that name (hop-by-hop, RFC 9110 §7.6.1); the
//    close/keep-alive tokens stay, they describe the client connection this response is on;
//  - a response with a Cache-Control header is announced by a RESP_CACHE frame before its first byte (only those
//    are read by the listener for its response cache);
//  - when the response was handed to the virtual socket in full ('finish'), a RESP_END frame follows its last DATA
//    frame, flagged when it carries Cache-Control and when the connection closes after it; a response that ended
//    short of its own Content-Length is not complete (the client waits for bytes that never come): it gets no
//    RESP_END, and the listener abandons it after connectionTimeout, as the HTTP transport does.
// A response on an ordinary socket behaves as Node's.
import http from 'node:http';
import { RespEndFlags } from './frame-codec';
import { VirtualSocket } from './virtual-socket';

// The typings omit the options argument Node passes (highWaterMark, rejectNonStandardBodyWrites).
const ResponseBase = http.ServerResponse as unknown as new (
  req: http.IncomingMessage,
  options?: object,
) => http.ServerResponse;

const kStart = Symbol('w3.socketBytesAtStart');
const kCacheHint = Symbol('w3.cacheHintPending');

interface Tracked extends http.ServerResponse {
  [kStart]?: number;
  /** Has Cache-Control, and no socket yet to announce it on (a pipelined response waiting for its turn). */
  [kCacheHint]?: boolean;
  _header?: string | null;
  _hasBody?: boolean;
  /** Node closes the connection after this response. */
  _last?: boolean;
}

function onFinish(this: Tracked): void {
  const s = this.req.socket;
  if (!(s instanceof VirtualSocket)) return;
  // Short of its Content-Length: no RESP_END. The listener sees a response that stopped arriving and abandons it
  // after connectionTimeout, as the HTTP transport does.
  if (short(this, s)) return;
  const flags =
    (this.hasHeader('cache-control') ? RespEndFlags.CACHE_CONTROL : 0) | (this._last ? RespEndFlags.CLOSE : 0);
  s.responseEnded(flags);
}

/** The response declared a Content-Length its body did not reach. */
function short(res: Tracked, s: VirtualSocket): boolean {
  const declared = res.getHeader('content-length');
  if (declared === undefined || !res._hasBody || res.req.method === 'HEAD') return false;
  const written = s.bytesWritten - (res[kStart] ?? 0);
  return written < (res._header?.length ?? 0) + Number(declared);
}

function stripConnectionNamed(res: http.ServerResponse): void {
  const conn = res.getHeader('connection');
  if (conn === undefined) return;
  const keep: string[] = [];
  for (const token of String(conn).split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '') continue;
    if (t === 'close' || t === 'keep-alive') keep.push(t);
    else res.removeHeader(t);
  }
  if (keep.length > 0) res.setHeader('Connection', keep.join(', '));
  else res.removeHeader('connection');
}

type HeadArgs = [string | http.OutgoingHttpHeaders | http.OutgoingHttpHeader[] | undefined, unknown?];

/** A ServerResponse class that stamps `pid` on every response and reports response ends on virtual sockets. */
export function framedResponseClass(pid: number): typeof http.ServerResponse {
  const pidText = String(pid);
  const cls = class W3ServerResponse extends ResponseBase {
    constructor(req: http.IncomingMessage, options?: object) {
      super(req, options);
      this.setHeader('X-W3-Worker-Pid', pidText);
      this.on('finish', onFinish);
    }

    override assignSocket(socket: import('node:net').Socket): void {
      // Bytes this response writes are counted from here (a pipelined response gets the socket after the one before).
      (this as Tracked)[kStart] = socket.bytesWritten;
      // Announced before the head this response already holds goes out (assignSocket flushes it).
      if ((this as Tracked)[kCacheHint] && socket instanceof VirtualSocket) socket.cacheHint();
      (this as Tracked)[kCacheHint] = false;
      super.assignSocket(socket);
    }

    override writeHead(statusCode: number, ...args: HeadArgs): this {
      const reason = typeof args[0] === 'string' ? args[0] : undefined;
      const headers = (reason === undefined ? args[0] : args[1]) as HeadArgs[0];
      if (headers !== undefined && typeof headers !== 'string' && !this.headersSent) {
        if (Array.isArray(headers)) {
          // Flat [name, value, ...] or [[name, value], ...]: appended, so repeated names (Set-Cookie) stay.
          const pairs = Array.isArray(headers[0]) ? (headers as unknown as [string, string][]) : pairsOf(headers);
          for (const [k, v] of pairs) this.appendHeader(k, v);
        } else {
          for (const k of Object.keys(headers)) if (headers[k] !== undefined) this.setHeader(k, headers[k]);
        }
      }
      if (!this.headersSent) stripConnectionNamed(this);
      const sent = !!(this as Tracked)._header;
      const r = reason === undefined ? super.writeHead(statusCode) : super.writeHead(statusCode, reason);
      // The head is only stored now; its bytes leave with the first write, after this frame.
      if (!sent && this.hasHeader('cache-control')) {
        if (this.socket instanceof VirtualSocket) this.socket.cacheHint();
        else (this as Tracked)[kCacheHint] = true;
      }
      return r;
    }
  };
  return cls as unknown as typeof http.ServerResponse;
}

function pairsOf(flat: readonly unknown[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), String(flat[i + 1])]);
  return out;
}

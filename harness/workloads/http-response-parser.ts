// A minimal incremental HTTP/1.x response parser for the tracked client (one response at a time, no pipelining).
// Written here because Node exposes no public parser for raw sockets and the tracked client needs raw sockets to
// see every FIN, RST and byte (see tracked-connection.ts). It frames the body (Content-Length, chunked, until-close,
// no-body statuses, HEAD), skips interim 1xx responses, and keeps only the headers the lab needs; the body is
// counted, not stored.

export interface ResponseHead {
  status: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  httpMinor: number;
  /** The response carried `Connection: close`. */
  connectionClose: boolean;
  /** The connection may carry another request (HTTP/1.1 without close, or 1.0 with keep-alive; framed body). */
  keepAlive: boolean;
  /** From X-W3-Worker-Pid, else X-Worker-Pid. */
  workerPid?: number;
}

/** 'more': need more bytes; 'complete': one full response read; 'error': see `error`. */
export type ParseStatus = 'more' | 'complete' | 'error';

enum State {
  Head,
  BodyLength,
  ChunkSize,
  ChunkData,
  ChunkCrlf,
  Trailers,
  UntilClose,
  Done,
  Failed,
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 8 * 1024;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export class ResponseParser {
  head: ResponseHead | null = null;
  error: string | null = null;
  /** Bytes of the current response received so far (head and body). */
  bytesReceived = 0;
  /** Bytes that arrived after the response was complete (a protocol violation for a non-pipelining client). */
  extraBytes = 0;
  private state = State.Head;
  private pending: Buffer = EMPTY;
  private remaining = 0;
  private noBody = false;

  /** Prepares for the next response; `noBody` for responses to HEAD. */
  reset(noBody: boolean): void {
    this.head = null;
    this.error = null;
    this.bytesReceived = 0;
    this.extraBytes = 0;
    this.state = State.Head;
    this.pending = EMPTY;
    this.remaining = 0;
    this.noBody = noBody;
  }

  get complete(): boolean {
    return this.state === State.Done;
  }

  execute(chunk: Buffer): ParseStatus {
    if (this.state === State.Failed) return 'error';
    if (this.state === State.Done) {
      this.extraBytes += chunk.length;
      return 'complete';
    }
    this.bytesReceived += chunk.length;
    let buf = chunk;
    if (this.pending.length > 0) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = EMPTY;
    }
    let pos = 0;
    while (pos < buf.length || this.state === State.Done) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf(CRLFCRLF, pos);
          if (end < 0) return this.needMore(buf, pos, MAX_HEAD_BYTES, 'response head too large');
          if (!this.parseHead(buf.toString('latin1', pos, end))) return 'error';
          pos = end + 4;
          break;
        }
        case State.BodyLength:
        case State.ChunkData: {
          const take = Math.min(this.remaining, buf.length - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.state = this.state === State.BodyLength ? State.Done : State.ChunkCrlf;
          break;
        }
        case State.ChunkCrlf: {
          // Two bytes that may arrive split across reads.
          const take = Math.min(2 - this.remaining, buf.length - pos);
          this.remaining += take;
          pos += take;
          if (this.remaining === 2) this.state = State.ChunkSize;
          break;
        }
        case State.ChunkSize: {
          const eol = buf.indexOf(CRLF, pos);
          if (eol < 0) return this.needMore(buf, pos, MAX_LINE_BYTES, 'chunk size line too long');
          const line = buf.toString('latin1', pos, eol);
          pos = eol + 2;
          const size = parseInt(line.split(';', 1)[0] ?? '', 16);
          if (!Number.isFinite(size) || size < 0) return this.fail(`bad chunk size ${JSON.stringify(line)}`);
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.Trailers: {
          const eol = buf.indexOf(CRLF, pos);
          if (eol < 0) return this.needMore(buf, pos, MAX_HEAD_BYTES, 'trailers too large');
          const empty = eol === pos;
          pos = eol + 2;
          if (empty) this.state = State.Done;
          break;
        }
        case State.UntilClose:
          pos = buf.length;
          break;
        case State.Done:
          this.extraBytes += buf.length - pos;
          return 'complete';
        default:
          return 'error';
      }
    }
    return 'more';
  }

  /** The server closed the connection: a body delimited by the close is now complete; anything else is cut short. */
  finishOnEof(): ParseStatus {
    if (this.state === State.UntilClose) this.state = State.Done;
    if (this.state === State.Done) return 'complete';
    return this.state === State.Failed ? 'error' : 'more';
  }

  private needMore(buf: Buffer, pos: number, limit: number, what: string): ParseStatus {
    if (buf.length - pos > limit) return this.fail(what);
    this.pending = buf.subarray(pos);
    return 'more';
  }

  private fail(message: string): ParseStatus {
    this.error = message;
    this.state = State.Failed;
    return 'error';
  }

  private parseHead(text: string): boolean {
    const lines = text.split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (m === null) {
      this.fail(`bad status line ${JSON.stringify(statusLine.slice(0, 80))}`);
      return false;
    }
    const httpMinor = Number(m[1]);
    const status = Number(m[2]);
    let contentLength = -1;
    let chunked = false;
    let connectionClose = false;
    let connectionKeepAlive = false;
    let w3Pid: number | undefined;
    let otherPid: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      switch (name) {
        case 'content-length':
          contentLength = /^\d+$/.test(value) ? Number(value) : -2;
          break;
        case 'transfer-encoding':
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          break;
        case 'connection': {
          const tokens = value
            .toLowerCase()
            .split(',')
            .map((t) => t.trim());
          if (tokens.includes('close')) connectionClose = true;
          if (tokens.includes('keep-alive')) connectionKeepAlive = true;
          break;
        }
        case 'x-w3-worker-pid':
          w3Pid = parsePid(value);
          break;
        case 'x-worker-pid':
          otherPid = parsePid(value);
          break;
      }
    }
    if (status >= 100 && status < 200 && status !== 101) return true; // interim: the real head follows
    let keepAlive = httpMinor === 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
    const workerPid = w3Pid ?? otherPid;
    if (this.noBody || status === 204 || status === 304 || status === 101) {
      this.state = State.Done;
      if (status === 101) keepAlive = false; // protocol switch: not HTTP any more
    } else if (chunked) {
      this.state = State.ChunkSize;
    } else if (contentLength === -2) {
      this.fail('bad Content-Length');
      return false;
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? State.Done : State.BodyLength;
    } else {
      this.state = State.UntilClose;
      keepAlive = false;
    }
    this.head = { status, httpMinor, connectionClose, keepAlive, ...(workerPid !== undefined ? { workerPid } : {}) };
    return true;
  }
}

function parsePid(value: string): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

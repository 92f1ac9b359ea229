// The framed transport's request-head scanner: the listener reads each client request head once, here, to decide
// limits, routing and admission, and forwards the bytes unchanged to the worker, whose own Node parser (llhttp)
// parses them again for the application. The two must never disagree on where a request ends, so this scanner is
// at least as strict as llhttp as Node 20 runs it on everything that decides framing: CRLF line ends only, tokens
// for method (Node's method list) and header names, no whitespace before a colon, no obs-fold, no control bytes in
// values, one Content-Length of digits only, no Content-Length beside Transfer-Encoding, `chunked` last and once.
// A few things llhttp tolerates are refused here (two spaces in the request line): stricter is safe, the client
// gets a 400 page from the listener instead. Errors carry llhttp's codes (HPE_*) so the listener maps them to the
// same HTTP.SYS pages as before (request-limits.ts parserErrorPage).
//
// Incremental: `scan` is called with the head bytes so far (the caller appends what arrives) and resumes at the
// first line it has not read, so a head trickling in byte by byte costs linear time, not quadratic.
import { METHODS } from 'node:http';

/** What the listener needs of a request head; IncomingMessage has the same fields (request-limits.ts reads both). */
export interface ScannedHead {
  method: string;
  url: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  /** Names and values as sent (values without surrounding whitespace), alternating, like IncomingMessage's. */
  rawHeaders: string[];
  /** Bytes of the head from its first byte to the blank line, inclusive (leading empty lines included). */
  length: number;
  /** -1: no Content-Length. */
  contentLength: number;
  chunked: boolean;
  /** The connection stays open after this request (HTTP/1.1 without `close`, HTTP/1.0 with `keep-alive`). */
  keepAlive: boolean;
  /** `Connection: upgrade` with an `Upgrade` header: Node's 'upgrade' case (the stream turns opaque). */
  upgrade: boolean;
}

export class HeadScanError {
  constructor(
    /** llhttp's code for the same fault (HPE_INVALID_METHOD, HPE_HEADER_OVERFLOW, …). */
    readonly code: string,
    readonly reason: string,
    /** The head bytes read so far (the listener reads the request line from it for its 505/400 choice). */
    readonly rawPacket: Buffer,
  ) {}
}

const KNOWN_METHODS = new Set(METHODS);

const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN[c.charCodeAt(0)] = 1;
/** llhttp's URL bytes (Node's build): visible ASCII, no control bytes, no bytes above 0x7e. */
const URL_BYTE = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) URL_BYTE[c] = 1;
/** Header value bytes: HTAB, SP, visible ASCII, obs-text (0x80–0xff); never CR, LF, other controls or DEL. */
const VALUE_BYTE = new Uint8Array(256);
VALUE_BYTE[9] = 1;
for (let c = 0x20; c <= 0x7e; c++) VALUE_BYTE[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VALUE_BYTE[c] = 1;

/** The absolute form this scanner lets through: http(s), a plain authority (stricter than llhttp, never looser). */
const ABSOLUTE_TARGET = /^https?:\/\/[A-Za-z0-9._~:[\]-]*(?:[/?]|$)/i;

const CR = 13;
const LF = 10;
const MAX_SAFE_CL = Number.MAX_SAFE_INTEGER;

/** Scans one request head at a time; `reset()` before the next request. */
export class HeadScanner {
  /** Offset (from the head's first byte) of the first line not yet read. */
  private pos = 0;
  private lineNo = 0;
  private head: ScannedHead = blankHead();
  private connection = '';
  private hasUpgradeHeader = false;
  private te: string | null = null;

  /** `maxBytes`: a head longer than this without its blank line is HPE_HEADER_OVERFLOW (memory bound). */
  constructor(public maxBytes: number) {}

  reset(): void {
    this.pos = 0;
    this.lineNo = 0;
    this.head = blankHead();
    this.connection = '';
    this.hasUpgradeHeader = false;
    this.te = null;
  }

  /** Bytes consumed by lines already read (the caller may keep only the unread rest when it wants). */
  get scanned(): number {
    return this.pos;
  }

  /**
   * Reads `buf[start..end)`, the head's bytes so far (always from the head's first byte). Returns the head when its
   * blank line arrived, null when more bytes are needed, or a HeadScanError.
   */
  scan(buf: Buffer, start: number, end: number): ScannedHead | null | HeadScanError {
    while (true) {
      const lineStart = start + this.pos;
      const lf = buf.indexOf(LF, lineStart);
      if (lf === -1 || lf >= end) {
        if (end - start > this.maxBytes) return this.fail('HPE_HEADER_OVERFLOW', 'Header overflow', buf, start, end);
        return null;
      }
      if (lf + 1 - start > this.maxBytes) return this.fail('HPE_HEADER_OVERFLOW', 'Header overflow', buf, start, end);
      const next = lf + 1 - start;
      // Empty lines before the request line are skipped (llhttp does, for a bare LF too).
      if (this.lineNo === 0 && (lf === lineStart || (lf === lineStart + 1 && buf[lineStart] === CR))) {
        this.pos = next;
        continue;
      }
      if (lf === lineStart || buf[lf - 1] !== CR) {
        const code = this.lineNo === 0 ? 'HPE_INVALID_VERSION' : 'HPE_CR_EXPECTED';
        return this.fail(code, 'Missing expected CR before LF', buf, start, end);
      }
      const lineEnd = lf - 1;
      let err: HeadScanError | null;
      if (this.lineNo === 0) {
        err = this.requestLine(buf, lineStart, lineEnd, start, end);
      } else if (lineEnd === lineStart) {
        this.pos = next;
        return this.finish(buf, start, end);
      } else {
        err = this.headerLine(buf, lineStart, lineEnd, start, end);
      }
      if (err) return err;
      this.lineNo++;
      this.pos = next;
    }
  }

  private requestLine(buf: Buffer, s: number, e: number, start: number, end: number): HeadScanError | null {
    let i = s;
    while (i < e && TOKEN[buf[i]!]) i++;
    if (i === s || buf[i] !== 0x20)
      return this.fail('HPE_INVALID_METHOD', 'Invalid method encountered', buf, start, end);
    const method = buf.toString('latin1', s, i);
    if (!KNOWN_METHODS.has(method))
      return this.fail('HPE_INVALID_METHOD', 'Invalid method encountered', buf, start, end);
    const u = ++i;
    while (i < e && URL_BYTE[buf[i]!]) i++;
    // `GET /` and nothing more is an HTTP/0.9 simple request: no version (llhttp: HPE_INVALID_VERSION, a 400).
    if (i === e && i > u) return this.fail('HPE_INVALID_VERSION', 'Missing HTTP version', buf, start, end);
    if (i === u || buf[i] !== 0x20) return this.fail('HPE_INVALID_URL', 'Invalid characters in url', buf, start, end);
    const url = buf.toString('latin1', u, i);
    // llhttp reads a target as a path, `*`, or a scheme and authority; anything else (`eflip/x`) is
    // HPE_INVALID_URL there. CONNECT's authority form is refused by the listener itself.
    const c0 = buf[u]!;
    if (c0 !== 0x2f && method !== 'CONNECT' && url !== '*' && !ABSOLUTE_TARGET.test(url)) {
      return this.fail('HPE_INVALID_URL', 'Invalid characters in url', buf, start, end);
    }
    i++;
    // "HTTP/" DIGIT "." DIGIT, then the line ends.
    if (
      e - i !== 8 ||
      buf[i] !== 0x48 ||
      buf[i + 1] !== 0x54 ||
      buf[i + 2] !== 0x54 ||
      buf[i + 3] !== 0x50 ||
      buf[i + 4] !== 0x2f ||
      buf[i + 6] !== 0x2e
    ) {
      return this.fail('HPE_INVALID_VERSION', 'Expected HTTP/x.y', buf, start, end);
    }
    const major = buf[i + 5]! - 0x30;
    const minor = buf[i + 7]! - 0x30;
    // The versions llhttp accepts; HTTP/1.2 or 3.0 are HPE_INVALID_VERSION there too (505 from the listener).
    const ok = (major === 1 && minor <= 1) || (major === 0 && minor === 9) || (major === 2 && minor === 0);
    if (!ok) return this.fail('HPE_INVALID_VERSION', 'Invalid HTTP version', buf, start, end);
    const h = this.head;
    h.method = method;
    h.url = url;
    h.httpVersionMajor = major;
    h.httpVersionMinor = minor;
    return null;
  }

  private headerLine(buf: Buffer, s: number, e: number, start: number, end: number): HeadScanError | null {
    const c0 = buf[s]!;
    if (c0 === 0x20 || c0 === 9)
      return this.fail('HPE_INVALID_HEADER_TOKEN', 'obs-fold is not accepted', buf, start, end);
    let i = s;
    while (i < e && TOKEN[buf[i]!]) i++;
    if (i === s || buf[i] !== 0x3a)
      return this.fail('HPE_INVALID_HEADER_TOKEN', 'Invalid header token', buf, start, end);
    const nameEnd = i;
    i++;
    while (i < e && (buf[i] === 0x20 || buf[i] === 9)) i++;
    let vEnd = e;
    for (let j = i; j < e; j++) {
      if (!VALUE_BYTE[buf[j]!])
        return this.fail('HPE_INVALID_HEADER_TOKEN', 'Invalid header value char', buf, start, end);
    }
    while (vEnd > i && (buf[vEnd - 1] === 0x20 || buf[vEnd - 1] === 9)) vEnd--;
    const name = buf.toString('latin1', s, nameEnd);
    const value = buf.toString('latin1', i, vEnd);
    this.head.rawHeaders.push(name, value);
    return this.special(name, value, buf, start, end);
  }

  /** The headers that decide framing and the connection. */
  private special(name: string, value: string, buf: Buffer, start: number, end: number): HeadScanError | null {
    const n = name.length;
    if (n !== 14 && n !== 17 && n !== 10 && n !== 7) return null;
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (this.head.contentLength !== -1)
        return this.fail('HPE_UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length', buf, start, end);
      if (value.length === 0 || !/^\d+$/.test(value)) {
        return this.fail('HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length', buf, start, end);
      }
      const cl = Number(value);
      if (cl > MAX_SAFE_CL) return this.fail('HPE_INVALID_CONTENT_LENGTH', 'Content-Length overflow', buf, start, end);
      this.head.contentLength = cl;
    } else if (lower === 'transfer-encoding') {
      // A second Transfer-Encoding after one that ended in chunked is refused by llhttp ("chunked" must be last).
      if (this.te !== null && /(^|,)\s*chunked\s*$/i.test(this.te)) {
        return this.fail('HPE_INVALID_TRANSFER_ENCODING', 'Invalid `Transfer-Encoding` header value', buf, start, end);
      }
      this.te = this.te === null ? value : `${this.te}, ${value}`;
    } else if (lower === 'connection') {
      this.connection = this.connection === '' ? value.toLowerCase() : `${this.connection},${value.toLowerCase()}`;
    } else if (lower === 'upgrade') {
      this.hasUpgradeHeader = true;
    }
    return null;
  }

  private finish(buf: Buffer, start: number, end: number): ScannedHead | HeadScanError {
    const h = this.head;
    h.length = this.pos;
    if (this.te !== null) {
      if (h.contentLength !== -1) {
        return this.fail(
          'HPE_INVALID_TRANSFER_ENCODING',
          "Transfer-Encoding can't be present with Content-Length",
          buf,
          start,
          end,
        );
      }
      const codings = this.te.split(',').map((c) => c.trim().toLowerCase());
      const chunkedAt = codings.indexOf('chunked');
      if (chunkedAt !== -1 && chunkedAt !== codings.length - 1) {
        return this.fail('HPE_INVALID_TRANSFER_ENCODING', 'Invalid `Transfer-Encoding` header value', buf, start, end);
      }
      if (chunkedAt === -1)
        return this.fail('HPE_INVALID_TRANSFER_ENCODING', 'Request has invalid `Transfer-Encoding`', buf, start, end);
      h.chunked = true;
    }
    const tokens = this.connection === '' ? [] : this.connection.split(',').map((t) => t.trim());
    const http11 = h.httpVersionMajor === 1 && h.httpVersionMinor === 1;
    h.keepAlive = http11 ? !tokens.includes('close') : tokens.includes('keep-alive');
    h.upgrade = this.hasUpgradeHeader && tokens.includes('upgrade');
    return h;
  }

  private fail(code: string, reason: string, buf: Buffer, start: number, end: number): HeadScanError {
    return new HeadScanError(code, reason, buf.subarray(start, end));
  }
}

function blankHead(): ScannedHead {
  return {
    method: '',
    url: '',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    rawHeaders: [],
    length: 0,
    contentLength: -1,
    chunked: false,
    keepAlive: true,
    upgrade: false,
  };
}

// HTTP.SYS request validation (IIS-SPEC §4.5): URL length (414), per-header length (MaxFieldLength), request line +
// headers (MaxRequestBytes), URL segment length and count, %-encoding and restricted characters (400 Invalid URL),
// and the Host header HTTP/1.1 requires (400 Invalid Hostname). A violation never reaches a worker.
//
// Header-size boundary. Node's parser enforces `maxHeaderSize` by counting only the bytes of the URL, header names
// and header values (no method, version, ": " or CRLFs) and fails at >= the limit (HPE_HEADER_OVERFLOW). That is
// not HTTP.SYS's count, so Node's limit is only a memory backstop here (`nodeHeaderLimit`, larger than any head
// HTTP.SYS would accept) and the real checks run on the parsed head:
//  - one field = `Name: value` (name + 2 + value bytes) > maxFieldLength → 400 Header Field Too Long (FieldLength);
//  - the head = request line + CRLF + every `Name: value` + CRLF + the final CRLF > maxRequestBytes → 400 Request
//    Too Long (RequestLength); a head of exactly maxRequestBytes is accepted.
// Differences from HTTP.SYS: Node strips optional whitespace around values and unfolds obs-folds, so the head is
// reconstructed with exactly one space after each colon (a client padding values with extra spaces gets a few
// bytes of grace); a head so large that it trips Node's backstop (URL + names + values ≥ maxRequestBytes +
// maxUrlLength + 1) is answered Request Too Long whichever part was long — with the defaults, a URL above ~32 KB
// gets 400 Request Too Long instead of 414, and a single header above ~32 KB gets Request Too Long instead of
// Header Field Too Long.
// Check order follows the order HTTP.SYS parses in: request line (414), header fields, total size, then the URL is
// "cooked" (decoded and validated), then the host.
import type { IncomingMessage } from 'node:http';
import type { ListenerLimits } from '../config/types';
import type { PageName } from './httpsys-responses';
import type { HttpErrReason } from './http-error-log';

export interface LimitViolation {
  readonly page: PageName;
  readonly reason: HttpErrReason;
}

// Shared constants: a rejection allocates nothing.
export const URL_TOO_LONG: LimitViolation = { page: 'urlTooLong', reason: 'URL_Length' };
export const FIELD_TOO_LONG: LimitViolation = { page: 'headerFieldTooLong', reason: 'FieldLength' };
export const REQUEST_TOO_LONG: LimitViolation = { page: 'requestTooLong', reason: 'RequestLength' };
export const INVALID_URL: LimitViolation = { page: 'invalidUrl', reason: 'URL' };
export const INVALID_HOST: LimitViolation = { page: 'invalidHostname', reason: 'Hostname' };
const INVALID_VERB: LimitViolation = { page: 'invalidVerb', reason: 'Verb' };
const INVALID_HEADER: LimitViolation = { page: 'invalidHeader', reason: 'Header' };
const BAD_REQUEST: LimitViolation = { page: 'badRequest', reason: 'BadRequest' };

/** Node's maxHeaderSize: a backstop that never fires before the exact checks below could (see module header). */
export function nodeHeaderLimit(limits: ListenerLimits): number {
  return limits.maxRequestBytes + limits.maxUrlLength + 1;
}

export function checkRequestLimits(req: IncomingMessage, limits: ListenerLimits): LimitViolation | null {
  const url = req.url ?? '';
  if (url.length > limits.maxUrlLength) return URL_TOO_LONG;
  const raw = req.rawHeaders;
  // "GET" SP url SP "HTTP/1.1" CRLF ... CRLF: 1 + 8 + 2 + 2 = 13 bytes besides method and URL (+1 for the 2nd SP).
  let head = (req.method?.length ?? 0) + url.length + 14;
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const field = name.length + 2 + raw[i + 1]!.length;
    if (field > limits.maxFieldLength) return FIELD_TOO_LONG;
    head += field + 2;
    if (!host && name.length === 4) host = isHost(name);
  }
  if (head > limits.maxRequestBytes) return REQUEST_TOO_LONG;
  if (checkUrl(url, limits)) return INVALID_URL;
  if (!host && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return INVALID_HOST;
  return null;
}

/** Case-insensitive "host" without allocating a lower-cased copy. */
function isHost(n: string): boolean {
  return (n.charCodeAt(0) | 32) === 104 && (n.charCodeAt(1) | 32) === 111 && (n.charCodeAt(2) | 32) === 115 && (n.charCodeAt(3) | 32) === 116;
}

const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/** Returns true when HTTP.SYS would reject the URL as invalid (only the path is validated, not the query). */
export function checkUrl(url: string, limits: ListenerLimits): boolean {
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  let start = 0;
  if (url.charCodeAt(0) !== 47) {
    if (url === '*') return false;
    // Absolute-form (proxy style) targets are accepted; their path is validated.
    const m = ABSOLUTE_FORM.exec(url);
    if (!m) return true;
    start = m[0].length;
  }
  // Fast path, no allocation: plain ASCII paths are measured as they are.
  let count = 0;
  let len = 0;
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 37 || c >= 0x7f) return checkDecodedPath(url.slice(start, end), limits);
    if (c < 0x20) return true;
    if (c === 47) {
      if (len > 0 && segmentTooLong(len, ++count, limits)) return true;
      len = 0;
    } else len++;
  }
  return len > 0 && segmentTooLong(len, count + 1, limits);
}

function segmentTooLong(len: number, count: number, limits: ListenerLimits): boolean {
  return (limits.urlSegmentMaxLength > 0 && len > limits.urlSegmentMaxLength) || (limits.urlSegmentMaxCount > 0 && count > limits.urlSegmentMaxCount);
}

/**
 * The cooked URL, as HTTP.SYS validates it: %XX escapes and raw 8-bit bytes are decoded as UTF-8, or — for a byte
 * run that is not valid UTF-8 (EnableNonUTF8=1) — as ISO-8859-1 (HTTP.SYS uses the system ANSI code page; w3 has
 * none); %uNNNN is accepted (PercentUAllowed=1). A malformed escape, or a decoded character in U+0000–U+001F or
 * U+007F–U+009F (AllowRestrictedChars=0), makes the URL invalid. Segments are counted and measured in decoded
 * characters, so an escaped "/" separates segments.
 */
function checkDecodedPath(path: string, limits: ListenerLimits): boolean {
  const decoded = decodePath(path);
  if (decoded === null) return true;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(decoded)) return true;
  let count = 0;
  for (const seg of decoded.split('/')) {
    if (seg.length > 0 && segmentTooLong(seg.length, ++count, limits)) return true;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodePath(path: string): string | null {
  let out = '';
  const bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length === 0) return;
    const buf = Uint8Array.from(bytes);
    try {
      out += utf8.decode(buf);
    } catch {
      out += Buffer.from(buf).toString('latin1');
    }
    bytes.length = 0;
  };
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37) {
      const u = path.charCodeAt(i + 1);
      if ((u === 117 || u === 85) && isHex(path, i + 2, 4)) {
        flush();
        out += String.fromCharCode(parseInt(path.slice(i + 2, i + 6), 16));
        i += 5;
      } else if (isHex(path, i + 1, 2)) {
        bytes.push(parseInt(path.slice(i + 1, i + 3), 16));
        i += 2;
      } else return null;
    } else if (c >= 0x80) {
      bytes.push(c & 0xff);
    } else {
      flush();
      out += path[i];
    }
  }
  flush();
  return out;
}

function isHex(s: string, from: number, n: number): boolean {
  if (from + n > s.length) return false;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Node parser errors (clientError) as HTTP.SYS pages and HTTPERR reasons. HPE_HEADER_OVERFLOW is Node's
 * backstop (see module header), so it is Request Too Long.
 */
export function parserErrorPage(code: string): LimitViolation {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return REQUEST_TOO_LONG;
    case 'HPE_INVALID_METHOD':
      return INVALID_VERB;
    case 'HPE_INVALID_URL':
      return INVALID_URL;
    case 'HPE_INVALID_HEADER_TOKEN':
      return INVALID_HEADER;
    default:
      return BAD_REQUEST;
  }
}

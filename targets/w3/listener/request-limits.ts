// HTTP.SYS request validation: the HTTP version, URL length (414), per-header length (MaxFieldLength), request line +
// headers (MaxRequestBytes), the URL (segment length and count, %-encoding, restricted characters, dot segments:
// 400 Invalid URL), the Host (400 Invalid Hostname) and the body framing. A violation never reaches a worker.
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
// Check order follows the order HTTP.SYS parses in: the version (505, or 400 for HTTP/0.9), the request line (414),
// header fields, total size, then the URL is "cooked" (request-target.ts: decoded, normalised, validated), then the
// host (missing, duplicated or unparsable → 400 Invalid Hostname), then the framing (a Transfer-Encoding other than
// `chunked` → 501 Not Implemented, HTTPERR `N/I`: w3 would otherwise pass a still-encoded body to the application
// with no header saying so).
import type { IncomingMessage } from 'node:http';
import type { ListenerLimits } from '../config/types';
import type { PageName } from './httpsys-responses';
import type { HttpErrReason } from './http-error-log';
import { parseTarget, type RequestTarget } from './request-target';
import { isValidHost } from './host-header';

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
export const BAD_REQUEST: LimitViolation = { page: 'badRequest', reason: 'BadRequest' };
export const VERSION_NOT_SUPPORTED: LimitViolation = { page: 'versionNotSupported', reason: 'Version_N/S' };
const NOT_IMPLEMENTED: LimitViolation = { page: 'notImplemented', reason: 'N/I' };

/** What the listener routes and forwards once a request head passed every check. */
export interface AcceptedHead {
  readonly target: RequestTarget;
  /** The Host the request is for: the absolute-form authority, else the Host header (undefined: HTTP/1.0 without). */
  readonly host: string | undefined;
}

export function isViolation(r: LimitViolation | AcceptedHead): r is LimitViolation {
  return (r as LimitViolation).page !== undefined;
}

/** Node's maxHeaderSize: a backstop that never fires before the exact checks below could (see module header). */
export function nodeHeaderLimit(limits: ListenerLimits): number {
  return limits.maxRequestBytes + limits.maxUrlLength + 1;
}

/** The fields of a request head the checks read: an IncomingMessage, or the framed transport's ScannedHead. */
export type RequestHead = Pick<
  IncomingMessage,
  'httpVersionMajor' | 'httpVersionMinor' | 'method' | 'url' | 'rawHeaders'
>;

export function checkRequest(req: RequestHead, limits: ListenerLimits): LimitViolation | AcceptedHead {
  if (req.httpVersionMajor !== 1) return req.httpVersionMajor === 0 ? BAD_REQUEST : VERSION_NOT_SUPPORTED;
  const url = req.url ?? '';
  if (url.length > limits.maxUrlLength) return URL_TOO_LONG;
  const raw = req.rawHeaders;
  // "GET" SP url SP "HTTP/1.1" CRLF ... CRLF: 1 + 8 + 2 + 2 = 13 bytes besides method and URL (+1 for the 2nd SP).
  let head = (req.method?.length ?? 0) + url.length + 14;
  let host: string | undefined;
  let hosts = 0;
  let te: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const field = name.length + 2 + value.length;
    if (field > limits.maxFieldLength) return FIELD_TOO_LONG;
    head += field + 2;
    if (name.length === 4 && isHost(name)) {
      hosts++;
      host = value;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      te = te === undefined ? value : `${te}, ${value}`;
    }
  }
  if (head > limits.maxRequestBytes) return REQUEST_TOO_LONG;
  const target = parseTarget(url, limits);
  if (target === null) return INVALID_URL;
  // Two Host fields cannot name one host (undici would also refuse to forward them): always invalid.
  if (hosts > 1) return INVALID_HOST;
  if (host !== undefined && !isValidHost(host)) return INVALID_HOST;
  if (target.authority !== null) host = target.authority;
  else if (host === undefined && req.httpVersionMinor >= 1) return INVALID_HOST;
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return NOT_IMPLEMENTED;
  return { target, host };
}

/** Case-insensitive "host" without allocating a lower-cased copy. */
function isHost(n: string): boolean {
  return (
    (n.charCodeAt(0) | 32) === 104 &&
    (n.charCodeAt(1) | 32) === 111 &&
    (n.charCodeAt(2) | 32) === 115 &&
    (n.charCodeAt(3) | 32) === 116
  );
}

/**
 * Node parser errors (clientError) as HTTP.SYS pages and HTTPERR reasons. HPE_HEADER_OVERFLOW is Node's
 * backstop (see module header), so it is Request Too Long. Node's parser knows only HTTP/0.9–1.1: a well-formed
 * `HTTP/x.y` it refuses (HTTP/1.2, HTTP/3.0) is a version HTTP.SYS does not support (505), anything else a 400.
 * A Transfer-Encoding whose last coding is not `chunked` is one HTTP.SYS does not implement (501).
 */
export function parserErrorPage(code: string, rawPacket?: Buffer): LimitViolation {
  switch (code) {
    case 'HPE_INVALID_VERSION':
      return rawPacket && WELL_FORMED_VERSION.test(firstLine(rawPacket)) ? VERSION_NOT_SUPPORTED : BAD_REQUEST;
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return NOT_IMPLEMENTED;
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

const WELL_FORMED_VERSION = / HTTP\/\d\.\d\r?$/;

function firstLine(raw: Buffer): string {
  const end = raw.indexOf(10);
  return raw.subarray(0, end === -1 ? Math.min(raw.length, 8192) : end).toString('latin1');
}

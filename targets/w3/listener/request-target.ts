// The request-target as the listener understands it: one canonicalisation that both validation and routing use,
// so that no spelling of a URL can be validated as one path and routed as another.
//
// HTTP.SYS "cooks" the URL before it routes it; w3 does the same, and routes on the result:
//  - every %XX escape is decoded once (UTF-8 runs, else ISO-8859-1 for a run that is not UTF-8; %uNNNN too), so
//    `/%61dmin` is `/admin` and an escaped `/` separates segments;
//  - `\` is a `/` (as on Windows, where HTTP.SYS comes from);
//  - `.` and `..` segments are resolved (`/x/../admin` is `/admin`); a `..` that would climb above the root cannot
//    be canonicalised and is rejected;
//  - empty segments are merged (`//admin` is `/admin`: many applications and file servers merge them, so routing
//    must too);
//  - application prefixes are matched case-insensitively (ASCII letters), on segment boundaries (routing.ts).
// What cannot be canonicalised is a 400 Invalid URL: a malformed escape, a decoded control character (U+0000–U+001F,
// U+007F–U+009F), a `#` (a fragment is never sent), a double escape (`%2561` still spells an escape after one
// decoding: an application that decodes twice would see a different path than the one routed — IIS's request
// filtering rejects these by default too), or a target that is neither a path, `*` nor an absolute http(s) URI.
// The worker receives the target exactly as the client sent it (the canonical form is only the routing key); an
// absolute-form target (`GET http://host/path`) is sent as its origin form (`/path`) with its authority as Host.
//
// Cost: the common case (plain ASCII, no escape, no dot or empty segment) is one scan without allocation; the
// canonical path is then a slice of the URL (or the URL itself).
import type { ListenerLimits } from '../config/types';
import { isValidHost } from './host-header';

export interface RequestTarget {
  /** The routing key: the canonical absolute path ('*' for an asterisk-form target). */
  readonly path: string;
  /** What the worker receives: the target as sent, in origin form. */
  readonly upstream: string;
  /** The authority of an absolute-form target (then it replaces the Host header), else null. */
  readonly authority: string | null;
}

const ASTERISK: RequestTarget = { path: '*', upstream: '*', authority: null };
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/** Returns null when the target cannot be canonicalised (400 Invalid URL). */
export function parseTarget(url: string, limits: ListenerLimits): RequestTarget | null {
  const c0 = url.charCodeAt(0);
  if (c0 === 47) {
    const path = canonicalPath(url, 0, limits);
    return path === null ? null : { path, upstream: url, authority: null };
  }
  if (url === '*') return ASTERISK;
  const m = ABSOLUTE_FORM.exec(url);
  if (!m) return null;
  const authority = m[1]!;
  if (!isValidHost(authority)) return null;
  const rest = url.slice(m[0].length);
  const upstream = rest === '' ? '/' : rest.charCodeAt(0) === 63 ? '/' + rest : rest;
  const path = canonicalPath(upstream, 0, limits);
  return path === null ? null : { path, upstream, authority };
}

/**
 * The canonical path of `url` (from `start`, up to the query), or null when it is invalid. Fast path: one scan;
 * anything that needs decoding or normalising goes to `slowCanonicalPath`.
 */
function canonicalPath(url: string, start: number, limits: ListenerLimits): string | null {
  let end = url.indexOf('?', start);
  if (end === -1) end = url.length;
  let count = 0;
  let segStart = start + 1;
  for (let i = start + 1; i <= end; i++) {
    const c = i === end ? 47 : url.charCodeAt(i);
    if (c === 47) {
      const len = i - segStart;
      // Empty (`//`), `.` or `..` segments need normalising (a trailing `/` is an empty last segment: kept).
      if (len === 0 && i !== end) return slowCanonicalPath(url, start, end, limits);
      if (len === 1 && url.charCodeAt(segStart) === 46) return slowCanonicalPath(url, start, end, limits);
      if (len === 2 && url.charCodeAt(segStart) === 46 && url.charCodeAt(segStart + 1) === 46) {
        return slowCanonicalPath(url, start, end, limits);
      }
      if (len > 0 && segmentTooLong(len, ++count, limits)) return null;
      segStart = i + 1;
      continue;
    }
    // `%`, `\`, `#`, controls, DEL and 8-bit characters: decode or reject.
    if (c === 37 || c === 92 || c === 35 || c < 0x21 || c >= 0x7f) return slowCanonicalPath(url, start, end, limits);
  }
  return start === 0 && end === url.length ? url : url.slice(start, end);
}

function slowCanonicalPath(url: string, start: number, end: number, limits: ListenerLimits): string | null {
  if (url.indexOf('#', start) !== -1) return null;
  const decoded = decodePath(url.slice(start, end));
  if (decoded === null) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(decoded)) return null;
  if (/%(?:[0-9a-f]{2}|u[0-9a-f]{4})/i.test(decoded)) return null; // double escape
  const segments: string[] = [];
  const parts = decoded.replace(/\\/g, '/').split('/');
  for (let i = 1; i < parts.length; i++) {
    const s = parts[i]!;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (segments.length === 0) return null; // above the root
      segments.pop();
      continue;
    }
    segments.push(s);
  }
  for (let i = 0; i < segments.length; i++) if (segmentTooLong(segments[i]!.length, i + 1, limits)) return null;
  // A trailing separator (or a final `.` / `..`) leaves the path ending in `/`, as RFC 3986 resolution does.
  const last = parts[parts.length - 1];
  const trailing = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return '/' + segments.join('/') + (trailing ? '/' : '');
}

function segmentTooLong(len: number, count: number, limits: ListenerLimits): boolean {
  return (
    (limits.urlSegmentMaxLength > 0 && len > limits.urlSegmentMaxLength) ||
    (limits.urlSegmentMaxCount > 0 && count > limits.urlSegmentMaxCount)
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One %-decoding pass as HTTP.SYS does it: %XX escapes and raw 8-bit bytes are decoded as UTF-8, or — for a byte
 * run that is not valid UTF-8 (EnableNonUTF8=1) — as ISO-8859-1 (HTTP.SYS uses the system ANSI code page; w3 has
 * none); %uNNNN is accepted (PercentUAllowed=1). Returns null for a malformed escape.
 */
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

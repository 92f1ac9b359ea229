// What the response cache may store and serve (HTTP.sys's kernel cache rules, adapted to HTTP caching
// headers because a Node app has no IIS output-cache profile). Pure functions over a request and the worker's
// response headers.
//
// A request may be served from / fill the cache when it is a GET over HTTP/1.x with no query string, no body, no
// Authorization, no Range / If-Range, no Translate, no Expect, and no conditional headers (If-None-Match,
// If-Modified-Since: w3's cache does not evaluate validators, so the worker answers those and can send 304).
// A response may be stored when it is a 200 with a non-empty body and
//  - Cache-Control has public and/or max-age>0 / s-maxage>0, and none of no-store, no-cache, private;
//  - no Set-Cookie (a shared cache must not hand one client's cookie to others);
//  - no Vary, or Vary naming Accept-Encoding only, and no Content-Encoding (HTTP.SYS does not cache dynamically
//    compressed responses; an identity body is right for every Accept-Encoding);
// Lifetime: s-maxage, else max-age (an explicit 0 means "do not store"), minus any Age the worker sent; with
// public alone, Expires − Date when present, else `defaultLifetimeMs` (HTTP.SYS's "until invalidated" policy has
// no counterpart without an invalidation API, so w3 caps it at the scavenger period).
import type { IncomingMessage } from 'node:http';

export function requestCacheable(req: IncomingMessage): boolean {
  if (req.method !== 'GET' || req.httpVersionMajor !== 1) return false;
  const url = req.url;
  if (!url || url.indexOf('?') !== -1) return false;
  const h = req.headers;
  return (
    h.authorization === undefined &&
    h.range === undefined &&
    h['if-range'] === undefined &&
    h['if-none-match'] === undefined &&
    h['if-modified-since'] === undefined &&
    h.translate === undefined &&
    h.expect === undefined &&
    h['transfer-encoding'] === undefined &&
    (h['content-length'] === undefined || h['content-length'] === '0')
  );
}

/** Request headers whose presence makes a request uncacheable (requestCacheable's list, lower-case). */
const UNCACHEABLE_IF_PRESENT = new Set([
  'authorization',
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'translate',
  'expect',
  'transfer-encoding',
]);

/** requestCacheable for a head known by its raw headers (the framed transport's scanned head): the same rules. */
export function headCacheable(h: {
  method: string;
  url: string;
  httpVersionMajor: number;
  rawHeaders: readonly string[];
}): boolean {
  if (h.method !== 'GET' || h.httpVersionMajor !== 1) return false;
  if (!h.url || h.url.indexOf('?') !== -1) return false;
  const raw = h.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (UNCACHEABLE_IF_PRESENT.has(name)) return false;
    if (name === 'content-length' && raw[i + 1] !== '0') return false;
  }
  return true;
}

export interface Storable {
  lifetimeMs: number;
  /** Seconds of Age the worker's response already carried. */
  initialAge: number;
  /** Content-Length when the response announced one. */
  contentLength: number | null;
}

/**
 * `headers` is the flat [name, value, ...] list the listener forwards to the client. Returns null when the
 * response must not be stored.
 */
export function responseStorable(
  status: number,
  headers: readonly string[],
  defaultLifetimeMs: number,
): Storable | null {
  if (status !== 200) return null;
  let cc = '';
  let age = 0;
  let contentLength: number | null = null;
  let expires: string | undefined;
  let date: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    const value = headers[i + 1]!;
    switch (name) {
      case 'cache-control':
        cc += (cc ? ',' : '') + value.toLowerCase();
        break;
      case 'set-cookie':
        return null;
      case 'content-encoding':
        if (value.trim().toLowerCase() !== 'identity') return null;
        break;
      case 'vary':
        for (const v of value.split(',')) {
          const t = v.trim().toLowerCase();
          if (t !== '' && t !== 'accept-encoding') return null;
        }
        break;
      case 'age':
        age = Math.max(age, Number.parseInt(value, 10) || 0);
        break;
      case 'content-length':
        contentLength = Number.parseInt(value, 10);
        if (!(contentLength > 0)) return null;
        break;
      case 'expires':
        expires = value;
        break;
      case 'date':
        date = value;
        break;
    }
  }
  if (!cc) return null;
  let isPublic = false;
  let maxAge: number | null = null;
  let sMaxAge: number | null = null;
  for (const part of cc.split(',')) {
    const d = part.trim();
    const eq = d.indexOf('=');
    const key = eq === -1 ? d : d.slice(0, eq).trim();
    if (key === 'no-store' || key === 'no-cache' || key === 'private') return null;
    if (key === 'public') isPublic = true;
    else if (key === 'max-age' || key === 's-maxage') {
      const n = Number.parseInt(
        d
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
        10,
      );
      if (!Number.isFinite(n)) return null;
      if (key === 'max-age') maxAge = n;
      else sMaxAge = n;
    }
  }
  let lifetimeMs: number;
  const explicit = sMaxAge ?? maxAge;
  if (explicit !== null) lifetimeMs = explicit * 1000;
  else if (!isPublic) return null;
  else if (expires !== undefined)
    lifetimeMs = Date.parse(expires) - (date !== undefined ? Date.parse(date) : Date.now());
  else lifetimeMs = defaultLifetimeMs;
  lifetimeMs -= age * 1000;
  if (!(lifetimeMs > 0)) return null;
  return { lifetimeMs, initialAge: age, contentLength };
}

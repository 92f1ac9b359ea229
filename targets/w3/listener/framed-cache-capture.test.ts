// The framed transport's cache capture reads raw response bytes as Node's ServerResponse writes them, in any
// split: Content-Length and chunked bodies are stored with the headers the HTTP transport would store (no
// hop-by-hop, Connection-named or X-W3-Worker-Pid headers; Content-Length added), interim responses are skipped,
// and anything incomplete, oversized or malformed is never stored and returns its reserved bytes.
import { FramedCacheCapture, MAX_HEAD } from './framed-cache-capture';
import { ChunkDecoder } from '../transport/chunk-decoder';
import { ResponseCache } from './response-cache';
import type { CacheConfig } from '../config/types';

const config: CacheConfig = {
  enabled: true,
  frequentHitThreshold: 1,
  frequentHitTimePeriod: 10_000,
  maxResponseSize: 1000,
  maxCacheSize: 0,
  scavengerPeriod: 120_000,
};
const pool = { name: 'app', state: 'Started' };
const KEY = 't\n/a';

const CL_RESPONSE =
  'HTTP/1.1 200 OK\r\nCache-Control: public, max-age=60\r\nX-Secret: s\r\nConnection: keep-alive, X-Secret\r\n' +
  'Keep-Alive: timeout=5\r\nX-W3-Worker-Pid: 42\r\nContent-Length: 5\r\n' +
  'Date: Mon, 30 Nov 2026 14:00:00 GMT\r\n\r\nhello';
const CHUNKED_RESPONSE =
  'HTTP/1.1 200 OK\r\nCache-Control: public, max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n';

/** Feeds `text` split into pieces of `size` bytes; returns the cache and what finish() said. */
function capture(text: string, size: number, over: Partial<CacheConfig> = {}) {
  const cache = new ResponseCache({ ...config, ...over }, Date.now, false);
  const c = new FramedCacheCapture(cache);
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += size) c.push(bytes.subarray(i, i + size));
  const stored = c.finish(KEY, pool);
  return { cache, stored, entry: cache.lookup(KEY) };
}

describe('FramedCacheCapture', () => {
  it.each([1, 2, 7, 1000])('stores a Content-Length response fed in pieces of %i bytes', (size) => {
    const { stored, entry, cache } = capture(CL_RESPONSE, size);
    expect(stored).toBe(true);
    expect(entry?.body.toString()).toBe('hello');
    expect(entry?.headers).toEqual([
      'Cache-Control',
      'public, max-age=60',
      'Content-Length',
      '5',
      'Date',
      'Mon, 30 Nov 2026 14:00:00 GMT',
    ]);
    expect(cache.captureBytes).toBe(0);
  });

  it.each([1, 3, 1000])('stores a chunked response (pieces of %i bytes) with a Content-Length', (size) => {
    const { stored, entry } = capture(CHUNKED_RESPONSE, size);
    expect(stored).toBe(true);
    expect(entry?.body.toString()).toBe('hello');
    expect(entry?.headers).toEqual(['Cache-Control', 'public, max-age=60', 'Content-Length', '5']);
  });

  it('skips an interim response (103) before the final one', () => {
    const { stored, entry } = capture('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + CL_RESPONSE, 5);
    expect(stored).toBe(true);
    expect(entry?.body.toString()).toBe('hello');
  });

  it.each([
    ['a body short of its Content-Length', CL_RESPONSE.slice(0, -1)],
    ['a chunked body without its last chunk', CHUNKED_RESPONSE.slice(0, CHUNKED_RESPONSE.indexOf('0\r\n'))],
    ['bytes past the end of the body', CL_RESPONSE + 'x'],
    ['a malformed chunk size', CHUNKED_RESPONSE.replace('3;ext=1', 'zz')],
    ['no Cache-Control', CL_RESPONSE.replace('Cache-Control: public, max-age=60\r\n', '')],
    ['a private response', CL_RESPONSE.replace('public', 'private')],
    ['a 404', CL_RESPONSE.replace('200 OK', '404 Not Found')],
    ['a head over MAX_HEAD', CL_RESPONSE.replace('X-Secret: s', `X-Big: ${'b'.repeat(MAX_HEAD)}`)],
  ])('does not store %s, and returns what it reserved', (_, text) => {
    const { stored, entry, cache } = capture(text, 4);
    expect(stored).toBe(false);
    expect(entry).toBeNull();
    expect(cache.captureBytes).toBe(0);
  });

  it('gives up on a body over maxResponseSize, and a released capture stores nothing', () => {
    const big = CL_RESPONSE.replace('Content-Length: 5', 'Content-Length: 2000').replace('hello', 'x'.repeat(2000));
    expect(capture(big, 100).stored).toBe(false);
    const cache = new ResponseCache(config, Date.now, false);
    const c = new FramedCacheCapture(cache);
    c.push(Buffer.from(CL_RESPONSE.slice(0, -2)));
    expect(cache.captureBytes).toBe(3);
    c.release();
    expect(cache.captureBytes).toBe(0);
    expect(c.finish(KEY, pool)).toBe(false);
  });
});

describe('ChunkDecoder', () => {
  it('decodes sizes in hex, skips extensions and trailers, and refuses bytes after the end', () => {
    const d = new ChunkDecoder();
    const out: string[] = [];
    const ok = d.push(Buffer.from('A\r\n0123456789\r\n0\r\n\r\n'), 0, (p) => out.push(p.toString()) > 0);
    expect([ok, d.done, out.join('')]).toEqual([true, true, '0123456789']);
    expect(d.push(Buffer.from('x'), 0, () => true)).toBe(false);
  });
});

import type { IncomingMessage } from 'node:http';
import { requestCacheable, headCacheable, responseStorable } from './cache-policy';

const h = (...kv: string[]): string[] => kv;

describe('responseStorable', () => {
  it.each([
    [h('Cache-Control', 'public, max-age=60', 'Content-Length', '5'), 60_000],
    [h('Cache-Control', 'max-age=30'), 30_000],
    [h('Cache-Control', 'public, max-age=60, s-maxage=5'), 5000],
    [h('Cache-Control', 'public'), 120_000], // default lifetime
    [h('Cache-Control', 'public, max-age=60', 'Age', '10'), 50_000],
    [h('Cache-Control', 'public, max-age=60', 'Vary', 'Accept-Encoding'), 60_000],
  ])('%j → lifetime %d ms', (headers, lifetime) => {
    expect(responseStorable(200, headers, 120_000)?.lifetimeMs).toBe(lifetime);
  });

  it.each([
    [h()],
    [h('Cache-Control', 'max-age=0, public')],
    [h('Cache-Control', 'public, no-store')],
    [h('Cache-Control', 'public, max-age=60, no-cache')],
    [h('Cache-Control', 'private, max-age=60')],
    [h('Cache-Control', 'public, max-age=60', 'Set-Cookie', 'a=b')],
    [h('Cache-Control', 'public, max-age=60', 'Vary', 'Cookie')],
    [h('Cache-Control', 'public, max-age=60', 'Vary', '*')],
    [h('Cache-Control', 'public, max-age=60', 'Content-Encoding', 'gzip')],
    [h('Cache-Control', 'public, max-age=60', 'Content-Length', '0')],
    [h('Cache-Control', 'must-revalidate')],
  ])('%j is not stored', (headers) => {
    expect(responseStorable(200, headers, 120_000)).toBeNull();
  });

  it('stores only 200 responses', () => {
    expect(responseStorable(404, h('Cache-Control', 'public, max-age=60'), 1)).toBeNull();
  });
});

describe('requestCacheable', () => {
  const r = (over: Record<string, unknown>): IncomingMessage =>
    ({ method: 'GET', url: '/a', httpVersionMajor: 1, headers: {}, ...over }) as unknown as IncomingMessage;
  it('accepts a plain GET', () => expect(requestCacheable(r({}))).toBe(true));
  it.each([
    [{ method: 'HEAD' }],
    [{ url: '/a?x=1' }],
    [{ httpVersionMajor: 2 }],
    [{ headers: { authorization: 'Basic x' } }],
    [{ headers: { range: 'bytes=0-1' } }],
    [{ headers: { 'if-none-match': '"x"' } }],
    [{ headers: { 'content-length': '3' } }],
    [{ headers: { 'transfer-encoding': 'chunked' } }],
  ])('rejects %j', (over) => expect(requestCacheable(r(over))).toBe(false));
});

describe('headCacheable (the framed transport: raw headers) agrees with requestCacheable', () => {
  const cases: Record<string, unknown>[] = [
    {},
    { method: 'HEAD' },
    { url: '/a?x=1' },
    { httpVersionMajor: 2 },
    { headers: { authorization: 'Basic x' } },
    { headers: { Range: 'bytes=0-1' } },
    { headers: { 'If-Range': 'x' } },
    { headers: { 'if-none-match': '"x"' } },
    { headers: { 'If-Modified-Since': 'x' } },
    { headers: { Translate: 'f' } },
    { headers: { Expect: '100-continue' } },
    { headers: { 'content-length': '3' } },
    { headers: { 'Content-Length': '0' } },
    { headers: { 'transfer-encoding': 'chunked' } },
    { headers: { Accept: '*/*', 'X-Other': '1' } },
  ];
  it.each(cases)('%j', (over) => {
    const headers = (over['headers'] ?? {}) as Record<string, string>;
    const base = { method: 'GET', url: '/a', httpVersionMajor: 1, ...over };
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const msg = { ...base, headers: lower } as unknown as IncomingMessage;
    const scanned = { ...base };
    expect(headCacheable({ ...scanned, rawHeaders: Object.entries(headers).flat() })).toBe(requestCacheable(msg));
  });
});

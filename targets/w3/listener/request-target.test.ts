import { parseTarget, decodePath } from './request-target';
import type { ListenerLimits } from '../config/types';

const limits: ListenerLimits = {
  maxFieldLength: 100,
  maxRequestBytes: 300,
  urlSegmentMaxLength: 10,
  urlSegmentMaxCount: 4,
  maxUrlLength: 120,
  maxConnections: 0,
  appConcurrentRequestLimit: 5000,
};
const path = (url: string, l = limits): string | null => parseTarget(url, l)?.path ?? null;

describe('parseTarget: validation', () => {
  it.each([
    ['/', false],
    ['/a/b/c/d', false],
    ['/a/b/c/d/e', true], // 5 segments > 4
    ['/a//b///c/d/', false], // empty segments do not count
    ['/0123456789', false],
    ['/01234567890', true], // 11 chars > 10
    ['/%41%42', false],
    ['/%4', true], // truncated escape
    ['/%zz', true],
    ['/a%00b', true], // restricted U+0000
    ['/a%1fb', true],
    ['/a%7f', true],
    ['/%c2%85', true], // U+0085 (UTF-8) is restricted
    ['/%e9t%e9', false], // not UTF-8: read as ISO-8859-1, accepted (EnableNonUTF8)
    ['/%u0041', false], // %uNNNN accepted
    ['/%u0001', true],
    ['/caf%c3%a9', false],
    ['/a%2fb%2fc%2fd%2fe', true], // an escaped / separates segments after decoding
    ['/%41%41%41%41%41%41%41%41%41%41', false], // 10 decoded chars
    ['/x?%zz&q=\u0001', false], // the query is not validated
    ['*', false],
    ['http://h/a', false],
    ['nonsense', true],
    ['ftp://h/a', true],
    ['http:///a', true], // no authority
    ['http://u@h/a', true], // userinfo
    ['/a#frag', true],
    ['/%2561dmin', true], // a double escape
    ['/../a', true], // above the root
    ['/a/../../b', true],
  ])('%s → invalid=%s', (url, invalid) => {
    expect(parseTarget(url, limits) === null).toBe(invalid);
  });

  it('treats 0 as "no limit" for segment length and count', () => {
    expect(
      parseTarget('/' + 'a/'.repeat(50) + 'b'.repeat(300), {
        ...limits,
        urlSegmentMaxCount: 0,
        urlSegmentMaxLength: 0,
      }),
    ).not.toBeNull();
  });
});

describe('parseTarget: the canonical path routing matches on', () => {
  it.each([
    ['/admin/x', '/admin/x'],
    ['/x/../admin/secret', '/admin/secret'],
    ['/%61dmin/secret', '/admin/secret'],
    ['/%2e%2e/x', null],
    ['/x/%2e%2e/admin', '/admin'],
    ['/x/..%2fadmin', '/admin'],
    ['/x\\..\\admin\\s', '/admin/s'],
    ['/x/%5c../admin', '/admin'],
    ['//admin/x', '/admin/x'],
    ['/./admin/./x', '/admin/x'],
    ['/admin/', '/admin/'],
    ['/admin/x/..', '/admin/'],
    ['/a/b/..?q=/../x', '/a/'],
    ['/plain?x=%zz', '/plain'],
    ['/caf%C3%A9', '/café'],
  ])('%s → %s', (url, canonical) => {
    expect(path(url)).toBe(canonical);
  });

  it('keeps the target as sent for the worker', () => {
    expect(parseTarget('/x/../admin?q=%20', limits)).toEqual({
      path: '/admin',
      upstream: '/x/../admin?q=%20',
      authority: null,
    });
    expect(parseTarget('http://h:80?q', limits)).toEqual({ path: '/', upstream: '/?q', authority: 'h:80' });
    expect(parseTarget('HTTP://h', limits)).toEqual({ path: '/', upstream: '/', authority: 'h' });
  });

  it('returns the URL itself for a plain path (no allocation on the common path)', () => {
    const url = '/api/v1/items';
    expect(parseTarget(url, limits)!.path).toBe(url);
  });
});

describe('decodePath', () => {
  it('decodes UTF-8 runs, falls back to ISO-8859-1, accepts %u', () => {
    expect(decodePath('/caf%C3%A9')).toBe('/café');
    expect(decodePath('/%E9')).toBe('/é');
    expect(decodePath('/%u20AC')).toBe('/€');
    expect(decodePath('/%G1')).toBeNull();
  });
});

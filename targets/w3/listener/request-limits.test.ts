import type { IncomingMessage } from 'node:http';
import { checkRequestLimits, checkUrl, decodePath, nodeHeaderLimit } from './request-limits';
import type { ListenerLimits } from '../config/types';

const limits: ListenerLimits = { maxFieldLength: 100, maxRequestBytes: 300, urlSegmentMaxLength: 10, urlSegmentMaxCount: 4, maxUrlLength: 120 };

function req(url: string, headers: [string, string][], method = 'GET', version = '1.1'): IncomingMessage {
  return { url, method, rawHeaders: headers.flat(), httpVersionMajor: Number(version[0]), httpVersionMinor: Number(version[2]) } as unknown as IncomingMessage;
}

/** The exact bytes a client sends for `req(...)`. */
function headBytes(url: string, headers: [string, string][], method = 'GET'): number {
  return Buffer.byteLength(`${method} ${url} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
}

describe('checkRequestLimits', () => {
  it('accepts a header of exactly maxFieldLength ("Name: value") and rejects one byte more', () => {
    const v = 'x'.repeat(100 - 'X-Big: '.length);
    expect(checkRequestLimits(req('/', [['Host', 'a'], ['X-Big', v]]), limits)).toBeNull();
    expect(checkRequestLimits(req('/', [['Host', 'a'], ['X-Big', v + 'x']]), limits)?.reason).toBe('FieldLength');
  });

  it('counts the whole head as sent (request line, fields, CRLFs) against maxRequestBytes', () => {
    const base: [string, string][] = [['Host', 'a'], ['X-1', 'y'.repeat(90)], ['X-2', 'y'.repeat(90)]];
    const fill = 300 - headBytes('/', [...base, ['X-3', '']]);
    const exact: [string, string][] = [...base, ['X-3', 'z'.repeat(fill)]];
    expect(headBytes('/', exact)).toBe(300);
    expect(checkRequestLimits(req('/', exact), limits)).toBeNull();
    const over: [string, string][] = [...base, ['X-3', 'z'.repeat(fill + 1)]];
    expect(checkRequestLimits(req('/', over), limits)?.reason).toBe('RequestLength');
  });

  it('checks the URL length first (414), then fields, then the URL itself, then Host', () => {
    expect(checkRequestLimits(req('/' + 'a'.repeat(120), [['Host', 'a']]), limits)?.page).toBe('urlTooLong');
    expect(checkRequestLimits(req('/a%zz', [['Host', 'a']]), limits)?.page).toBe('invalidUrl');
    expect(checkRequestLimits(req('/a', []), limits)?.page).toBe('invalidHostname');
    expect(checkRequestLimits(req('/a', [], 'GET', '1.0'), limits)).toBeNull();
  });

  it("keeps Node's header limit above anything the exact checks accept", () => {
    expect(nodeHeaderLimit(limits)).toBeGreaterThan(limits.maxRequestBytes + limits.maxUrlLength);
  });
});

describe('checkUrl', () => {
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
  ])('%s → invalid=%s', (url, invalid) => {
    expect(checkUrl(url, limits)).toBe(invalid);
  });

  it('treats 0 as "no limit" for segment length and count', () => {
    expect(checkUrl('/' + 'a/'.repeat(50) + 'b'.repeat(300), { ...limits, urlSegmentMaxCount: 0, urlSegmentMaxLength: 0 })).toBe(false);
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

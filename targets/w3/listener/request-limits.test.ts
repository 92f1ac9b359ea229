import type { IncomingMessage } from 'node:http';
import { checkRequest, isViolation, nodeHeaderLimit, parserErrorPage, type LimitViolation } from './request-limits';
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

/** The violation, or null when the head was accepted. */
function checkRequestLimits(r: IncomingMessage, l: ListenerLimits): LimitViolation | null {
  const out = checkRequest(r, l);
  return isViolation(out) ? out : null;
}

function req(url: string, headers: [string, string][], method = 'GET', version = '1.1'): IncomingMessage {
  return {
    url,
    method,
    rawHeaders: headers.flat(),
    httpVersion: version,
    httpVersionMajor: Number(version[0]),
    httpVersionMinor: Number(version[2]),
  } as unknown as IncomingMessage;
}

/** The exact bytes a client sends for `req(...)`. */
function headBytes(url: string, headers: [string, string][], method = 'GET'): number {
  return Buffer.byteLength(`${method} ${url} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
}

describe('checkRequestLimits', () => {
  it('accepts a header of exactly maxFieldLength ("Name: value") and rejects one byte more', () => {
    const v = 'x'.repeat(100 - 'X-Big: '.length);
    expect(
      checkRequestLimits(
        req('/', [
          ['Host', 'a'],
          ['X-Big', v],
        ]),
        limits,
      ),
    ).toBeNull();
    expect(
      checkRequestLimits(
        req('/', [
          ['Host', 'a'],
          ['X-Big', v + 'x'],
        ]),
        limits,
      )?.reason,
    ).toBe('FieldLength');
  });

  it('counts the whole head as sent (request line, fields, CRLFs) against maxRequestBytes', () => {
    const base: [string, string][] = [
      ['Host', 'a'],
      ['X-1', 'y'.repeat(90)],
      ['X-2', 'y'.repeat(90)],
    ];
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

describe('checkRequest: versions, Host and framing', () => {
  it('answers HTTP/2.0 and other unsupported majors 505, HTTP/0.9 400', () => {
    expect(checkRequestLimits(req('/', [['Host', 'a']], 'GET', '2.0'), limits)).toMatchObject({
      page: 'versionNotSupported',
      reason: 'Version_N/S',
    });
    expect(checkRequestLimits(req('/', [], 'GET', '0.9'), limits)).toMatchObject({
      page: 'badRequest',
      reason: 'BadRequest',
    });
  });

  it.each([
    [
      'a duplicate Host',
      [
        ['Host', 'a'],
        ['Host', 'b'],
      ],
    ],
    [
      'the same Host twice',
      [
        ['Host', 'a'],
        ['host', 'a'],
      ],
    ],
    ['a Host with a space', [['Host', 'a b']]],
    ['a Host with a path', [['Host', 'a/b']]],
    ['an empty Host', [['Host', '']]],
    ['userinfo', [['Host', 'u@a']]],
    ['a bad port', [['Host', 'a:8x']]],
  ] as [string, [string, string][]][])('%s → 400 Invalid Hostname', (_what, headers) => {
    expect(checkRequestLimits(req('/', headers), limits)).toMatchObject({
      page: 'invalidHostname',
      reason: 'Hostname',
    });
  });

  it('accepts ordinary hosts, ports and IP literals', () => {
    for (const h of ['a', 'A.example:8080', '127.0.0.1:1', '[::1]:80', '[fe80::1]', 'x-y_z~'])
      expect(checkRequestLimits(req('/', [['Host', h]]), limits)).toBeNull();
  });

  it('routes an absolute-form target by its path, with its authority as the host', () => {
    const out = checkRequest(req('http://Other.example:81/a/../b?q=1', [['Host', 'ignored']]), limits);
    expect(isViolation(out)).toBe(false);
    expect(out).toEqual({
      target: { path: '/b', upstream: '/a/../b?q=1', authority: 'Other.example:81' },
      host: 'Other.example:81',
    });
  });

  it('HTTP/1.0 may omit Host (the host is then unknown, not made up)', () => {
    expect(checkRequest(req('/x', [], 'GET', '1.0'), limits)).toEqual({
      target: { path: '/x', upstream: '/x', authority: null },
      host: undefined,
    });
  });

  it('a Transfer-Encoding other than chunked → 501 (N/I); chunked passes', () => {
    expect(
      checkRequestLimits(
        req(
          '/',
          [
            ['Host', 'a'],
            ['Transfer-Encoding', 'gzip, chunked'],
          ],
          'POST',
        ),
        limits,
      ),
    ).toMatchObject({ page: 'notImplemented', reason: 'N/I' });
    expect(
      checkRequestLimits(
        req(
          '/',
          [
            ['Host', 'a'],
            ['Transfer-Encoding', 'Chunked'],
          ],
          'POST',
        ),
        limits,
      ),
    ).toBeNull();
  });
});

describe('parserErrorPage', () => {
  it('a well-formed version Node cannot parse is 505, a malformed one 400', () => {
    expect(parserErrorPage('HPE_INVALID_VERSION', Buffer.from('GET / HTTP/1.2\r\nHost: a\r\n\r\n')).reason).toBe(
      'Version_N/S',
    );
    expect(parserErrorPage('HPE_INVALID_VERSION', Buffer.from('GET / HTTP/A.B\r\n\r\n')).reason).toBe('BadRequest');
    expect(parserErrorPage('HPE_INVALID_TRANSFER_ENCODING').reason).toBe('N/I');
    expect(parserErrorPage('HPE_INVALID_HEADER_TOKEN').reason).toBe('Header');
  });
});

import { encodeRequest, isIdempotent, RequestEncoder } from './request-spec';

describe('encodeRequest', () => {
  it('writes a GET with Host', () => {
    const e = encodeRequest({ method: 'get', path: '/a?b=1' }, '127.0.0.1:8080');
    expect(e.wire.toString()).toBe('GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n');
    expect(e.idempotent).toBe(true);
    expect(e.noBody).toBe(false);
  });

  it('adds Content-Length for a body and keeps given headers', () => {
    const e = encodeRequest({ method: 'POST', path: '/p', headers: { 'X-A': '1' }, body: 'héllo' }, 'h');
    expect(e.wire.toString()).toBe('POST /p HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 6\r\n\r\nhéllo');
    expect(e.idempotent).toBe(false);
  });

  it('does not duplicate Host', () => {
    const e = encodeRequest({ method: 'HEAD', path: '/', headers: { host: 'x' } }, 'h');
    expect(e.wire.toString()).toBe('HEAD / HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(e.noBody).toBe(true);
  });

  it('rejects header injection and bad paths', () => {
    expect(() => encodeRequest({ method: 'GET', path: 'nope' }, 'h')).toThrow(/path/);
    expect(() => encodeRequest({ method: 'GET', path: '/ x' }, 'h')).toThrow(/path/);
    expect(() => encodeRequest({ method: 'GET', path: '/', headers: { a: 'b\r\nc: d' } }, 'h')).toThrow(/line break/);
    expect(() => encodeRequest({ method: 'G ET', path: '/' }, 'h')).toThrow(/method/);
  });
});

describe('isIdempotent / RequestEncoder', () => {
  it('honours the override', () => {
    expect(isIdempotent({ method: 'POST', path: '/', idempotent: true })).toBe(true);
    expect(isIdempotent({ method: 'PUT', path: '/', idempotent: false })).toBe(false);
  });
  it('encodes a spec object once', () => {
    const enc = new RequestEncoder('h');
    const spec = { method: 'GET', path: '/' };
    expect(enc.encode(spec)).toBe(enc.encode(spec));
  });
});

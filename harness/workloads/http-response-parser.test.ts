import { ResponseParser } from './http-response-parser';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Feeds `text` in pieces of `step` bytes and returns the last status. */
function feed(p: ResponseParser, text: string, step = text.length): string {
  let st = 'more';
  for (let i = 0; i < text.length; i += step) st = p.execute(b(text.slice(i, i + step)));
  return st;
}

describe('ResponseParser', () => {
  const fixed = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-W3-Worker-Pid: 4242\r\n\r\nhello';
  const chunked =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Worker-Pid: 7\r\n\r\n' +
    '5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n';

  it.each([1, 2, 3, 7, 1000])('parses a Content-Length response fed %i bytes at a time', (step) => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, fixed, step)).toBe('complete');
    expect(p.head).toEqual({ status: 200, httpMinor: 1, connectionClose: false, keepAlive: true, workerPid: 4242 });
    expect(p.bytesReceived).toBe(fixed.length);
  });

  it.each([1, 2, 5, 1000])('parses a chunked response with trailers fed %i bytes at a time', (step) => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, chunked, step)).toBe('complete');
    expect(p.head?.workerPid).toBe(7);
  });

  it('is not complete before the last byte', () => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, chunked.slice(0, -1))).toBe('more');
    expect(p.execute(b('\n'))).toBe('complete');
  });

  it('reads Connection: close and HTTP/1.0 keep-alive rules', () => {
    const p = new ResponseParser();
    p.reset(false);
    feed(p, 'HTTP/1.1 503 Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    expect(p.head).toMatchObject({ status: 503, connectionClose: true, keepAlive: false });
    p.reset(false);
    feed(p, 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(p.head).toMatchObject({ httpMinor: 0, keepAlive: false, connectionClose: false });
    p.reset(false);
    feed(p, 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n');
    expect(p.head?.keepAlive).toBe(true);
  });

  it('completes a body delimited by the close only at EOF', () => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, 'HTTP/1.1 200 OK\r\n\r\nsome body')).toBe('more');
    expect(p.head?.keepAlive).toBe(false);
    expect(p.finishOnEof()).toBe('complete');
  });

  it('reports a response cut short at EOF as incomplete', () => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')).toBe('more');
    expect(p.finishOnEof()).toBe('more');
  });

  it('has no body for HEAD, 204 and 304, and skips 100 Continue', () => {
    const p = new ResponseParser();
    p.reset(true);
    expect(feed(p, 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n')).toBe('complete');
    p.reset(false);
    expect(feed(p, 'HTTP/1.1 204 No Content\r\n\r\n')).toBe('complete');
    p.reset(false);
    expect(feed(p, 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', 4)).toBe(
      'complete',
    );
    expect(p.head?.status).toBe(201);
  });

  it('counts bytes after a complete response as extra', () => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, fixed + 'junk')).toBe('complete');
    expect(p.extraBytes).toBe(4);
  });

  it.each([
    ['garbage\r\n\r\n', /bad status line/],
    ['HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', /Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
  ])('rejects %j', (text, why) => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, text)).toBe('error');
    expect(p.error).toMatch(why);
  });

  it('rejects an endless head', () => {
    const p = new ResponseParser();
    p.reset(false);
    expect(feed(p, 'HTTP/1.1 200 OK\r\n' + 'X: y\r\n'.repeat(20000), 4096)).toBe('error');
  });
});

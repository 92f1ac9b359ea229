// The Node ↔ fetch bridge over real sockets: what a handler sees of the request (URL, repeated headers, body,
// abort signal), what the client sees of the Response (status text, each Set-Cookie on its own line, HEAD and
// 204), both bodies streamed, backpressure in both directions, and a body that fails half-way.
import http from 'node:http';
import net from 'node:net';
import { fetchListener } from './fetch-handler';
import { call, serve, until, type Served } from './test-support/serve';

jest.setTimeout(60_000);

let served: Served | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

async function serveFetch(fetch: (r: Request) => unknown): Promise<Served> {
  served = await serve(fetchListener(fetch, 'test handler'));
  return served;
}

test('the handler sees method, URL from the Host header, every header as sent, and the body', async () => {
  let seen: { method: string; url: string; a: string | null; host: string | null; body: string } | null = null;
  const s = await serveFetch(async (r) => {
    seen = { method: r.method, url: r.url, a: r.headers.get('x-a'), host: r.headers.get('host'), body: await r.text() };
    return new Response('ok');
  });
  const reply = await call(s.port, {
    method: 'POST',
    path: '/p/q?x=1&y=%20',
    headers: ['Host', 'example.test:8080', 'X-A', 'one', 'X-A', 'two', 'Content-Type', 'text/plain'],
    body: 'hello body',
  });
  expect(reply.status).toBe(200);
  expect(seen).toEqual({
    method: 'POST',
    url: 'http://example.test:8080/p/q?x=1&y=%20',
    a: 'one, two',
    host: 'example.test:8080',
    body: 'hello body',
  });
});

test('a path that looks like an authority stays a path; a bad Host falls back to localhost', async () => {
  const urls: string[] = [];
  const s = await serveFetch((r) => {
    urls.push(r.url);
    return new Response(null, { status: 204 });
  });
  await call(s.port, { path: '//other.test/x', headers: ['Host', 'site.test'] });
  await call(s.port, { path: '/y', headers: ['Host', 'bad host!'] });
  expect(urls).toEqual(['http://site.test//other.test/x', 'http://localhost/y']);
});

test('status, status text, headers and each Set-Cookie on its own line', async () => {
  const s = await serveFetch(() => {
    const h = new Headers({ 'content-type': 'application/json', 'x-multi': 'a' });
    h.append('x-multi', 'b');
    h.append('set-cookie', 'a=1; Path=/; HttpOnly');
    h.append('set-cookie', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
    return new Response('{"ok":true}', { status: 418, statusText: 'Short And Stout', headers: h });
  });
  const r = await call(s.port);
  expect(r.status).toBe(418);
  expect(r.statusMessage).toBe('Short And Stout');
  expect(r.headers['content-type']).toBe('application/json');
  expect(r.headers['x-multi']).toBe('a, b');
  expect(r.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
  expect(r.body).toBe('{"ok":true}');
});

test('HEAD and 204 answers carry no body and the keep-alive connection stays usable', async () => {
  let cancelled = 0;
  const s = await serveFetch((r) => {
    const body = new ReadableStream({
      pull: (c) => c.enqueue(new TextEncoder().encode('x')),
      cancel: () => void cancelled++,
    });
    // Response refuses a body with 204, so the 204 is a Response-shaped object (another fetch implementation's).
    if (r.url.endsWith('/nc')) return { status: 204, headers: new Headers(), body };
    return new Response(body);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const head = await call(s.port, { method: 'HEAD', agent });
  const nc = await call(s.port, { path: '/nc', agent });
  expect([head.status, head.body, nc.status, nc.body]).toEqual([200, '', 204, '']);
  await until(() => cancelled === 2, 'both unsent bodies cancelled');
  agent.destroy();
});

test('request and response bodies stream: each echoed chunk arrives before the next is sent', async () => {
  const s = await serveFetch((r) => new Response(r.body, { headers: { 'content-type': 'application/octet-stream' } }));
  const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/echo' });
  req.flushHeaders();
  const res = await new Promise<http.IncomingMessage>((resolve) => {
    req.once('response', resolve);
    req.write('chunk-0;'); // the handler answers once it has a body stream; the head may wait for a first chunk
  });
  const got: string[] = [];
  let next: ((s: string) => void) | null = null;
  res.on('data', (c: Buffer) => {
    got.push(c.toString());
    next?.(c.toString());
  });
  await until(() => got.join('') === 'chunk-0;', 'first echo');
  for (let i = 1; i <= 4; i++) {
    const echoed = new Promise<string>((resolve) => (next = resolve));
    req.write(`chunk-${i};`);
    expect(await echoed).toBe(`chunk-${i};`); // the request is still open: the echo cannot be a buffered whole
  }
  const ended = new Promise((resolve) => res.once('end', resolve));
  req.end();
  await ended;
  expect(got.join('')).toBe('chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;');
});

test('request backpressure: the socket is paused while the handler does not read the body', async () => {
  let request: Request | null = null;
  let socketBytes = (): number => 0;
  const s = await serveFetch((r) => {
    request = r;
    return new Promise(() => undefined); // answers later (below)
  });
  s.server.once('request', (req: http.IncomingMessage) => (socketBytes = () => req.socket.bytesRead));
  const total = 32 * 1024 * 1024;
  const client = net.connect(s.port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 97);
  let written = 0;
  const pump = async (): Promise<void> => {
    while (written < total) {
      written += chunk.length;
      if (!client.write(chunk)) await new Promise((r) => client.once('drain', r));
    }
  };
  const pumping = pump();
  await until(() => request !== null, 'the request');
  // The client keeps writing until the kernel buffers are full; the server's Node side must stop reading.
  let last = -1;
  await until(
    () => {
      const now = socketBytes();
      const stable = now === last;
      last = now;
      return stable && written < total;
    },
    'the upload to stall',
    20_000,
  );
  expect(socketBytes()).toBeLessThan(2 * 1024 * 1024);
  // Reading the body resumes the socket and delivers every byte.
  const buf = await request!.arrayBuffer();
  expect(buf.byteLength).toBe(total);
  await pumping;
  client.destroy();
});

test('response backpressure: a producer is pulled only as fast as a slow client reads', async () => {
  let produced = 0;
  const limit = 256 * 1024 * 1024;
  const s = await serveFetch(() => {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= limit) return c.close();
        produced += 64 * 1024;
        c.enqueue(new Uint8Array(64 * 1024));
      },
    });
    return new Response(body);
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get({ host: '127.0.0.1', port: s.port, path: '/' }, resolve).on('error', reject),
  );
  res.pause();
  let last = -1;
  await until(
    () => {
      const stable = produced === last;
      last = produced;
      return stable;
    },
    'the producer to stall',
    20_000,
  );
  expect(produced).toBeLessThan(32 * 1024 * 1024); // socket buffers only, not the 256 MB the producer would make
  res.destroy();
});

test('a client that leaves aborts the request signal and cancels the response body', async () => {
  let aborted = false;
  let cancelled = false;
  let started = false;
  const s = await serveFetch((r) => {
    r.signal.addEventListener('abort', () => (aborted = true));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        started = true;
        c.enqueue(new TextEncoder().encode('first\n'));
      },
      pull: () => new Promise(() => undefined), // never produces more
      cancel: () => void (cancelled = true),
    });
    return new Response(body);
  });
  const res = await new Promise<http.IncomingMessage>((resolve) =>
    http.get({ host: '127.0.0.1', port: s.port }, resolve),
  );
  await new Promise((r) => res.once('data', r));
  expect(started).toBe(true);
  res.destroy();
  await until(() => aborted && cancelled, 'abort signal and body cancel');
});

test('a body that fails after the head truncates the response instead of ending it cleanly', async () => {
  const s = await serveFetch(() => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ === 0) c.enqueue(new TextEncoder().encode('partial'));
        else c.error(new Error('backend went away'));
      },
    });
    return new Response(body);
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const outcome = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: s.port }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve('clean end'));
          res.on('error', (e) => resolve(`error: ${e.message}`));
          res.on('aborted', () => resolve('aborted'));
        })
        .on('error', (e) => resolve(`error: ${e.message}`));
    });
    expect(outcome).not.toBe('clean end');
  } finally {
    stderr.mockRestore();
  }
});

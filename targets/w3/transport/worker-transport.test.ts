import http from 'node:http';
import type net from 'node:net';
import { WorkerTransport, framedClientError } from './worker-transport';
import { framedResponseClass } from './worker-response';
import { adoptFramedRequest } from './framed-request';
import { FrameType } from './frame-codec';
import { VirtualSocket } from './virtual-socket';
import { FramePeer, tempSocketPath } from './test-support/frame-peer';

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;

describe('worker transport: a real http.Server behind frames', () => {
  let server: http.Server;
  let frameServer: net.Server;
  let transport: WorkerTransport;
  let peer: FramePeer;
  let sock: { path: string; cleanup(): void };
  let handler: http.RequestListener;
  const errors: Error[] = [];

  beforeEach(async () => {
    handler = (req, res) => {
      const s = req.socket as unknown as VirtualSocket;
      adoptFramedRequest(req, s, true);
      res.setHeader('Content-Type', 'text/plain');
      const xff = String(req.headers['x-forwarded-for']);
      res.end(`${req.method} ${req.url} from ${s.remoteAddress}:${s.remotePort} xff=${xff}`);
    };
    server = http.createServer(
      { ServerResponse: framedResponseClass(4242), keepAliveTimeout: 0 } as http.ServerOptions,
      (req, res) => handler(req, res),
    );
    server.on('clientError', framedClientError);
    transport = new WorkerTransport(server, { onError: (e) => errors.push(e) });
    frameServer = transport.createServer();
    sock = tempSocketPath();
    await new Promise<void>((r) => frameServer.listen(sock.path, r));
    peer = await FramePeer.connect(sock.path);
  });

  afterEach(async () => {
    peer.close();
    await new Promise<void>((r) => frameServer.close(() => r()));
    server.close();
    sock.cleanup();
    errors.length = 0;
  });

  it('answers with the client address from OPEN, X-W3-Worker-Pid, and RESP_END after the last byte', async () => {
    peer.open(1);
    peer.send(FrameType.DATA, 1, GET('/a'));
    await peer.until(() => peer.types(1).includes(FrameType.RESP_END));
    const out = peer.streams.get(1)!.data();
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out).toContain('X-W3-Worker-Pid: 4242\r\n');
    expect(out).toContain('GET /a from 203.0.113.7:40000 xff=203.0.113.7');
    // No Keep-Alive timer is advertised: the listener owns the connection's timers.
    expect(out).not.toMatch(/keep-alive: timeout/i);
    expect(peer.types(1).at(-1)).toBe(FrameType.RESP_END);
  });

  it('announces a response with Cache-Control by RESP_CACHE before its first byte, also when pipelined', async () => {
    handler = (req, res) => {
      if (req.url!.startsWith('/cached')) res.setHeader('Cache-Control', 'public, max-age=60');
      res.end(`body of ${req.url}`);
    };
    peer.open(1);
    peer.send(FrameType.DATA, 1, GET('/plain') + GET('/cached') + GET('/cached-again') + GET('/plain2'));
    await peer.until(() => peer.types(1).filter((t) => t === FrameType.RESP_END).length === 4);
    // Per response: its frames from the first DATA (or RESP_CACHE) to its RESP_END.
    const responses: number[][] = [[]];
    for (const t of peer.types(1)) {
      responses.at(-1)!.push(t);
      if (t === FrameType.RESP_END) responses.push([]);
    }
    const announced = responses.slice(0, 4).map((r) => r.includes(FrameType.RESP_CACHE));
    expect(announced).toEqual([false, true, true, false]);
    for (const r of responses.slice(1, 3)) expect(r.indexOf(FrameType.RESP_CACHE)).toBe(0);
  });

  it('answers pipelined requests in order, one RESP_END each, and a request split at every byte', async () => {
    peer.open(1);
    peer.send(FrameType.DATA, 1, GET('/one') + GET('/two') + GET('/three'));
    await peer.until(() => peer.types(1).filter((t) => t === FrameType.RESP_END).length === 3);
    const out = peer.streams.get(1)!.data();
    expect([...out.matchAll(/GET (\/\w+) from/g)].map((m) => m[1])).toEqual(['/one', '/two', '/three']);
    peer.open(2);
    for (const ch of GET('/split')) peer.send(FrameType.DATA, 2, ch);
    await peer.until(() => peer.types(2).includes(FrameType.RESP_END));
    expect(peer.streams.get(2)!.data()).toContain('GET /split from');
  });

  it('closes the stream after Connection: close (FIN after the response), and after an HTTP/1.0 request', async () => {
    peer.open(1);
    peer.send(FrameType.DATA, 1, GET('/c', 'Connection: close\r\n') + GET('/never'));
    await peer.until(() => peer.types(1).includes(FrameType.RST));
    const types = peer.types(1);
    expect(types.indexOf(FrameType.RESP_END)).toBeLessThan(types.indexOf(FrameType.FIN));
    expect(peer.streams.get(1)!.data()).not.toContain('/never');
    expect(transport.streams).toBe(0);
    peer.open(2);
    peer.send(FrameType.DATA, 2, 'GET /old HTTP/1.0\r\n\r\n');
    await peer.until(() => peer.types(2).includes(FrameType.FIN));
    // No Host from the client: the listener's address is the Host, as on the HTTP transport.
    expect(peer.streams.get(2)!.data()).toContain('GET /old from');
  });

  it('destroys the virtual socket on RST from the listener: the application sees the request abort', async () => {
    let closed!: () => void;
    const aborted = new Promise<void>((r) => (closed = r));
    handler = (req) => req.on('close', closed); // never answers
    peer.open(5);
    peer.send(FrameType.DATA, 5, 'POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345');
    await new Promise((r) => setTimeout(r, 50));
    peer.send(FrameType.RST, 5);
    await aborted;
    expect(transport.streams).toBe(0);
  });

  it('asks the listener to PAUSE a stream whose body the application does not read, RESUME when it does', async () => {
    let release!: () => void;
    const reading = new Promise<void>((r) => (release = r));
    handler = (req, res) => {
      void reading.then(() => {
        req.resume();
        req.on('end', () => res.end('read'));
      });
    };
    peer.open(1);
    const size = 8 * 1024 * 1024;
    peer.send(FrameType.DATA, 1, `POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let sent = 0; sent < size; sent += chunk.length) peer.send(FrameType.DATA, 1, chunk);
    await peer.until(() => peer.types(1).includes(FrameType.PAUSE), 10_000, 'PAUSE');
    release();
    await peer.until(() => peer.types(1).includes(FrameType.RESP_END), 20_000, 'the response');
    const types = peer.types(1);
    expect(types.indexOf(FrameType.RESUME)).toBeGreaterThan(types.indexOf(FrameType.PAUSE));
  });

  it('holds response writes while the listener has the stream PAUSEd (the application sees backpressure)', async () => {
    let drained = 0;
    let blocked = false;
    const big = Buffer.alloc(1024 * 1024, 0x62);
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Length': String(big.length * 20) });
      let n = 0;
      const pump = (): void => {
        while (n < 20) {
          n++;
          if (!res.write(big)) {
            blocked = true;
            res.once('drain', () => {
              drained++;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    };
    peer.open(1);
    peer.send(FrameType.PAUSE, 1);
    peer.send(FrameType.DATA, 1, GET('/stream'));
    await peer.until(() => blocked && peer.streams.has(1), 10_000, 'backpressure');
    await new Promise((r) => setTimeout(r, 100));
    const heldBytes = peer.streams.get(1)!.data().length;
    expect(heldBytes).toBeLessThan(big.length * 3);
    peer.send(FrameType.RESUME, 1);
    await peer.until(() => peer.types(1).includes(FrameType.RESP_END), 20_000, 'the response');
    expect(peer.streams.get(1)!.data().length).toBeGreaterThan(big.length * 20);
    expect(drained).toBeGreaterThan(0);
  });

  it('drops the whole connection on a malformed frame; its streams end, the application sees them close', async () => {
    let closed!: () => void;
    const aborted = new Promise<void>((r) => (closed = r));
    handler = (req) => req.on('close', closed);
    peer.open(1);
    peer.send(FrameType.DATA, 1, GET('/held'));
    await new Promise((r) => setTimeout(r, 50));
    peer.raw(Buffer.from('HTTP garbage, not frames'));
    await peer.until(() => peer.closed, 10_000, 'the connection to close');
    await aborted;
    expect(errors[0]).toMatchObject({ code: 'W3_ERR_FRAME' });
    expect(transport.streams).toBe(0);
  });

  it('answers a malformed request with a 400 and closes the stream, like a bare Node server', async () => {
    peer.open(1);
    peer.send(FrameType.DATA, 1, 'GET / HTTP/1.1\r\nHost : x\r\n\r\n');
    await peer.until(() => peer.types(1).includes(FrameType.RST));
    expect(peer.streams.get(1)!.data()).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });
});

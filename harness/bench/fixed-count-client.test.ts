import http from 'node:http';
import type net from 'node:net';
import { announcedLength, FixedCountClient, FixedCountClientError } from './fixed-count-client';

describe('FixedCountClient', () => {
  let server: http.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  let served = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      served++;
      res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Length': 5 });
      res.end('hello');
    });
    server.on('connection', (s: net.Socket) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends exactly the requests asked for, twice, over the connections it opened once', async () => {
    const before = served;
    const c = await FixedCountClient.open(port, 4);
    try {
      const a = await c.run(100, 10_000);
      const b = await c.run(37, 10_000);
      expect(a).toMatchObject({ responses: 100, non200: 0 });
      expect(b).toMatchObject({ responses: 37, non200: 0 });
      expect(served - before).toBe(137);
      expect(sockets.size).toBe(4);
    } finally {
      c.close();
    }
  });

  it('fails the run when the server closes a connection', async () => {
    const c = await FixedCountClient.open(port, 1);
    try {
      const run = c.run(1_000_000, 10_000);
      setTimeout(() => server.closeAllConnections(), 50);
      await expect(run).rejects.toThrow(FixedCountClientError);
    } finally {
      c.close();
    }
  });

  it('reads the announced body length and refuses chunked responses', () => {
    expect(announcedLength('HTTP/1.1 200 OK\r\nContent-Length: 12')).toBe(12);
    expect(announcedLength('HTTP/1.1 204 No Content\r\nX: y')).toBe(0);
    expect(() => announcedLength('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked')).toThrow(FixedCountClientError);
  });
});

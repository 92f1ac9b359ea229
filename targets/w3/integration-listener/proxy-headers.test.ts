// Proxy hygiene: headers a request's Connection names never reach the worker; X-Forwarded-For / -Proto and
// Forwarded tell the application who the client is, and a client's own are dropped unless it is a trusted proxy;
// a module application reads the client address as req.socket.remoteAddress; WebSocket upgrades pass through to
// the routed pool (a real `ws` client and server) and an upgraded connection ends with its worker.
import net from 'node:net';
import WebSocket from 'ws';
import { exchange } from './test-support/raw-client';
import { startEchoServer, type EchoServer } from './test-support/echo-server';

jest.setTimeout(60_000);

interface Echoed {
  pool: string;
  headers: Record<string, string>;
  remoteAddress: string;
  remotePort: number;
}

/** A GET from a chosen loopback address (127.0.0.2 is trusted below, 127.0.0.1 is not). */
async function getFrom(port: number, localAddress: string, headers: string): Promise<Echoed & { clientPort: number }> {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
  const clientPort = s.localPort!;
  s.write(`GET /who HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${headers}\r\n`);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => s.once('close', resolve));
  const text = Buffer.concat(chunks).toString();
  return { ...(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Echoed), clientPort };
}

describe('proxy headers', () => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer({ forwarding: { trustedProxies: ['127.0.0.2/32'] } }, { WS_ECHO: '1' });
  });
  afterAll(async () => server?.stop());

  it('strips hop-by-hop headers and the ones Connection names before the worker', async () => {
    const r = await exchange(
      server.port,
      'GET /x HTTP/1.1\r\nHost: t\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nX-End: kept\r\n\r\n',
    );
    const e = JSON.parse(r.body.toString()) as Echoed;
    expect(e.headers['x-hop']).toBeUndefined();
    expect(e.headers['keep-alive']).toBeUndefined();
    expect(e.headers['x-end']).toBe('kept');
  });

  it("an untrusted client's forwarding headers are replaced; the app sees the real client address", async () => {
    const e = await getFrom(
      server.port,
      '127.0.0.1',
      'X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-W3-Client-Address: 6.6.6.6\r\n',
    );
    expect(e.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(e.headers['x-forwarded-proto']).toBe('http');
    expect(e.headers['forwarded']).toBe('for=127.0.0.1;proto=http;host=t');
    expect(e.headers['x-real-ip']).toBeUndefined();
    expect(e.headers['x-w3-client-address']).toBeUndefined(); // taken out by the worker
    expect(e.headers['x-w3-application']).toBeUndefined();
    expect(e.remoteAddress).toBe('127.0.0.1');
    expect(e.remotePort).toBe(e.clientPort);
  });

  it("a trusted proxy's forwarding headers are kept and extended", async () => {
    const e = await getFrom(server.port, '127.0.0.2', 'X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-Proto: https\r\n');
    expect(e.headers['x-forwarded-for']).toBe('198.51.100.1, 127.0.0.2');
    expect(e.headers['x-forwarded-proto']).toBe('https');
    expect(e.remoteAddress).toBe('127.0.0.2');
  });

  it('passes WebSocket upgrades through to the routed pool, both ways', async () => {
    for (const [path, pool] of [
      ['/chat', 'main'],
      ['/ADMIN/chat', 'adm'],
    ]) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
      const messages: string[] = [];
      ws.on('message', (m: Buffer) => messages.push(m.toString()));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send('ping');
      await waitFor(() => messages.length >= 2);
      expect(messages).toEqual([`hello from ${pool} 127.0.0.1`, `${pool}: ping`]);
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
    }
  });

  it('an upgraded connection lives and dies with its worker (and counts as in flight meanwhile)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/long`);
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const listener = await server.admin.request<{ inFlight: number }>('GET', '/listener');
    expect(listener.inFlight).toBe(1);
    const pools = await server.admin.request<{ name: string; workers: { pid: number }[] }[]>('GET', '/pools');
    const pid = pools.find((p) => p.name === 'main')!.workers[0]!.pid;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    process.kill(pid, 'SIGKILL');
    expect(await closed).toBe(1006); // abnormal closure: the worker is gone
    await waitFor(async () => (await server.admin.request<{ inFlight: number }>('GET', '/listener')).inFlight === 0);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A remote client cannot take the server down. The reviewers' repros, in loops of 40 concurrent senders:
//  - a duplicate Host (once a 502 that parked one pooled upstream connection for good: host fds → the limit);
//  - a malformed chunked body, sent whole, so the parse error comes before the worker connection exists;
//  - a client that resets mid-body or right after its head (the abort was lost before undici's onConnect).
// Each must end with nothing in flight and the host's and workers' descriptors back at their baseline, while a
// healthy keep-alive client gets 200 throughout.
import http from 'node:http';
import net from 'node:net';
import { loadLoop, type Reply } from '../test-support/server';
import { exchange, readHttpErr } from './test-support/raw-client';
import { startEchoServer, resources, expectSettled, type EchoServer, type Resources } from './test-support/echo-server';

jest.setTimeout(120_000);

const SENDERS = 40;
const ROUNDS = 10;

/** Sends `bytes` on a fresh connection; resolves with what came back once the server closed or `ms` passed. */
function send(port: number, bytes: string, opts: { resetAfterMs?: number; ms?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const finish = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(got);
    };
    const t = setTimeout(finish, opts.ms ?? 10_000);
    s.on('connect', () => {
      s.write(bytes);
      if (opts.resetAfterMs !== undefined) setTimeout(() => (s.resetAndDestroy(), finish()), opts.resetAfterMs);
    });
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('close', finish);
    s.on('error', finish);
  });
}

async function loop(port: number, bytes: string, opts: { resetAfterMs?: number } = {}): Promise<string[]> {
  const out: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    out.push(...(await Promise.all(Array.from({ length: SENDERS }, () => send(port, bytes, opts)))));
  }
  return out;
}

describe('a remote client cannot take the server down', () => {
  let server: EchoServer;
  let baseline: Resources;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  // A healthy keep-alive client runs during each test (stopped before the accounting, whose in-flight count it
  // would otherwise be part of).
  const healthyResults: (Reply | Error)[] = [];
  let healthy: { results: (Reply | Error)[]; stop: () => Promise<void> } | null = null;

  beforeAll(async () => {
    server = await startEchoServer({ timers: { connectionTimeout: '3s' } });
    // Warm the worker connection pools to the senders' concurrency, so the baseline holds them.
    await Promise.all(
      Array.from({ length: SENDERS }, (_, i) =>
        exchange(server.port, `GET /warm/${i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`),
      ),
    );
    await Promise.all(
      Array.from({ length: SENDERS }, (_, i) =>
        exchange(server.port, `GET /admin/warm/${i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`),
      ),
    );
    baseline = await expectSettled(server, await resources(server), 1000);
  });
  afterAll(async () => {
    await healthy?.stop();
    agent.destroy();
    await server?.stop();
  });

  beforeEach(() => {
    healthy = loadLoop(server.url, agent, 2, '/healthy');
  });
  afterEach(async () => {
    await healthy?.stop();
    healthyResults.push(...healthy!.results);
    healthy = null;
    await expectSettled(server, baseline);
  });

  it('a duplicate Host is 400 Invalid Hostname before any dispatch, and parks nothing', async () => {
    const replies = await loop(server.port, 'GET /dup HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    expect(replies.every((r) => r.startsWith('HTTP/1.1 400 Bad Request') && r.includes('Invalid Hostname'))).toBe(true);
    expect(server.recorded().filter((r) => r.url === '/dup')).toEqual([]);
  });

  it('a malformed chunked body sent at once gets a 400 and leaves nothing in flight', async () => {
    const replies = await loop(
      server.port,
      'POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    );
    expect(replies.every((r) => r === '' || r.startsWith('HTTP/1.1 400 Bad Request'))).toBe(true);
    expect(replies.filter((r) => r.startsWith('HTTP/1.1 400')).length).toBeGreaterThan(ROUNDS * SENDERS * 0.9);
  });

  it('clients that reset mid-body or right after the head leave nothing in flight', async () => {
    await loop(server.port, 'POST /admin/upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\npartial', {
      resetAfterMs: 5,
    });
    await loop(server.port, 'GET /reset HTTP/1.1\r\nHost: t\r\n\r\n', { resetAfterMs: 0 });
  });

  it('the healthy client got 200 throughout, and each rejection has its one HTTPERR line', async () => {
    const results = healthyResults;
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((r) => r instanceof Error || r.status !== 200)).toEqual([]);
    const lines = readHttpErr(server).lines;
    expect(lines.filter((l) => l.uri === '/dup')).toHaveLength(ROUNDS * SENDERS);
    expect(lines.filter((l) => l.uri === '/dup').every((l) => l.reason === 'Hostname')).toBe(true);
  });
});

describe('resets before the worker connection, then recycles', () => {
  // The reviewers' repro: five such resets and then five recycles with a 3 s shutdownTimeLimit stopped the pool.
  // Each leaked request kept its old worker draining until the limit killed it, and each kill counted toward
  // rapid-fail protection (5 by default).
  let server: EchoServer;
  afterAll(async () => server?.stop());

  it('the recycles complete without a kill at shutdownTimeLimit; the pool stays Started', async () => {
    const processModel = { shutdownTimeLimit: '3s' };
    server = await startEchoServer({
      pools: [
        { name: 'main', startMode: 'AlwaysRunning', processModel },
        { name: 'adm', startMode: 'AlwaysRunning', processModel },
      ],
    });
    for (let i = 0; i < 5; i++) {
      await send(server.port, 'POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\npartial', {
        resetAfterMs: 5,
      });
      await send(server.port, 'GET /reset HTTP/1.1\r\nHost: t\r\n\r\n', { resetAfterMs: 0 });
      await send(server.port, 'POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    }
    const from = server.events.length;
    for (let i = 0; i < 5; i++) {
      const { recycleIds } = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/main/recycle');
      // Generous for a loaded machine: the replacement must start before the old worker drains.
      await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === recycleIds[0], 60_000, from);
    }
    const after = server.events.slice(from);
    expect(after.filter((e) => ['ShutdownTimeout', 'RapidFailCount', 'PoolStopped'].includes(e.type))).toEqual([]);
    const pools = await server.admin.request<{ name: string; state: string }[]>('GET', '/pools');
    expect(pools.find((p) => p.name === 'main')?.state).toBe('Started');
    expect((await exchange(server.port, 'GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')).status).toBe(
      200,
    );
  });
});

// Slow clients and exhaustion: 1,000 slowloris sockets (one header byte every 300 ms, never finishing the head)
// are all cut by the header-wait timer (2 s here), each with one Timer_HeaderWait line, while a healthy keep-alive
// client keeps getting 200; afterwards nothing is in flight and the descriptors are back to baseline. (What new
// clients get at maxConnections is in integration-listener/admission.test.ts; the healthy client's latency under
// this attack is a bench figure, printed here, not asserted.)
import http from 'node:http';
import net from 'node:net';
import { loadLoop } from '../test-support/server';
import { readHttpErr } from '../integration-listener/test-support/raw-client';
import {
  startEchoServer,
  resources,
  expectSettled,
  type EchoServer,
} from '../integration-listener/test-support/echo-server';

jest.setTimeout(180_000);

const SOCKETS = 1000;
const HEADER_WAIT_MS = 2000;

describe('slowloris', () => {
  let server: EchoServer;
  afterAll(async () => server?.stop());

  it(`cuts ${SOCKETS} slowloris sockets at the header-wait timer while a healthy client is served`, async () => {
    server = await startEchoServer({ timers: { headerWaitTimeout: HEADER_WAIT_MS, connectionTimeout: '60s' } });
    const baseline = await resources(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const healthy = loadLoop(server.url, agent, 2, '/healthy');
    const cutAfter: number[] = [];
    const sockets: net.Socket[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < SOCKETS; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      sockets.push(s);
      all.push(
        new Promise<void>((resolve) => {
          let openedAt = 0;
          let dribble: NodeJS.Timeout | null = null;
          s.once('connect', () => {
            openedAt = Date.now();
            s.write('GET /slow-head HTTP/1.1\r\nHost: t\r\n');
            dribble = setInterval(() => s.writable && s.write('X'), 300);
          });
          s.on('error', () => undefined);
          s.once('close', () => {
            if (dribble) clearInterval(dribble);
            cutAfter.push(Date.now() - openedAt);
            resolve();
          });
        }),
      );
    }
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(all), new Promise((r) => (bound = setTimeout(r, HEADER_WAIT_MS * 30)))]);
    clearTimeout(bound); // a 60 s timer left running kept the Jest worker alive after its last test
    for (const s of sockets) s.destroy();
    await healthy.stop();
    agent.destroy();
    expect(cutAfter).toHaveLength(SOCKETS);
    const sorted = [...cutAfter].sort((a, b) => a - b);
    const ok = healthy.results.filter((r) => !(r instanceof Error) && r.status === 200).length;
    const latencies = healthy.results.map((r) => (r instanceof Error ? Infinity : 0));
    console.log(
      `slowloris: ${SOCKETS} sockets cut after ${sorted[0]}–${sorted[sorted.length - 1]} ms ` +
        `(timer ${HEADER_WAIT_MS} ms); ` +
        `healthy client ${ok}/${healthy.results.length} × 200 meanwhile (${latencies.length} requests)`,
    );
    // Never before the timer (less the parser's check interval rounding), all eventually.
    expect(sorted[0]).toBeGreaterThanOrEqual(HEADER_WAIT_MS - 100);
    expect(healthy.results.length).toBeGreaterThan(10);
    expect(healthy.results.filter((r) => r instanceof Error || r.status !== 200)).toEqual([]);
    await expectSettled(server, baseline, 10, 30_000);
    const lines = readHttpErr(server).lines.filter((l) => l.reason === 'Timer_HeaderWait');
    expect(lines).toHaveLength(SOCKETS);
  });
});

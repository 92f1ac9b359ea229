// The seeded HTTP fuzzer against a two-pool w3 whose apps record what they receive (W3_FUZZ_SEED, W3_FUZZ_CASES).
// Every case runs on its own connection from its own loopback address (127.2.x.y), so its HTTPERR lines are known
// by c-ip. Asserted over all cases, while a healthy keep-alive client runs beside them:
//  - the host never dies and answers /health afterwards;
//  - no connection outlives its timers (header and body timers 500 ms, idle 3 s; closed by the server within 10 s);
//  - nothing is smuggled (no `/smuggled` request hidden in an ambiguous body ever runs);
//  - no request reaches the wrong pool (path spellings of /admin reach `adm`, others never do);
//  - the pipelined marker never runs after an error response or a cut connection;
//  - every rejection has exactly one HTTPERR line, and an answered case none;
//  - the healthy client gets 200 throughout; in-flight back to 0 and descriptors back to baseline afterwards.
import http from 'node:http';
import net from 'node:net';
import { loadLoop, type Reply } from '../test-support/server';
import { readHttpErr, type HttpErrLine } from '../integration-listener/test-support/raw-client';
import {
  startEchoServer,
  resources,
  expectSettled,
  type EchoServer,
} from '../integration-listener/test-support/echo-server';
import { generateCases, type FuzzCase } from './fuzz-cases';

const SEED = Number(process.env['W3_FUZZ_SEED'] ?? 20261130);
const COUNT = Number(process.env['W3_FUZZ_CASES'] ?? 12_000);
const CONCURRENCY = 100;
const CASE_DEADLINE_MS = 10_000;
const TIMER = 500;

jest.setTimeout(600_000);

interface Outcome {
  c: FuzzCase;
  address: string;
  statuses: number[];
  /** An HTTP.SYS page (the listener's own response) was received. */
  page: number | null;
  closedByServer: boolean;
  ms: number;
}

function addressOf(id: number): string {
  return `127.2.${1 + Math.floor(id / 250)}.${1 + (id % 250)}`;
}

/** Response status lines in order, and whether one was an HTTP.SYS page. */
function parseResponses(buf: string): { statuses: number[]; page: number | null } {
  const statuses: number[] = [];
  let page: number | null = null;
  const re = /HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(buf)) !== null) {
    const status = Number(m[1]);
    if (status < 200) continue; // 100 Continue: interim, not an answer
    statuses.push(status);
    if (/^Server: Microsoft-HTTPAPI\/2\.0$/im.test(m[2]!)) page ??= status;
    const cl = /^Content-Length: (\d+)$/im.exec(m[2]!);
    if (cl) re.lastIndex += Number(cl[1]);
  }
  return { statuses, page };
}

function runCase(port: number, c: FuzzCase): Promise<Outcome> {
  const address = addressOf(c.id);
  const started = Date.now();
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: c.cls === 'warm' ? undefined : address });
    const chunks: Buffer[] = [];
    let serverClosed = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const { statuses, page } = parseResponses(Buffer.concat(chunks).toString('latin1'));
      resolve({ c, address, statuses, page, closedByServer: serverClosed, ms: Date.now() - started });
    };
    const timer = setTimeout(finish, CASE_DEADLINE_MS);
    s.on('connect', () => s.write(c.bytes));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => ((serverClosed = true), finish()));
    s.on('error', () => ((serverClosed = true), finish()));
    s.on('close', () => ((serverClosed = true), finish()));
  });
}

describe('seeded HTTP fuzzer', () => {
  let server: EchoServer;
  const outcomes: Outcome[] = [];
  const healthyAgent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  let healthy: (Reply | Error)[] = [];
  let byAddress = new Map<string, HttpErrLine[]>();
  let recorded: ReturnType<EchoServer['recorded']> = [];

  beforeAll(async () => {
    server = await startEchoServer({
      // The idle timer is longer than the others: a keep-alive client reusing a connection the timer is closing
      // at that instant is the ordinary keep-alive race, not a robustness failure.
      timers: {
        connectionTimeout: '3s',
        headerWaitTimeout: TIMER,
        entityBodyTimeout: TIMER,
        requestQueueTimeout: '5s',
      },
    });
    // The worker connection pools grow to the peak concurrency (at most maxConcurrentRequestsPerWorker, 100) and
    // keep idle connections: warm them to it first, so the baseline holds them and only a leak shows. Each warm
    // request lasts 3 s so that all of them overlap even when a loaded machine is slow to open 102 sockets.
    await warm(server.port, ['/w/slow?ms=3000', '/admin/slow?ms=3000'], CONCURRENCY + 2);
    const baseline = await resources(server);
    const loop = loadLoop(server.url, healthyAgent, 2, '/healthy');
    const cases = generateCases(SEED, COUNT);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) outcomes.push(await runCase(server.port, cases[next++]!));
      }),
    );
    await loop.stop();
    healthy = loop.results;
    healthyAgent.destroy();
    await expectSettled(server, baseline, 10, 30_000);
    const health = await server.admin.request<{ status: string }>('GET', '/health');
    expect(health.status).toBe('ok');
    expect(server.proc.exitCode).toBeNull();
    recorded = server.recorded();
    // Stopping the host flushes the HTTPERR file; its lines are then complete (stop() then removes the folder).
    const exited = new Promise((resolve) => server.proc.once('exit', resolve));
    server.proc.kill('SIGTERM');
    await exited;
    const httpErr = readHttpErr(server).lines;
    await server.stop();
    byAddress = new Map();
    for (const l of httpErr) {
      const list = byAddress.get(l.clientIp) ?? [];
      list.push(l);
      byAddress.set(l.clientIp, list);
    }
    printSummary(outcomes, byAddress);
  });

  const recordedAtEnd = () => recorded;

  it(`ran ${COUNT} cases (seed ${SEED}) and the host survived`, () => {
    expect(outcomes).toHaveLength(COUNT);
  });

  it('no connection outlived its timers', () => {
    const hung = outcomes
      .filter((o) => !o.closedByServer)
      .map((o) => ({ id: o.c.id, cls: o.c.cls, bytes: o.c.bytes.toString('latin1').slice(0, 120) }));
    expect(hung).toEqual([]);
  });

  it('nothing was smuggled', () => {
    expect(recordedAtEnd().filter((r) => r.url.includes('smuggled'))).toEqual([]);
  });

  it('no request reached the wrong pool', () => {
    const expected = new Map(outcomes.filter((o) => o.c.expectPool).map((o) => [String(o.c.id), o.c.expectPool!]));
    const wrong = recordedAtEnd().filter(
      (r) => r.case !== undefined && expected.has(r.case) && expected.get(r.case) !== r.pool,
    );
    expect(wrong).toEqual([]);
  });

  it('the marker never ran after an error response or a cut connection', () => {
    const ran = new Set(
      recordedAtEnd()
        .filter((r) => r.marker !== undefined)
        .map((r) => r.marker!),
    );
    const bad = outcomes.filter(
      (o) => (o.page !== null || o.statuses.some((s) => s !== 200)) && ran.has(String(o.c.id)),
    );
    expect(bad.map((o) => ({ id: o.c.id, cls: o.c.cls, statuses: o.statuses }))).toEqual([]);
  });

  it('every rejection has exactly one HTTPERR line; an answered case none', () => {
    const wrong: unknown[] = [];
    for (const o of outcomes) {
      const lines = byAddress.get(o.address) ?? [];
      const answered =
        o.page === null && o.statuses.length > 0 && o.statuses.every((s) => s === 200) && endsAnswered(o);
      const want = answered ? 0 : 1;
      if (lines.length !== want || (o.page !== null && lines[0]?.status !== String(o.page))) {
        wrong.push({
          id: o.c.id,
          cls: o.c.cls,
          statuses: o.statuses,
          page: o.page,
          lines: lines.map((l) => `${l.status} ${l.reason}`),
        });
      }
    }
    const byClass: Record<string, number> = {};
    for (const w of wrong as { cls: string }[]) byClass[w.cls] = (byClass[w.cls] ?? 0) + 1;
    expect({ byClass, first: wrong.slice(0, 10) }).toEqual({ byClass: {}, first: [] });
  });

  it('the healthy client got 200 throughout', () => {
    expect(healthy.length).toBeGreaterThan(50);
    expect(healthy.filter((r) => r instanceof Error || r.status !== 200)).toEqual([]);
  });
});

async function warm(port: number, paths: string[], n: number): Promise<void> {
  for (const p of paths) {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runCase(port, {
          id: 0,
          cls: 'warm',
          bytes: Buffer.from(`GET ${p}&i=${i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`),
        }),
      ),
    );
  }
}

/** Answered: the marker (Connection: close) got its 200, or the request itself closed the connection after a 200. */
function endsAnswered(o: Outcome): boolean {
  return o.closedByServer;
}

function printSummary(outcomes: Outcome[], byAddress: Map<string, HttpErrLine[]>): void {
  const rows = new Map<
    string,
    { cases: number; answered: number; pages: Map<number, number>; cut: number; reasons: Map<string, number> }
  >();
  for (const o of outcomes) {
    const r = rows.get(o.c.cls) ?? { cases: 0, answered: 0, pages: new Map(), cut: 0, reasons: new Map() };
    for (const l of byAddress.get(o.address) ?? []) r.reasons.set(l.reason, (r.reasons.get(l.reason) ?? 0) + 1);
    r.cases++;
    if (o.page !== null) r.pages.set(o.page, (r.pages.get(o.page) ?? 0) + 1);
    else if (o.statuses.length > 0 && o.statuses.every((s) => s === 200)) r.answered++;
    else r.cut++;
    rows.set(o.c.cls, r);
  }
  const lines = [...rows].map(([cls, r]) => {
    const pages = [...r.pages].map(([s, n]) => `${n}×${s}`).join(' ') || 'no pages';
    const reasons = [...r.reasons].map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    return (
      `${cls.padEnd(14)} ${String(r.cases).padStart(5)} cases: ${r.answered} answered 200, ` +
      `${pages}, ${r.cut} closed without a page; HTTPERR ${reasons}`
    );
  });
  console.log(`HTTP fuzzer, seed ${SEED}, ${outcomes.length} cases:\n${lines.join('\n')}`);
}

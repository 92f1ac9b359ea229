// The agent in-process, against a real http.Server on port 0. Crash modes end the process, so they are tested in
// child processes (crash.test.ts); so are leaks (leak.test.ts), whose memory only a process of their own shows.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createFaultAgent, type FaultAgent } from './agent';
import { workerFaultSpec, type WorkerFaultSpec } from '../spec';
import { get } from '../test-support/http-client';
import { waitFor } from '../test-support/dist';

const spec = (input: unknown): WorkerFaultSpec => workerFaultSpec.parse(input);

let agent: FaultAgent;
let server: http.Server;
let port: number;
let appCalls = 0;

async function start(a: FaultAgent): Promise<void> {
  agent = a;
  appCalls = 0;
  server = http.createServer(
    a.wrapHandler((_req, res) => {
      appCalls++;
      res.end('ok');
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}

beforeEach(() => start(createFaultAgent({ seed: 7 })));
afterEach(async () => {
  agent.heal(); // heal before close: stalled requests would otherwise keep close() waiting
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('without faults the app answers', async () => {
  const r = await get(port);
  expect([r.status, r.body, appCalls]).toEqual([200, 'ok', 1]);
  expect(agent.active()).toEqual([]);
});

test('slow delays requests by delayMs, and heal removes the delay', async () => {
  // 1.5 s against a bound of 1 s: a plain loopback GET takes a few ms, but a few hundred on a machine at load 30 (a
  // 300 ms delay against a 250 ms bound left too little room).
  const { id } = agent.apply(spec({ kind: 'slow', delayMs: 1500 }));
  const slow = await get(port);
  expect(slow.status).toBe(200);
  expect(slow.ms).toBeGreaterThanOrEqual(1490);
  agent.heal(id);
  const fast = await get(port);
  expect(fast.ms).toBeLessThan(1000);
});

test('error answers with the status without calling the app', async () => {
  agent.apply(spec({ kind: 'error', status: 503 }));
  const r = await get(port);
  expect(r.status).toBe(503);
  expect(r.body).toContain('503');
  expect(r.headers['x-w3lab-fault']).toBe('error');
  expect(appCalls).toBe(0);
});

test('percent rolls are repeatable with the same seed and hit roughly the share asked for', async () => {
  const statuses = async (): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 40; i++) out.push((await get(port)).status);
    return out;
  };
  agent.apply(spec({ kind: 'error', status: 500, percent: 50 }));
  const first = await statuses();
  agent.heal();
  await new Promise((r) => server.close(r));
  await start(createFaultAgent({ seed: 7 }));
  agent.apply(spec({ kind: 'error', status: 500, percent: 50 }));
  expect(await statuses()).toEqual(first);
  const hits = first.filter((s) => s === 500).length;
  expect(hits).toBeGreaterThan(8);
  expect(hits).toBeLessThan(32);
});

test('an injected random source decides: 0.99 never hits a 50% fault', async () => {
  agent.heal();
  await new Promise((r) => server.close(r));
  await start(createFaultAgent({ random: () => 0.99 }));
  agent.apply(spec({ kind: 'error', percent: 50 }));
  expect((await get(port)).status).toBe(200);
});

test('stall-requests holds requests (pings still answered) until healed, then the app answers them', async () => {
  const { id } = agent.apply(spec({ kind: 'hang', mode: 'stall-requests' }));
  const pending = get(port, '/', 10_000);
  await waitFor(() => agent.stalledRequests() === 1, 'the request to be held');
  expect(appCalls).toBe(0);
  expect(agent.answersPings()).toBe(true);
  agent.heal(id);
  const r = await pending;
  expect([r.status, appCalls, agent.stalledRequests()]).toEqual([200, 1, 0]);
});

test('stall-requests with durationMs heals itself and releases the held requests', async () => {
  agent.apply(spec({ kind: 'hang', mode: 'stall-requests', durationMs: 200 }));
  const r = await get(port, '/', 5000);
  expect(r.status).toBe(200);
  expect(r.ms).toBeGreaterThanOrEqual(150);
  expect(agent.active()).toEqual([]);
});

test('ignore-pings flips answersPings until healed or expired; requests are still served', async () => {
  const { id } = agent.apply(spec({ kind: 'hang', mode: 'ignore-pings' }));
  expect(agent.answersPings()).toBe(false);
  expect((await get(port)).status).toBe(200);
  agent.heal(id);
  expect(agent.answersPings()).toBe(true);
  agent.apply(spec({ kind: 'hang', mode: 'ignore-pings', durationMs: 100 }));
  expect(agent.answersPings()).toBe(false);
  await waitFor(() => agent.answersPings(), 'ignore-pings to expire');
});

test('shutdown-hang makes honoursShutdown false until healed', () => {
  agent.apply(spec({ kind: 'shutdown-hang' }));
  expect(agent.honoursShutdown()).toBe(false);
  agent.heal();
  expect(agent.honoursShutdown()).toBe(true);
});

test('block-loop blocks the event loop for durationMs, then leaves the active set', async () => {
  const started = Date.now();
  agent.apply(spec({ kind: 'hang', mode: 'block-loop', durationMs: 250 }));
  expect(agent.active()).toHaveLength(1); // applied, not yet blocking: the host can still acknowledge
  await new Promise((r) => setTimeout(r, 0));
  expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  expect(agent.active()).toEqual([]);
});

test('startAfter: block-loop waits for it (other faults do not); healed before it settles, never blocks', async () => {
  // A 2 s block against turns of 20 ms: the two are far apart even when the machine is loaded.
  const block = spec({ kind: 'hang', mode: 'block-loop', durationMs: 2000 });
  const turns = async (n: number): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 20));
    return performance.now() - t;
  };
  let ack: () => void = () => undefined;
  agent.apply(block, { startAfter: new Promise<void>((r) => (ack = r)) });
  agent.apply(spec({ kind: 'shutdown-hang' }), { startAfter: new Promise<void>(() => undefined) });
  expect(agent.honoursShutdown()).toBe(false); // in effect at once
  expect(await turns(3)).toBeLessThan(1000); // nothing blocked
  expect(agent.active()).toHaveLength(2);
  ack();
  expect(await turns(1)).toBeGreaterThanOrEqual(1990);
  expect(agent.active().map((f) => f.spec.kind)).toEqual(['shutdown-hang']);

  let late: () => void = () => undefined;
  const { id } = agent.apply(block, { startAfter: new Promise<void>((r) => (late = r)) });
  agent.heal(id);
  late();
  expect(await turns(3)).toBeLessThan(1000);
});

test('cpu-spin keeps the event loop busy for its duty share and heals itself after durationMs', async () => {
  // Event-loop utilisation is wall-clock based: 0.6 when the spinner's timer fires on time, less when a loaded
  // machine makes it late. CPU time proves the spinning is real (a loop blocked in a sleep would look busy too): an
  // idle process uses a few ms in 500 ms; a spinning one its 300 ms, or what the machine gives it — on a 2-core
  // machine with 17 runnable processes, about an eighth of that.
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  agent.apply(spec({ kind: 'cpu-spin', dutyPercent: 60, durationMs: 500 }));
  await waitFor(() => agent.active().length === 0, 'cpu-spin to expire', 5000);
  expect(performance.eventLoopUtilization(elu0).utilization).toBeGreaterThan(0.25);
  const used = process.cpuUsage(cpu0);
  expect((used.user + used.system) / 1000).toBeGreaterThan(20);
  const elu1 = performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, 300));
  expect(performance.eventLoopUtilization(elu1).utilization).toBeLessThan(0.2);
});

test('healing a pending crash cancels it; heal is idempotent; active() reports the clock', () => {
  let t = 1000;
  const changes: number[] = [];
  const a = createFaultAgent({ now: () => t, onChange: () => changes.push(a.active().length) });
  const { id } = a.apply(spec({ kind: 'crash', delayMs: 60_000 }));
  t = 2000;
  const second = a.apply(spec({ kind: 'slow', delayMs: 10 })).id;
  expect(a.active().map((f) => [f.id, f.spec.kind, f.since])).toEqual([
    [id, 'crash', 1000],
    [second, 'slow', 2000],
  ]);
  a.heal(id);
  a.heal(id);
  a.heal(12345);
  a.heal();
  a.heal();
  expect(a.active()).toEqual([]);
  expect(changes).toEqual([1, 2, 1, 0]);
});

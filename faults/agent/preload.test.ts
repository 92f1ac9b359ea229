// The preload in foreign Node processes: a plain http app and a Node cluster app, started with
// `--require dist/faults/agent/preload.js`, driven over the fork() IPC channel as the lab drives peers.
import { fork, type ChildProcess } from 'node:child_process';
import { requireFreshBuild, dist, fixture, collect, waitFor, killIfRunning } from '../test-support/dist';
import { get } from '../test-support/http-client';
import type { AgentReply } from './install';

beforeAll(() => requireFreshBuild());

let child: ChildProcess | undefined;
afterEach(() => killIfRunning(child));

interface Started {
  child: ChildProcess;
  port: number;
  workerPid?: number;
  replies: AgentReply[];
}

async function startApp(script: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const c = fork(fixture(script), [], {
    execArgv: ['--require', dist('faults/agent/preload')],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child = c;
  const replies: AgentReply[] = [];
  let listening: { port: number; workerPid?: number } | undefined;
  c.on('message', (m: { type?: string; port?: number; workerPid?: number }) => {
    if (m.type === 'listening') listening = { port: m.port ?? 0, ...(m.workerPid ? { workerPid: m.workerPid } : {}) };
    else replies.push(m as AgentReply);
  });
  await waitFor(() => listening !== undefined, `${script} to listen`, 30_000); // loads pino and zod: slow when loaded
  return { child: c, replies, ...listening! };
}

async function nextReply(s: Started, count: number): Promise<AgentReply> {
  await waitFor(() => s.replies.length >= count, `reply #${count} from the agent`);
  return s.replies[count - 1]!;
}

test('every response carries X-Worker-Pid of the serving process', async () => {
  const s = await startApp('http-server.js');
  const r = await get(s.port);
  expect(r.status).toBe(200);
  expect(r.headers['x-worker-pid']).toBe(String(s.child.pid));
});

test('a fault sent over IPC is acknowledged, applied and healed', async () => {
  const s = await startApp('http-server.js');
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'error', status: 503 }, ref: 'a' });
  const ack = await nextReply(s, 1);
  expect(ack).toMatchObject({ type: 'w3lab:fault-ack', ok: true, ref: 'a' });
  const failed = await get(s.port);
  expect(failed.status).toBe(503);
  expect(failed.headers['x-worker-pid']).toBe(String(s.child.pid));
  s.child.send({ type: 'w3lab:heal' });
  expect(await nextReply(s, 2)).toMatchObject({ type: 'w3lab:fault-ack', ok: true });
  expect((await get(s.port)).status).toBe(200);
});

test('an invalid spec is refused with the path and the reason', async () => {
  const s = await startApp('http-server.js');
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'slow', delayMs: -5 } });
  const ack = await nextReply(s, 1);
  expect(ack).toMatchObject({ type: 'w3lab:fault-ack', ok: false });
  expect((ack as { error?: string }).error).toContain('fault.delayMs');
  expect((await get(s.port)).status).toBe(200);
});

test('stall-requests over IPC holds a request until healed', async () => {
  const s = await startApp('http-server.js');
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'hang', mode: 'stall-requests' } });
  await nextReply(s, 1);
  let answered = false;
  const pending = get(s.port, '/', 10_000).then((r) => ((answered = true), r));
  await new Promise((r) => setTimeout(r, 300));
  expect(answered).toBe(false);
  s.child.send({ type: 'w3lab:heal' });
  expect((await pending).status).toBe(200);
});

test('pings are answered unless ignore-pings is active', async () => {
  const s = await startApp('http-server.js');
  s.child.send({ type: 'w3lab:ping', seq: 1 });
  expect(await nextReply(s, 1)).toEqual({ type: 'w3lab:pong', seq: 1 });
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'hang', mode: 'ignore-pings' } });
  await nextReply(s, 2);
  s.child.send({ type: 'w3lab:ping', seq: 2 });
  // An unanswered ping can only be shown by waiting: the heal ack proves the ping was processed before it.
  s.child.send({ type: 'w3lab:heal' });
  expect(await nextReply(s, 3)).toMatchObject({ type: 'w3lab:fault-ack', ok: true });
  s.child.send({ type: 'w3lab:ping', seq: 3 });
  expect(await nextReply(s, 4)).toEqual({ type: 'w3lab:pong', seq: 3 });
});

test('a crash sent over IPC is acknowledged before the process exits with its code', async () => {
  const s = await startApp('http-server.js');
  const exited = collect(s.child);
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'crash', mode: 'exit', exitCode: 5 } });
  const r = await exited;
  expect(r.code).toBe(5);
  expect(s.replies[0]).toMatchObject({ type: 'w3lab:fault-ack', ok: true });
});

test('shutdown-hang makes the app ignore SIGTERM until healed', async () => {
  const s = await startApp('http-server.js');
  const exited = collect(s.child);
  s.child.send({ type: 'w3lab:fault', spec: { kind: 'shutdown-hang' } });
  await nextReply(s, 1);
  s.child.kill('SIGTERM');
  s.child.send({ type: 'w3lab:ping', seq: 9 }); // answered after SIGTERM was handled: still alive
  expect(await nextReply(s, 2)).toEqual({ type: 'w3lab:pong', seq: 9 });
  s.child.send({ type: 'w3lab:heal' });
  await nextReply(s, 3);
  s.child.kill('SIGTERM');
  expect((await exited).signal).toBe('SIGTERM');
});

test('the agent alone does not keep a process alive, even with an IPC channel', async () => {
  const c = fork(fixture('noop.js'), [], {
    execArgv: ['--require', dist('faults/agent/preload')],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child = c;
  const r = await collect(c, 10_000);
  expect([r.code, r.signal, r.stdout.trim()]).toEqual([0, null, 'noop done']);
});

test('a startup crash from the environment ends the process with 70 before it listens', async () => {
  const c = fork(fixture('http-server.js'), [], {
    execArgv: ['--require', dist('faults/agent/preload')],
    env: { ...process.env, W3LAB_STARTUP_FAULT: 'crash' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child = c;
  const r = await collect(c, 10_000);
  expect(r.code).toBe(70);
  expect(r.stdout).not.toContain('LISTENING');
});

test('a startup hang never listens and never answers pings', async () => {
  const c = fork(fixture('http-server.js'), [], {
    execArgv: ['--require', dist('faults/agent/preload')],
    env: { ...process.env, W3LAB_STARTUP_FAULT: 'hang' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child = c;
  const messages: unknown[] = [];
  c.on('message', (m) => messages.push(m));
  let stderr = '';
  c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => stderr.includes('hanging'), 'the hang to start', 30_000);
  c.send({ type: 'w3lab:ping', seq: 1 });
  await new Promise((r) => setTimeout(r, 500));
  expect(messages).toEqual([]);
  expect(c.exitCode).toBeNull();
});

test('in a Node cluster the worker serves, and X-Worker-Pid names the worker, not the primary', async () => {
  const s = await startApp('cluster-server.js');
  const r = await get(s.port);
  expect(r.status).toBe(200);
  expect(r.headers['x-worker-pid']).toBe(String(s.workerPid));
  expect(r.headers['x-worker-pid']).not.toBe(String(s.child.pid));
});

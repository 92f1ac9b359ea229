// Hosting the fault agent inside a Node server process nobody here wrote (a Node cluster worker, a PM2 app, ...):
// routes every http/https 'request' event through the agent, stamps X-Worker-Pid on every response, and takes
// faults over the Node IPC channel the process already has (cluster and fork() give one):
//   → { type: 'w3lab:fault', spec, ref? }   ← { type: 'w3lab:fault-ack', ok, id?, error?, ref? }
//   → { type: 'w3lab:heal', id?, ref? }      ← { type: 'w3lab:fault-ack', ok: true, id?, ref? }
//   → { type: 'w3lab:ping', seq }            ← { type: 'w3lab:pong', seq }   (unanswered under ignore-pings)
// `ref` is echoed untouched so a caller can match replies to requests.
// preload.ts calls installFaultAgent() at load time; w3's own workers do not use this (they host the agent
// directly). Installing twice in one process returns the first agent.
import http from 'node:http';
import https from 'node:https';
import cluster from 'node:cluster';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { createFaultAgent, type FaultAgent, type RequestHandler } from './agent';
import { applyStartupFault } from './startup';
import { parseWorkerFault } from '../spec';

export const WORKER_PID_HEADER = 'X-Worker-Pid';

export type AgentRequest =
  | { type: 'w3lab:fault'; spec: unknown; ref?: unknown }
  | { type: 'w3lab:heal'; id?: number; ref?: unknown }
  | { type: 'w3lab:ping'; seq?: unknown };
export type AgentReply =
  | { type: 'w3lab:fault-ack'; ok: boolean; id?: number; error?: string; ref?: unknown }
  | { type: 'w3lab:pong'; seq?: unknown };

const INSTALLED = Symbol.for('w3lab.fault-agent.installed');
const PATCHED = Symbol.for('w3lab.fault-agent.emit-patched');

type Emit = (this: EventEmitter, event: string | symbol, ...args: unknown[]) => boolean;
type Logger = pino.Logger;

export function installFaultAgent(env: NodeJS.ProcessEnv = process.env): FaultAgent {
  const g = globalThis as { [INSTALLED]?: FaultAgent };
  const existing = g[INSTALLED];
  if (existing) return existing;

  // Startup faults first: nothing of the app (not even its readiness) may run. A cluster primary also loads the
  // preload (workers inherit execArgv); SCOPE=cluster-workers keeps the primary itself healthy.
  if (env['W3LAB_STARTUP_FAULT_SCOPE'] !== 'cluster-workers' || cluster.isWorker) applyStartupFault(env);

  // stderr, synchronous: the app owns stdout, and a process that crashes on purpose must keep its last lines.
  const logger = pino(
    { name: 'w3lab-fault-agent', level: env['W3LAB_AGENT_LOG_LEVEL'] ?? 'info', base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
  const seed = Number(env['W3LAB_FAULT_SEED']);
  const guard = shutdownGuard();
  const agent: FaultAgent = createFaultAgent({
    log: (msg, extra) => logger.info(extra ?? {}, msg),
    ...(Number.isFinite(seed) && env['W3LAB_FAULT_SEED'] ? { seed } : {}),
    onChange: () => guard.set(!agent.honoursShutdown()),
  });
  patchRequestEmit(agent);
  listenForFaults(agent, logger);
  g[INSTALLED] = agent;
  return agent;
}

/** Patches the prototypes (not servers), so servers created later by any library are covered too. */
function patchRequestEmit(agent: FaultAgent): void {
  for (const proto of [http.Server.prototype, https.Server.prototype] as unknown as { emit: Emit }[]) {
    if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) continue;
    const original = proto.emit;
    const perServer = new WeakMap<EventEmitter, RequestHandler>();
    proto.emit = function emit(this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
      if (event !== 'request') return original.call(this, event, ...args);
      const req = args[0] as IncomingMessage;
      const res = args[1] as ServerResponse;
      if (!res.headersSent) res.setHeader(WORKER_PID_HEADER, String(process.pid));
      let handler = perServer.get(this);
      if (!handler) {
        handler = agent.wrapHandler((rq, rs) => void original.call(this, 'request', rq, rs));
        perServer.set(this, handler);
      }
      handler(req, res);
      return this.listenerCount('request') > 0;
    };
    Object.defineProperty(proto, PATCHED, { value: true });
  }
}

function listenForFaults(agent: FaultAgent, logger: Logger): void {
  if (typeof process.send !== 'function') return; // no IPC channel: only startup faults apply
  /** Sends; `then` runs once the message left this process (or cannot be sent), never before. */
  const reply = (msg: AgentReply, then?: () => void): void => {
    if (!process.send || !process.connected) return then?.();
    // With a callback a failed send is reported here instead of as an 'error' event that could kill the app.
    process.send(msg, undefined, {}, (err) => {
      if (err) logger.warn({ err: err.message }, 'fault agent reply not delivered');
      then?.();
    });
  };
  const onMessage = (raw: unknown): void => {
    if (typeof raw !== 'object' || raw === null) return;
    const m = raw as Partial<AgentRequest> & { ref?: unknown; id?: unknown };
    const ref = m.ref === undefined ? {} : { ref: m.ref };
    if (m.type === 'w3lab:fault') {
      const parsed = parseWorkerFault((m as { spec?: unknown }).spec);
      if (!parsed.ok) return reply({ type: 'w3lab:fault-ack', ok: false, error: parsed.error, ...ref });
      // In effect at once (a signal sent right after the ack must meet a shutdown-hang), but a fault that takes the
      // process over starts only once the ack has left: a crash or a blocked event loop would otherwise keep an ack
      // still queued (the channel backs up when the parent reads slowly) from ever reaching the parent.
      let acked: () => void = () => undefined;
      const { id } = agent.apply(parsed.value, { startAfter: new Promise<void>((r) => (acked = r)) });
      reply({ type: 'w3lab:fault-ack', ok: true, id, ...ref }, acked);
    } else if (m.type === 'w3lab:heal') {
      const id = typeof m.id === 'number' ? m.id : undefined;
      agent.heal(id);
      reply({ type: 'w3lab:fault-ack', ok: true, ...(id === undefined ? {} : { id }), ...ref });
    } else if (m.type === 'w3lab:ping') {
      if (agent.answersPings()) reply({ type: 'w3lab:pong', seq: (m as { seq?: unknown }).seq });
    }
  };
  process.on('message', onMessage);
  keepChannelRefOnlyForOthers(onMessage);
}

/**
 * Listening for 'message' refs the IPC channel, which would keep a process alive that would otherwise exit. The
 * channel stays ref'd only while someone else (the app, cluster) listens, as it would without the agent.
 */
function keepChannelRefOnlyForOthers(ours: (...args: never[]) => void): void {
  const channel = process.channel;
  if (!channel) return;
  const others = (): boolean =>
    process.listeners('message').some((l) => l !== ours) || process.listenerCount('disconnect') > 0;
  if (others()) return; // already ref'd on someone else's behalf; leave Node's own bookkeeping alone
  channel.unref();
  process.on('newListener', (event: string | symbol) => {
    if (event === 'message' || event === 'disconnect') channel.ref();
  });
  process.on('removeListener', (event: string | symbol) => {
    if ((event === 'message' || event === 'disconnect') && !others()) channel.unref();
  });
}

/**
 * shutdown-hang for processes whose shutdown we do not control: while active, SIGTERM/SIGINT are ignored and a
 * ref'd timer keeps the process from exiting when its servers close (cluster disconnect). An app that calls
 * process.exit() from its own signal handler still exits — that is outside what the agent can hold.
 */
function shutdownGuard(): { set(on: boolean): void } {
  let timer: NodeJS.Timeout | null = null;
  const ignore = (): void => undefined;
  return {
    set(on) {
      if (on && !timer) {
        timer = setInterval(() => undefined, 60_000);
        process.on('SIGTERM', ignore);
        process.on('SIGINT', ignore);
      } else if (!on && timer) {
        clearInterval(timer);
        timer = null;
        process.removeListener('SIGTERM', ignore);
        process.removeListener('SIGINT', ignore);
      }
    },
  };
}

// Entry point of a module-mode worker process (the w3wp of w3). It loads the pool's application modules, serves
// them on a private Unix socket that only the listener connects to, reports ready on the control channel and
// answers pings from its event loop — a blocked loop therefore shows up as missed pings.
// Environment (set by the manager): W3_POOL, W3_WORKER_ID, W3_SOCKET, W3_APPS (JSON [{path, module}]),
// W3_FAULTS=1 when fault injection is enabled for this server.
import http from 'node:http';
import fs from 'node:fs';
import { loadApp, type LoadedApp, type RequestListener, type UpgradeListener } from './load-app';
import { takeListenerHeaders } from './listener-headers';
import type { ToWorker, FromWorker } from './control-protocol';
import type { FaultAgent } from '../../../faults/agent/agent';

interface AppEntry {
  path: string;
  module: string;
}

const rawSend = process.send?.bind(process);

function send(msg: FromWorker): void {
  if (rawSend && process.connected) rawSend(msg);
}

/**
 * The control channel is Node IPC, which the application shares: `process.send` is visible to app code. The only
 * message an app may put on it is { type: 'unhealthy', reason? } (api.ts). Anything else an app sends — PM2's
 * process.send('ready'), cluster-style messages — is dropped here with one warning, so an ordinary Node app is never
 * mistaken for a corrupted worker (a malformed control message kills the worker and counts toward rapid-fail).
 */
function guardAppMessages(): void {
  if (!rawSend) return;
  let warned = false;
  process.send = ((msg: unknown, ...rest: unknown[]): boolean => {
    const m = msg as { type?: unknown; reason?: unknown } | null;
    if (m && typeof m === 'object' && m.type === 'unhealthy') {
      send({ type: 'unhealthy', reason: typeof m.reason === 'string' ? m.reason : undefined });
    } else if (!warned) {
      warned = true;
      send({ type: 'log', level: 'warn', msg: `application message on the w3 control channel ignored: ${JSON.stringify(msg)?.slice(0, 200)}` });
    }
    const cb = rest.find((r) => typeof r === 'function') as ((err: Error | null) => void) | undefined;
    if (cb) process.nextTick(cb, null);
    return true;
  }) as typeof process.send;
}

/** Above the largest head the listener can accept (maxRequestBytes and maxUrlLength are each at most 16 MB). */
const WORKER_MAX_HEADER_SIZE = 40 * 1024 * 1024;

function prefixMatch(url: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return url === prefix || url.startsWith(prefix + '/') || url.startsWith(prefix + '?');
}

async function main(): Promise<void> {
  const socketPath = process.env['W3_SOCKET'];
  const apps = JSON.parse(process.env['W3_APPS'] ?? '[]') as AppEntry[];
  if (!socketPath || apps.length === 0) throw new Error('worker started without W3_SOCKET / W3_APPS');

  let agent: FaultAgent | null = null;
  if (process.env['W3_FAULTS'] === '1') {
    // Loaded only when the server enables fault injection, so production workers carry no fault code.
    require('../../../faults/agent/startup').applyStartupFault(process.env);
    agent = require('../../../faults/agent/agent').createFaultAgent() as FaultAgent;
  }

  guardAppMessages();
  // Longest prefix first, so /api/v2 wins over /api and / .
  const sorted = apps.sort((a, b) => b.path.length - a.path.length);
  const loaded: LoadedApp[] = [];
  for (const a of sorted) {
    loaded.push(await loadApp(a.module)); // one at a time: startup work stays deterministic
    send({ type: 'log', level: 'info', msg: `application ${a.path} served from ${a.module} as ${loaded.at(-1)!.style}` });
  }
  const handlers: { path: string; listener: RequestListener; upgrade?: UpgradeListener }[] = sorted.map((a, i) => ({
    path: a.path,
    listener: loaded[i]!.listener,
    upgrade: loaded[i]!.upgrade,
  }));
  // The listener names the application it routed to (on the canonical path); prefix matching is the fallback.
  const pick = (req: http.IncomingMessage): (typeof handlers)[number] | undefined => {
    const routed = takeListenerHeaders(req);
    if (routed !== undefined) {
      const h = handlers.find((x) => x.path === routed);
      if (h) return h;
    }
    const url = req.url ?? '/';
    return handlers.find((h) => prefixMatch(url, h.path));
  };

  const route: RequestListener = (req, res) => {
    const h = pick(req);
    if (h) return h.listener(req, res);
    res.statusCode = 404;
    res.end();
  };
  // The listener has already held the client's head to HTTP.SYS's limits and then adds its own headers (forwarding,
  // client address): the worker must take whatever the listener forwards, not refuse it with Node's 16 KB default.
  const server = http.createServer({ maxHeaderSize: WORKER_MAX_HEADER_SIZE }, agent ? agent.wrapHandler(route) : route);
  // WebSocket and other upgrades: to the application's `upgrade(req, socket, head)` export, if it has one.
  if (handlers.some((h) => h.upgrade)) {
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:net').Socket, head: Buffer) => {
      const h = pick(req);
      if (h?.upgrade) return h.upgrade(req, socket, head);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }
  // The listener keeps pooled connections to us; never time them out from this side.
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;

  let shuttingDown = false;
  const shutdown = (): void => {
    if (shuttingDown) return;
    if (agent && !agent.honoursShutdown()) return; // shutdown-hang fault: ignore, the manager will kill us
    shuttingDown = true;
    // The apps' own close (Fastify onClose, Nest shutdown hooks) once no request is left; the manager's
    // shutdownTimeLimit still bounds it.
    server.close(() => void Promise.allSettled(loaded.map((l) => l.close?.())).then(() => process.exit(0)));
    server.closeIdleConnections();
    // The manager asks only once it has no request in flight here, so every connection left is idle from its
    // side; Node may still count one as busy (e.g. a request the listener aborted mid-write), which would keep
    // the worker alive until shutdownTimeLimit. Close what remains after a short grace.
    setTimeout(() => server.closeAllConnections(), 200).unref();
  };

  process.on('message', (raw: unknown) => {
    const m = raw as ToWorker;
    switch (m?.type) {
      case 'ping':
        if (!agent || agent.answersPings()) send({ type: 'pong', seq: m.seq });
        break;
      case 'shutdown':
        shutdown();
        break;
      case 'fault': {
        if (!agent) {
          send({ type: 'fault-ack', id: m.id, ok: false, error: 'fault injection is not enabled' });
          break;
        }
        const { parseWorkerFault } = require('../../../faults/spec') as typeof import('../../../faults/spec');
        const parsed = parseWorkerFault(m.spec);
        if (!parsed.ok) {
          send({ type: 'fault-ack', id: m.id, ok: false, error: parsed.error });
          break;
        }
        // Ack first: a crash fault may end the process before anything else is sent.
        send({ type: 'fault-ack', id: m.id, ok: true });
        agent.apply(parsed.value);
        break;
      }
      case 'heal':
        agent?.heal(m.id);
        break;
      default:
        break;
    }
  });
  // The host went away: a worker never outlives its manager (no orphans unless the manager orphans us).
  process.on('disconnect', () => process.exit(0));

  try {
    fs.unlinkSync(socketPath);
  } catch {
    /* not there */
  }
  server.listen(socketPath, () => send({ type: 'ready', socket: socketPath }));
}

main().catch((err: unknown) => {
  process.stderr.write(`w3 worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(70);
});

// Entry point of a module-mode worker process (the w3wp of w3). It loads the pool's application modules, serves
// them on a private Unix socket that only the listener connects to, reports ready on the control channel and
// answers pings from its event loop — a blocked loop therefore shows up as missed pings.
// Environment (set by the manager): W3_POOL, W3_WORKER_ID, W3_SOCKET, W3_APPS (JSON [{path, module}]),
// W3_CONTROL_FD (the control pipe), W3_TRANSPORT (http, or frames: transport/worker-transport.ts); with fault
// injection enabled only: W3_FAULT_PLUGIN (the plugin's worker module,
// see fault-plugin/fault-plugin.ts) and W3_STARTUP_FAULT. Without them no fault code is loaded.
import http from 'node:http';
import net from 'node:net';
import { loadApp, type LoadedApp, type RequestListener, type UpgradeListener } from './load-app';
import { takeListenerHeaders } from './listener-headers';
import { WorkerTransport, framedClientError } from '../transport/worker-transport';
import { framedResponseClass } from '../transport/worker-response';
import { adoptFramedRequest } from '../transport/framed-request';
import { VirtualSocket } from '../transport/virtual-socket';
import { checkToWorker, MAX_HOST_LINE_BYTES, MAX_REASON_CHARS, type FromWorker } from '../control/control-protocol';
import { LineChannel } from '../control/line-channel';
import type { WorkerFaultAgent, WorkerFaultModule } from '../fault-plugin/fault-plugin';

interface AppEntry {
  path: string;
  module: string;
}

let control: LineChannel | null = null;

function send(msg: FromWorker): void {
  control?.send(msg);
}

/**
 * The application's side of the control channel. There is no Node IPC channel in a w3 worker (the manager does not
 * let Node parse what a worker sends); `process.send` is defined here so that the documented call
 * `process.send({ type: 'unhealthy', reason })` works, with the reason cut to MAX_REASON_CHARS. Anything else an
 * app sends — PM2's process.send('ready'), cluster-style messages — is dropped here with one warning, so an
 * ordinary Node app is never mistaken for a corrupted worker (a malformed control message kills the worker and
 * counts toward rapid-fail). `process.connected` tells whether the channel is open.
 */
function installAppSend(): void {
  let warned = false;
  Object.defineProperty(process, 'connected', { configurable: true, get: () => control?.open ?? false });
  process.send = ((msg: unknown, ...rest: unknown[]): boolean => {
    const m = msg as { type?: unknown; reason?: unknown } | null;
    if (m && typeof m === 'object' && m.type === 'unhealthy') {
      send({
        type: 'unhealthy',
        reason: typeof m.reason === 'string' ? m.reason.slice(0, MAX_REASON_CHARS) : undefined,
      });
    } else if (!warned) {
      warned = true;
      send({
        type: 'log',
        level: 'warn',
        msg: `application message on the w3 control channel ignored: ${describe(msg)}`,
      });
    }
    const cb = rest.find((r) => typeof r === 'function') as ((err: Error | null) => void) | undefined;
    if (cb) process.nextTick(cb, null);
    return true;
  }) as typeof process.send;
}

/** Above the largest head the listener can accept (maxRequestBytes and maxUrlLength are each at most 16 MB). */
const WORKER_MAX_HEADER_SIZE = 40 * 1024 * 1024;

function describe(msg: unknown): string {
  try {
    return String(JSON.stringify(msg)).slice(0, 200);
  } catch {
    return typeof msg;
  }
}

function prefixMatch(url: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return url === prefix || url.startsWith(prefix + '/') || url.startsWith(prefix + '?');
}

async function main(): Promise<void> {
  const socketPath = process.env['W3_SOCKET'];
  const apps = JSON.parse(process.env['W3_APPS'] ?? '[]') as AppEntry[];
  if (!socketPath || apps.length === 0) throw new Error('worker started without W3_SOCKET / W3_APPS');

  // Open first, so an app that reports unhealthy while it loads is heard; host messages only come after `ready`.
  let onMessage: (m: unknown) => void = () => undefined;
  // The host went away (its end of the pipe closed): a worker never outlives its manager (no orphans unless the
  // manager orphans us, and then it keeps the pipe open).
  control = openControl(
    (m) => onMessage(m),
    () => process.exit(0),
  );

  const agent = loadFaultAgent();

  installAppSend();
  const { loaded, handlers } = await loadApps(apps);
  const framed = process.env['W3_TRANSPORT'] === 'frames';
  const pick = pickerFor(handlers, framed);

  const route: RequestListener = (req, res) => {
    const h = pick(req);
    // A declined upgrade (no upgrade export) is answered and then closes, as `Connection: upgrade, close` does on
    // the HTTP transport: the connection must not carry a second, unchecked request behind it.
    if (framed && req.headers.upgrade !== undefined) res.shouldKeepAlive = false;
    if (h) return h.listener(req, res);
    res.statusCode = 404;
    res.end();
  };
  // The listener has already held the client's head to HTTP.SYS's limits and then adds its own headers (forwarding,
  // client address): the worker must take whatever the listener forwards, not refuse it with Node's 16 KB default.
  const options: http.ServerOptions = { maxHeaderSize: WORKER_MAX_HEADER_SIZE };
  // Under frames the listener validated the head (a missing Host is its 400 Invalid Hostname) and owns the timers.
  if (framed) Object.assign(options, { ServerResponse: framedResponseClass(process.pid), requireHostHeader: false });
  const server = http.createServer(options, agent ? agent.wrapHandler(route) : route);
  if (framed) server.on('clientError', framedClientError);
  // WebSocket and other upgrades: to the application's `upgrade(req, socket, head)` export, if it has one.
  if (handlers.some((h) => h.upgrade)) {
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:net').Socket, head: Buffer) => {
      const h = pick(req, true);
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
    server.close(
      () => void Promise.allSettled(loaded.flatMap((l) => (l.close ? [l.close()] : []))).then(() => process.exit(0)),
    );
    server.closeIdleConnections();
    // The manager asks only once it has no request in flight here, so every connection left is idle from its
    // side; Node may still count one as busy (e.g. a request the listener aborted mid-write), which would keep
    // the worker alive until shutdownTimeLimit. Close what remains after a short grace.
    setTimeout(() => server.closeAllConnections(), 200).unref();
  };

  onMessage = hostMessageHandler(agent, shutdown);

  // The socket lives in the host's private directory (created fresh, 0700): nothing stale to remove.
  listenOn(server, socketPath, framed);
}

/** HTTP on the socket, or frames: then the http.Server never listens itself and its 'close' stops the frames. */
function listenOn(server: http.Server, socketPath: string, framed: boolean): void {
  const ready = (): void => send({ type: 'ready', socket: socketPath });
  if (!framed) return void server.listen(socketPath, ready);
  const transport = new WorkerTransport(server);
  // Whatever the application wrote before it exits (process.exit, an uncaught exception) still goes out.
  process.on('exit', () => transport.flushAll());
  const frames = transport.createServer();
  server.once('close', () => frames.close());
  frames.listen(socketPath, ready);
}

/** What the worker does with each message from its host: pings, shutdown, faults and heals. */
function hostMessageHandler(agent: WorkerFaultAgent | null, shutdown: () => void): (raw: unknown) => void {
  return (raw: unknown): void => {
    const m = checkToWorker(raw);
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
        // The host validated the spec (admin API) before sending it. Ack first; the fault is in effect at once, but
        // a crash, block-loop or cpu-spin starts only once the ack has left: one still queued (the pipe backs up
        // when the host reads slowly) would never be flushed by a dead or blocked worker.
        const acked = new Promise<void>((resolve) => {
          if (control) control.send({ type: 'fault-ack', id: m.id, ok: true }, resolve);
          else resolve();
        });
        try {
          agent.apply(m.spec, { startAfter: acked });
        } catch (err) {
          send({ type: 'log', level: 'error', msg: `fault not applied: ${String(err).slice(0, MAX_REASON_CHARS)}` });
        }
        break;
      }
      case 'heal':
        agent?.heal(m.id);
        break;
      default:
        break;
    }
  };
}

type Handler = { path: string; listener: RequestListener; upgrade?: UpgradeListener };

/** Loads the applications, longest prefix first so /api/v2 wins over /api and / . */
async function loadApps(apps: AppEntry[]): Promise<{ loaded: LoadedApp[]; handlers: Handler[] }> {
  const sorted = apps.sort((a, b) => b.path.length - a.path.length);
  const loaded: LoadedApp[] = [];
  for (const a of sorted) {
    loaded.push(await loadApp(a.module)); // one at a time: startup work stays deterministic
    send({
      type: 'log',
      level: 'info',
      msg: `application ${a.path} served from ${a.module} as ${loaded.at(-1)!.style}`,
    });
  }
  const handlers: Handler[] = sorted.map((a, i) => ({
    path: a.path,
    listener: loaded[i]!.listener,
    upgrade: loaded[i]!.upgrade,
  }));
  return { loaded, handlers };
}

/**
 * The listener names the application it routed to (on the canonical path); prefix matching is the fallback. Under
 * frames it names it in a ROUTE frame and the request still carries the client's own headers: the listener's rules
 * are applied here (framed-request.ts).
 */
function pickerFor(
  handlers: Handler[],
  framed: boolean,
): (req: http.IncomingMessage, upgrade?: boolean) => Handler | undefined {
  return (req, upgrade = false) => {
    const routed = framed ? adoptFramed(req, upgrade) : takeListenerHeaders(req);
    if (routed !== undefined) {
      const h = handlers.find((x) => x.path === routed);
      if (h) return h;
    }
    const url = req.url ?? '/';
    return handlers.find((h) => prefixMatch(url, h.path));
  };
}

/** The listener's request rules under frames; returns the application the listener routed the request to. */
function adoptFramed(req: http.IncomingMessage, upgrade: boolean): string | undefined {
  const s = req.socket as unknown;
  if (!(s instanceof VirtualSocket)) return undefined;
  adoptFramedRequest(req, s, s.addForwarding, upgrade);
  return s.routes.shift();
}

/** The fault plugin's agent, only when the host enabled fault injection (it may crash or hang us right here). */
function loadFaultAgent(): WorkerFaultAgent | null {
  const plugin = process.env['W3_FAULT_PLUGIN'];
  if (!plugin) return null;
  const mode = process.env['W3_STARTUP_FAULT'];
  const startupFault = mode === 'crash' || mode === 'hang' ? mode : null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plugin named by the host, loaded only then
  return (require(plugin) as WorkerFaultModule).createWorkerFaultAgent({ startupFault });
}

function openControl(onMessage: (m: unknown) => void, onClose: () => void): LineChannel {
  const fd = Number(process.env['W3_CONTROL_FD']);
  if (!Number.isInteger(fd) || fd < 3) throw new Error('worker started without W3_CONTROL_FD');
  return new LineChannel(new net.Socket({ fd, readable: true, writable: true }), {
    maxLineBytes: MAX_HOST_LINE_BYTES,
    onMessage,
    // The host never sends garbage; if it ever did, waiting for its kill is all a worker can do.
    onViolation: () => undefined,
    onClose,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`w3 worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(70);
});

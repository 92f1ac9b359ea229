// The HTTP.SYS of w3: it owns every client connection. It validates requests (HTTP.SYS limits → 400/414 pages that
// never reach a worker), answers hot cacheable GETs from its response cache, routes the rest (host + path →
// application → pool), hands them to the pool's queue, runs the connection timers and writes the HTTPERR log.
// Timers (IIS-SPEC §4.4) and where they live:
//  - IdleConnection (timers.connectionTimeout): w3's own socket inactivity timer, see connection-state.ts. Node's
//    keep-alive timer is off (keepAliveTimeout 0): it closes silently and unlogged, 1 s late, and advertises
//    `Keep-Alive: timeout=` (HTTP.SYS sends no such header). Precision: exact (a Node timer per socket).
//  - HeaderWait (timers.headerWaitTimeout): Node's headersTimeout, measured from the accept (first request) or the
//    first byte of the request (later ones), checked every connectionsCheckingInterval (≤ 1 s, a quarter of the
//    timeout for short ones) — so it fires up to that much late. A connection that never sends a byte is closed by
//    whichever of the two timers fires first and is logged Timer_ConnectionIdle (it never started a request).
//  - EntityBody, RequestQueue (Timer_AppPool), MinSendRate: per request, in ProxyJob / send-rate.ts.
// Every rejection or abandonment by the listener writes exactly one HTTPERR line.
import http from 'node:http';
import type net from 'node:net';
import { RoutingTable } from './routing';
import { ProxyJob } from './proxy-job';
import { clampTimer } from './entity-body-timer';
import { HttpErrorLog, type HttpErrEntry, type HttpErrReason } from './http-error-log';
import { sendPage, rawPage, PAGES, type PageName } from './httpsys-responses';
import { checkRequestLimits, nodeHeaderLimit, parserErrorPage } from './request-limits';
import { ResponseCache } from './response-cache';
import { requestCacheable } from './cache-policy';
import { SendRateWatch } from './send-rate';
import { phase, markIdle, markClosing, isClosing, setBodyOwner, bodyOwner } from './connection-state';
import type { AppPool } from '../manager/app-pool';
import type { EventLog } from '../events/event-log';
import type { W3Config, ListenerTimers } from '../config/types';
import type { Logger } from '../util/logger';

export interface ListenerContext {
  httpErr: HttpErrorLog;
  describe(req: http.IncomingMessage): Omit<HttpErrEntry, 'reason'>;
  onRequestDone(req: http.IncomingMessage, res: http.ServerResponse, pool: string, workerPid: number | undefined): void;
  /** Current values (replaced on reconfigure). */
  timers: ListenerTimers;
  cache: ResponseCache;
  sendRate: SendRateWatch;
}

export class Listener {
  readonly server: http.Server;
  readonly httpErr: HttpErrorLog;
  private routes: RoutingTable;
  private cache: ResponseCache;
  private readonly ctx: ListenerContext;
  private readonly sockets = new Set<net.Socket>();
  /** Event logs of the pools (the host's one, in practice) → unsubscribe. */
  private readonly eventLogs = new Map<EventLog, () => void>();
  requestsTotal = 0;

  constructor(
    private config: W3Config,
    private readonly pools: Map<string, AppPool>,
    private readonly log: Logger,
  ) {
    this.routes = new RoutingTable(config.applications);
    this.httpErr = new HttpErrorLog(log.child({ log: 'httperr' }), config.logging.httpErrLog);
    this.cache = new ResponseCache(config.cache);
    const accessLog = config.logging.accessLog ? log.child({ log: 'access' }) : null;
    this.ctx = {
      httpErr: this.httpErr,
      describe,
      onRequestDone: (req, res, pool, workerPid) => {
        accessLog?.info({ method: req.method, url: req.url, status: res.statusCode, pool, workerPid });
      },
      timers: config.timers,
      cache: this.cache,
      sendRate: new SendRateWatch(config.timers.minBytesPerSecond),
    };
    const t = config.timers;
    this.server = http.createServer({
      maxHeaderSize: nodeHeaderLimit(config.limits),
      keepAliveTimeout: 0,
      headersTimeout: t.headerWaitTimeout,
      requestTimeout: 0,
      // A missing Host gets HTTP.SYS's Invalid Hostname page from request-limits, not Node's bare 400.
      requireHostHeader: false,
      connectionsCheckingInterval: checkingInterval(t.headerWaitTimeout),
      noDelay: true,
    } as http.ServerOptions, (req, res) => this.onRequest(req, res));
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      const idle = this.config.timers.connectionTimeout;
      if (idle > 0) s.setTimeout(clampTimer(idle));
    });
    this.server.on('timeout', (s: net.Socket) => this.onIdleTimeout(s));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    this.watchPoolStops();
  }

  /** A stopped pool's cached responses must not survive a restart: drop them at PoolStopped (response-cache.ts). */
  private watchPoolStops(): void {
    for (const pool of this.pools.values()) {
      const events = pool.ctx.events;
      if (this.eventLogs.has(events)) continue;
      this.eventLogs.set(
        events,
        events.subscribe((e) => {
          if (e.type === 'PoolStopped' && e.pool) this.cache.dropPool(e.pool);
        }),
      );
    }
  }

  /** Swaps routing, limits, timers and the cache after a configuration reload (pools are updated by the host). */
  reconfigure(config: W3Config): void {
    this.config = config;
    this.routes = new RoutingTable(config.applications);
    // Read by Node for every new connection's parser.
    (this.server as http.Server & { maxHeaderSize: number }).maxHeaderSize = nodeHeaderLimit(config.limits);
    this.server.headersTimeout = config.timers.headerWaitTimeout;
    this.ctx.timers = config.timers;
    this.ctx.sendRate.bytesPerSecond = config.timers.minBytesPerSecond;
    // Routes and pools may have changed under the cached URLs.
    this.cache.close();
    this.cache = this.ctx.cache = new ResponseCache(config.cache);
    this.watchPoolStops();
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stops accepting; closes idle keep-alive connections; in-flight responses finish first. */
  close(): Promise<void> {
    this.cache.close();
    this.ctx.sendRate.close();
    for (const unsubscribe of this.eventLogs.values()) unsubscribe();
    this.eventLogs.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, 2000).unref();
    });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requestsTotal++;
    const violation = checkRequestLimits(req, this.config.limits);
    if (violation) return this.rejectPage(req, res, violation.page, violation.reason);
    // An empty cache costs one property read; a full one a key and a Map get for eligible requests.
    if (this.cache.size > 0 && this.serveFromCache(req, res)) return;
    const route = this.routes.match(req.headers.host, req.url ?? '/');
    if (!route) return this.rejectPage(req, res, 'notFound', 'NotFound');
    const pool = this.pools.get(route.pool);
    if (!pool) return this.rejectPage(req, res, 'notFound', 'NotFound');
    const job = new ProxyJob(req, res, pool, this.ctx);
    setBodyOwner(req.socket, job);
    pool.submit(job);
    // Only a job that had to wait in the queue gets a timer.
    const qt = this.config.timers.requestQueueTimeout;
    if (qt > 0 && job.dispatchedAt === 0 && !job.finished) job.armQueueTimer(qt);
  }

  private serveFromCache(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!requestCacheable(req)) return false;
    const e = this.cache.lookup(ResponseCache.key(req.headers.host, req.url ?? '/'));
    if (!e) return false;
    setBodyOwner(req.socket, null);
    res.writeHead(200, [...e.headers, 'Age', String(this.cache.age(e)), 'X-W3-Cache', 'HIT']);
    res.end(e.body);
    markIdle(req.socket);
    this.ctx.onRequestDone(req, res, e.pool.name, undefined);
    return true;
  }

  private rejectPage(req: http.IncomingMessage, res: http.ServerResponse, page: PageName, reason: HttpErrReason): void {
    this.httpErr.write({ ...describe(req), status: PAGES[page].status, reason });
    setBodyOwner(req.socket, null);
    markClosing(req.socket);
    // The request body (if any) is not read: the connection closes after the page, as HTTP.SYS does.
    sendPage(res, page);
  }

  /** The connection's inactivity timer (connectionTimeout) expired. */
  private onIdleTimeout(s: net.Socket): void {
    if (isClosing(s)) return void s.destroy();
    const p = phase(s);
    // A response in progress has its own timers (queue, entity body, send rate) and the worker's watchdogs.
    if (p === 'response') return;
    // A request head is arriving: HeaderWait owns it (when it is on).
    if (p === 'head' && this.config.timers.headerWaitTimeout > 0) return;
    markClosing(s);
    this.httpErr.write({ ...describeSocket(s), reason: 'Timer_ConnectionIdle' });
    s.destroy();
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const code = err.code ?? '';
    if (isClosing(socket)) {
      // Not a new event: the rest of a rejected head still arriving while the page drains (ignored; the linger
      // timer ends it), or a timer or error on a connection the listener already gave up on.
      if (!socket.writableEnded || code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.destroy();
      return;
    }
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
      markClosing(socket);
      // Node arms the header timer at accept: a connection that never sent a byte was idle, not slow.
      this.httpErr.write({ ...describeSocket(socket), reason: socket.bytesRead === 0 ? 'Timer_ConnectionIdle' : 'Timer_HeaderWait' });
      socket.destroy();
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      // The client went away; a request in flight records its own end (Connection_Dropped).
      socket.destroy();
      return;
    }
    const { page, reason } = parserErrorPage(code);
    if (phase(socket) === 'response') {
      // Bad bytes after a parsed head: a malformed body ends its request; a bad pipelined head behind a response
      // in progress cannot get a page (it would corrupt that response), so the connection closes.
      const owner = bodyOwner(socket);
      if (owner?.readingBody()) return owner.abandon(reason, 400);
      markClosing(socket);
      this.httpErr.write({ ...describeSocket(socket), status: 400, reason });
      socket.destroy();
      return;
    }
    markClosing(socket);
    this.httpErr.write({ ...describeSocket(socket), status: PAGES[page].status, reason });
    // end(), not destroy(): unread request bytes would turn the close into a reset that can eat the page. The
    // client closes its side after reading it; LINGER_MS bounds the wait for one that does not.
    socket.end(rawPage(page));
    socket.setTimeout(LINGER_MS);
  }
}

/** How long a connection that got an error page may stay half-open waiting for the client to close. */
const LINGER_MS = 2000;

function checkingInterval(headerWaitTimeout: number): number {
  return headerWaitTimeout > 0 ? Math.max(50, Math.min(1000, Math.floor(headerWaitTimeout / 4))) : 1000;
}

function describeSocket(s: net.Socket): Omit<HttpErrEntry, 'reason'> {
  return { clientIp: s.remoteAddress, clientPort: s.remotePort, serverIp: s.localAddress, serverPort: s.localPort };
}

function describe(req: http.IncomingMessage): Omit<HttpErrEntry, 'reason'> {
  const s = req.socket;
  return { clientIp: s.remoteAddress, clientPort: s.remotePort, serverIp: s.localAddress, serverPort: s.localPort, version: req.httpVersion, method: req.method, uri: req.url };
}

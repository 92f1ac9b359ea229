// The HTTP.SYS of w3: it owns every client connection. It admits connections (maxConnections → 503 ConnLimit),
// validates requests (HTTP.SYS limits → 400/414/501/505 pages that never reach a worker), answers hot cacheable
// GETs from its response cache, routes the rest on the canonical path (host + path → application → pool), admits
// them per application (appConcurrentRequestLimit → 503), hands them to the pool's queue, passes upgraded
// connections through (tunnel-job.ts), runs the connection timers and writes the HTTPERR log. This is the listener
// of the HTTP transport; what it shares with the framed transport's (routing, limits, logs, cache) is listener-core.ts.
//
// Nothing runs behind a rejected request. After any error page the connection closes (as HTTP.SYS does), and a
// request pipelined behind another waits until the response before it is finished: when that response closed the
// connection (an error, HTTP/1.0, `Connection: close`), the waiting request never reaches a worker. Bytes that do
// not parse behind a response in progress let that response finish, then get the 400 page and the close.
//
// Timers and where they live:
//  - IdleConnection (timers.connectionTimeout): w3's own socket inactivity timer, see connection-state.ts. Node's
//    keep-alive timer is off (keepAliveTimeout 0): it closes silently and unlogged, 1 s late, and advertises
//    `Keep-Alive: timeout=` (HTTP.SYS sends no such header). Precision: exact (a Node timer per socket).
//  - HeaderWait (timers.headerWaitTimeout): Node's headersTimeout, measured from the accept (first request) or the
//    first byte of the request (later ones), checked every connectionsCheckingInterval (≤ 1 s, a quarter of the
//    timeout for short ones) — so it fires up to that much late. A connection that never sends a byte is closed by
//    whichever of the two timers fires first and is logged Timer_ConnectionIdle (it never started a request).
//  - EntityBody, MinSendRate: per request, in ProxyJob / send-rate.ts. RequestQueue (Timer_AppPool): the pool's
//    queue owns it (manager/request-queue.ts).
// Every rejection or abandonment by the listener writes exactly one HTTPERR line.
import http from 'node:http';
import type net from 'node:net';
import { ProxyJob } from './proxy-job';
import { TunnelJob } from './tunnel-job';
import { clampTimer } from './entity-body-timer';
import { describeSocket, type HttpErrorLog, type HttpErrEntry, type HttpErrReason } from './http-error-log';
import { sendPage, rawPage, PAGES, type PageName } from './httpsys-responses';
import { checkRequest, isViolation, nodeHeaderLimit, parserErrorPage, BAD_REQUEST } from './request-limits';
import { ResponseCache } from './response-cache';
import { requestCacheable } from './cache-policy';
import type { SendRateWatch } from './send-rate';
import type { ForwardingPolicy } from './forwarding';
import { ListenerCore } from './listener-core';
import {
  phase,
  markIdle,
  markClosing,
  isClosing,
  setBodyOwner,
  bodyOwner,
  activeResponse,
  markOverLimit,
  isOverLimit,
  endWith,
  closeOnceSent,
  LINGER_MS,
} from './connection-state';
import type { AppPool } from '../manager/app-pool';
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
  forwarding: ForwardingPolicy;
  /** Requests admitted and not yet finished (queued, at a worker, or tunnels). */
  inFlight: number;
}

export class Listener extends ListenerCore {
  readonly server: http.Server;
  private readonly ctx: ListenerContext;
  private readonly sockets = new Set<net.Socket>();

  constructor(config: W3Config, pools: Map<string, AppPool>, log: Logger) {
    super(config, pools, log);
    const accessLog = this.accessLog;
    this.ctx = {
      httpErr: this.httpErr,
      describe,
      onRequestDone: (req, res, pool, workerPid) => {
        // status: what the client was sent (none when it left, or was cut off, before any response).
        const status = res.headersSent ? res.statusCode : undefined;
        accessLog?.info({ method: req.method, url: req.url, status, pool, workerPid });
      },
      timers: config.timers,
      cache: this.cache,
      sendRate: this.sendRate,
      forwarding: this.forwarding,
      inFlight: 0,
    };
    const t = config.timers;
    this.server = http.createServer(
      {
        maxHeaderSize: nodeHeaderLimit(config.limits),
        keepAliveTimeout: 0,
        headersTimeout: t.headerWaitTimeout,
        requestTimeout: 0,
        // A missing Host gets HTTP.SYS's Invalid Hostname page from request-limits, not Node's bare 400.
        requireHostHeader: false,
        connectionsCheckingInterval: checkingInterval(t.headerWaitTimeout),
        noDelay: true,
      } as http.ServerOptions,
      (req, res) => this.onRequest(req, res),
    );
    this.server.on('connection', (s: net.Socket) => this.onConnection(s));
    this.server.on('timeout', (s: net.Socket) => this.onIdleTimeout(s));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    this.server.on('upgrade', (req: http.IncomingMessage, s: net.Socket, head: Buffer) => this.onUpgrade(req, s, head));
    // CONNECT (a tunnel to anywhere) is not something a web server of applications offers: 400, as HTTP.SYS.
    this.server.on('connect', (req: http.IncomingMessage, s: net.Socket) =>
      this.rejectRaw(req, s, BAD_REQUEST.page, 'BadRequest'),
    );
  }

  /** Swaps routing, limits, timers and the cache after a configuration reload (pools are updated by the host). */
  override reconfigure(config: W3Config): void {
    super.reconfigure(config);
    // Read by Node for every new connection's parser.
    (this.server as http.Server & { maxHeaderSize: number }).maxHeaderSize = nodeHeaderLimit(config.limits);
    this.server.headersTimeout = config.timers.headerWaitTimeout;
    this.ctx.timers = config.timers;
    this.ctx.forwarding = this.forwarding;
    this.ctx.cache = this.cache;
  }

  get inFlight(): number {
    return this.ctx.inFlight;
  }

  protected override connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Host stop: stops accepting and closes keep-alive connections as soon as they are idle, while requests in flight
   * run to their end (the pools bound that by shutdownTimeLimit). Resolves when the last connection is gone; the host
   * calls destroyConnections() for what is left after its grace.
   */
  override close(): Promise<void> {
    this.stopShared();
    return new Promise((resolve) => {
      this.server.close(() => {
        if (this.idleSweep) clearInterval(this.idleSweep);
        resolve();
      });
      this.server.closeIdleConnections();
      // A connection whose response finishes during the drain becomes idle: close it then, not at the end.
      this.idleSweep = setInterval(() => this.server.closeIdleConnections(), IDLE_SWEEP_MS);
      this.idleSweep.unref();
    });
  }

  private idleSweep: NodeJS.Timeout | null = null;

  override closeOnceSent(): void {
    for (const s of this.sockets) closeOnceSent(s);
  }

  override destroyConnections(): void {
    if (this.idleSweep) clearInterval(this.idleSweep);
    this.idleSweep = null;
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) this.server.close();
  }

  private onConnection(s: net.Socket): void {
    this.sockets.add(s);
    if (this.admitted >= this.maxConnections) {
      // Beyond maxConnections: parsed only to answer its request with the 503 page; LINGER_MS bounds its life.
      markOverLimit(s);
      s.once('close', () => this.sockets.delete(s));
      s.setTimeout(LINGER_MS);
      return;
    }
    this.admitted++;
    s.once('close', () => {
      this.sockets.delete(s);
      this.admitted--;
    });
    const idle = this.config.timers.connectionTimeout;
    if (idle > 0) s.setTimeout(clampTimer(idle));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, held = false): void {
    if (!held) this.requestsTotal++;
    const s = req.socket;
    // Behind a response that closed (or will close) the connection: it must not run.
    if (!held && isClosing(s)) return;
    if (res.socket === null) {
      // Pipelined behind a response in progress: it runs when Node hands it the connection, i.e. only if the
      // response before it finished without closing (Node never hands it over after a closing response).
      res.once('socket', () => this.onRequest(req, res, true));
      return;
    }
    if (isOverLimit(s)) return this.rejectPage(req, res, 'serviceUnavailable', 'ConnLimit');
    const head = checkRequest(req, this.config.limits);
    if (isViolation(head)) return this.rejectPage(req, res, head.page, head.reason);
    // An empty cache costs one property read; a full one a key and a Map get for eligible requests.
    if (this.cache.size > 0 && this.serveFromCache(req, res)) return;
    const admitted = this.admit(head);
    if (typeof admitted === 'string') {
      return this.rejectPage(
        req,
        res,
        admitted === 'notFound' ? 'notFound' : 'concurrentRequestLimit',
        REASON[admitted],
      );
    }
    const [route, pool] = admitted;
    const job = new ProxyJob(req, res, head, route, pool, this.ctx);
    setBodyOwner(s, job);
    pool.submit(job);
  }

  /** A request with `Connection: upgrade` (WebSocket): the same checks, then a tunnel to a worker. */
  private onUpgrade(req: http.IncomingMessage, s: net.Socket, bodyHead: Buffer): void {
    this.requestsTotal++;
    // Node detached the socket from the HTTP server: its errors are ours now.
    s.on('error', () => s.destroy());
    if (isOverLimit(s)) return this.rejectRaw(req, s, 'serviceUnavailable', 'ConnLimit');
    const head = checkRequest(req, this.config.limits);
    if (isViolation(head)) return this.rejectRaw(req, s, head.page, head.reason);
    const admitted = this.admit(head);
    if (typeof admitted === 'string') {
      return this.rejectRaw(req, s, admitted === 'notFound' ? 'notFound' : 'concurrentRequestLimit', REASON[admitted]);
    }
    const [route, pool] = admitted;
    const job = new TunnelJob(req, s, bodyHead, head, route, pool, this.ctx);
    pool.submit(job);
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

  /** The same for a connection Node has handed over (upgrade, CONNECT): the page is written raw. */
  private rejectRaw(req: http.IncomingMessage, s: net.Socket, page: PageName, reason: HttpErrReason): void {
    s.on('error', () => s.destroy());
    this.httpErr.write({ ...describe(req), status: PAGES[page].status, reason });
    endWith(s, rawPage(page));
  }

  /** The connection's inactivity timer (connectionTimeout, or LINGER_MS after a page / beyond maxConnections). */
  private onIdleTimeout(s: net.Socket): void {
    const p = phase(s);
    // A response in progress has its own timers (queue, entity body, send rate) and the worker's watchdogs.
    if (p === 'response') return;
    if (isClosing(s)) return void s.destroy();
    if (isOverLimit(s)) {
      // No request arrived in time to be answered: the page goes out anyway.
      this.httpErr.write({ ...describeSocket(s), status: 503, reason: 'ConnLimit' });
      return endWith(s, rawPage('serviceUnavailable'));
    }
    // A request head is arriving: HeaderWait owns it (when it is on).
    if (p === 'head' && this.config.timers.headerWaitTimeout > 0) return;
    markClosing(s);
    this.httpErr.write({ ...describeSocket(s), reason: 'Timer_ConnectionIdle' });
    s.destroy();
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const code = err.code ?? '';
    const timeout = code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT';
    if (code === 'HPE_CLOSED_CONNECTION') {
      // Bytes after a request that closes the connection (HTTP/1.0, `Connection: close`): ignored, as HTTP.SYS
      // does; the response in progress finishes and the connection closes after it.
      if (phase(socket) !== 'response') socket.destroy();
      return;
    }
    if (isClosing(socket)) {
      // Not a new event: more of a rejected head arriving while the page drains (the linger timer ends it), or
      // a timer on a connection the listener already gave up on. A response still in progress keeps its timers.
      if (timeout && phase(socket) !== 'response') socket.destroy();
      return;
    }
    if (timeout) {
      markClosing(socket);
      // Node arms the header timer at accept: a connection that never sent a byte was idle, not slow.
      const reason = isOverLimit(socket)
        ? 'ConnLimit'
        : socket.bytesRead === 0
          ? 'Timer_ConnectionIdle'
          : 'Timer_HeaderWait';
      this.httpErr.write({ ...describeSocket(socket), reason });
      socket.destroy();
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
      // The client went away; a request in flight records its own end (Connection_Dropped).
      socket.destroy();
      return;
    }
    const { page, reason } = parserErrorPage(code, (err as { rawPacket?: Buffer }).rawPacket);
    if (phase(socket) === 'response') {
      // Bad bytes after a parsed head: a malformed body ends its request (with the page when no response has
      // started); bad bytes where the next request should start let the responses before them finish first.
      const owner = bodyOwner(socket);
      if (owner?.readingBody()) return owner.abandon(reason, page);
      markClosing(socket);
      this.httpErr.write({ ...describeSocket(socket), status: PAGES[page].status, reason });
      return this.pageAfterResponses(socket, page);
    }
    markClosing(socket);
    this.httpErr.write({ ...describeSocket(socket), status: PAGES[page].status, reason });
    endWith(socket, rawPage(page));
  }

  /** Sends `page` and closes once every response in progress on `socket` (including pipelined ones) is done. */
  private pageAfterResponses(socket: net.Socket, page: PageName): void {
    const active = activeResponse(socket);
    if (active) {
      active.once('close', () => this.pageAfterResponses(socket, page));
      return;
    }
    if (socket.destroyed || !socket.writable) return;
    endWith(socket, rawPage(page));
  }
}

const REASON = { notFound: 'NotFound', limit: 'AppConcurrentRequestLimit' } as const;

/** While the host stops, idle keep-alive connections are closed this often. */
const IDLE_SWEEP_MS = 100;

function checkingInterval(headerWaitTimeout: number): number {
  return headerWaitTimeout > 0 ? Math.max(50, Math.min(1000, Math.floor(headerWaitTimeout / 4))) : 1000;
}

function describe(req: http.IncomingMessage): Omit<HttpErrEntry, 'reason'> {
  const s = req.socket;
  return {
    clientIp: s.remoteAddress,
    clientPort: s.remotePort,
    serverIp: s.localAddress,
    serverPort: s.localPort,
    version: req.httpVersion,
    method: req.method,
    uri: req.url,
  };
}

// The HTTP.SYS of w3: it owns every client connection. It validates requests (HTTP.SYS limits → 400/414 pages that
// never reach a worker), routes them (host + path → application → pool), hands them to the pool's queue, and
// writes the HTTPERR log. Connection timers: idle keep-alive (connectionTimeout), header wait, entity body.
import http from 'node:http';
import type net from 'node:net';
import { RoutingTable } from './routing';
import { ProxyJob } from './proxy-job';
import { HttpErrorLog, type HttpErrEntry } from './http-error-log';
import { sendPage, rawPage, type PageName } from './httpsys-responses';
import { checkRequestLimits } from './request-limits';
import type { AppPool } from '../manager/app-pool';
import type { W3Config } from '../config/types';
import type { Logger } from '../util/logger';

export interface ListenerContext {
  httpErr: HttpErrorLog;
  describe(req: http.IncomingMessage): Omit<HttpErrEntry, 'reason'>;
  onRequestDone(req: http.IncomingMessage, res: http.ServerResponse, pool: string, workerPid: number | undefined): void;
}

export class Listener {
  readonly server: http.Server;
  readonly httpErr: HttpErrorLog;
  private routes: RoutingTable;
  private readonly ctx: ListenerContext;
  private readonly sockets = new Set<net.Socket>();
  requestsTotal = 0;

  constructor(
    private config: W3Config,
    private readonly pools: Map<string, AppPool>,
    private readonly log: Logger,
  ) {
    this.routes = new RoutingTable(config.applications);
    this.httpErr = new HttpErrorLog(log.child({ log: 'httperr' }), config.logging.httpErrLog);
    const accessLog = config.logging.accessLog ? log.child({ log: 'access' }) : null;
    this.ctx = {
      httpErr: this.httpErr,
      describe,
      onRequestDone: (req, res, pool, workerPid) => {
        accessLog?.info({ method: req.method, url: req.url, status: res.statusCode, pool, workerPid });
      },
    };
    const t = config.timers;
    this.server = http.createServer({
      maxHeaderSize: config.limits.maxRequestBytes,
      keepAliveTimeout: t.connectionTimeout,
      headersTimeout: t.headerWaitTimeout,
      requestTimeout: 0,
      // Timers are checked this often (Node's default of 30 s is too coarse for short lab timings).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, t.headerWaitTimeout / 4)),
      noDelay: true,
    } as http.ServerOptions, (req, res) => this.onRequest(req, res));
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
  }

  /** Swaps routing after a configuration reload (pools are updated by the host). */
  reconfigure(config: W3Config): void {
    this.config = config;
    this.routes = new RoutingTable(config.applications);
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
    const route = this.routes.match(req.headers.host, req.url ?? '/');
    if (!route) return this.rejectPage(req, res, 'notFound', 'NotFound');
    const pool = this.pools.get(route.pool);
    if (!pool) return this.rejectPage(req, res, 'notFound', 'NotFound');
    pool.submit(new ProxyJob(req, res, pool, this.ctx));
  }

  private rejectPage(req: http.IncomingMessage, res: http.ServerResponse, page: PageName, reason: HttpErrEntry['reason']): void {
    this.httpErr.write({ ...describe(req), status: pageStatus(page), reason });
    // The request body (if any) is not read: the connection closes after the page, as HTTP.SYS does.
    sendPage(res, page);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    const code = err.code ?? '';
    const base = { clientIp: socket.remoteAddress, clientPort: socket.remotePort };
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
      this.httpErr.write({ ...base, reason: 'Timer_HeaderWait' });
      socket.destroy();
      return;
    }
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const page: PageName = code === 'HPE_HEADER_OVERFLOW' ? 'requestTooLong' : code === 'HPE_INVALID_METHOD' ? 'invalidVerb' : code === 'HPE_INVALID_HEADER_TOKEN' ? 'invalidHeader' : code === 'HPE_INVALID_URL' ? 'invalidUrl' : 'badRequest';
    const reason: HttpErrEntry['reason'] = page === 'requestTooLong' ? 'RequestLength' : page === 'invalidVerb' ? 'Verb' : page === 'invalidUrl' ? 'URL' : 'BadRequest';
    this.httpErr.write({ ...base, status: pageStatus(page), reason });
    socket.end(rawPage(page));
  }
}

function pageStatus(page: PageName): number {
  return page === 'urlTooLong' ? 414 : page === 'notFound' ? 404 : page === 'lengthRequired' ? 411 : page === 'serviceUnavailable' ? 503 : 400;
}

function describe(req: http.IncomingMessage): Omit<HttpErrEntry, 'reason'> {
  const s = req.socket;
  return { clientIp: s.remoteAddress, clientPort: s.remotePort, serverIp: s.localAddress, serverPort: s.localPort, version: req.httpVersion, method: req.method, uri: req.url };
}

// The listener under the framed transport (listener.transport: frames; docs/transport.md, option B): a net.Server
// whose connections are read by FramedConnection (its own head scanner, no HTTP parse in this process) and carried
// to module-mode workers as streams of one framed Unix-socket link per worker (HostLink). This file owns what is
// shared by all connections: maxConnections, routing and the per-application limit, the links, the HTTPERR and
// access logs, the response cache (hits served by FramedConnection, responses read by framed-cache-capture.ts), the
// minimum send rate, and the connection timers, which run as one sweep over all connections on a coarse clock
// instead of a Node timer per socket (idle: Timer_ConnectionIdle, head: Timer_HeaderWait, request body:
// Timer_EntityBody; precision is the sweep period, at most a quarter of the shortest timer and never above one
// second). Command-mode pools never get here: a configuration with one runs the HTTP listener (host.ts).
import net from 'node:net';
import { RoutingTable, type Route } from './routing';
import { HttpErrorLog } from './http-error-log';
import { ResponseCache } from './response-cache';
import type { EventLog } from '../events/event-log';
import { SendRateWatch } from './send-rate';
import { effectiveMaxConnections } from './connection-limit';
import { LINGER_MS } from './connection-state';
import { hostName } from './host-header';
import { ForwardingPolicy, plainAddress } from './forwarding';
import type { AcceptedHead } from './request-limits';
import { FramedConnection } from './framed-connection';
import { HostLink } from '../transport/host-link';
import type { StreamOpen } from '../transport/virtual-socket';
import type { AppPool } from '../manager/app-pool';
import type { WorkerProcess } from '../manager/worker-process';
import type { W3Config, ListenerLimits } from '../config/types';
import type { Logger } from '../util/logger';
import type { ListenerStats } from './listener';

/** What every FramedConnection shares (the listener implements it). */
export interface FramedContext {
  readonly httpErr: HttpErrorLog;
  readonly cache: ResponseCache;
  /** One access-log line (logging.accessLog): a request answered by a worker, the cache, or given up on. */
  requestDone(method: string, url: string, status: number | undefined, pool: string, workerPid?: number): void;
  readonly connections: Set<FramedConnection>;
  readonly sendRate: SendRateWatch;
  /** The sweep clock (ms, advanced once per sweep). */
  clock: number;
  requestsTotal: number;
  inFlight: number;
  limits(): ListenerLimits;
  maxHeadBytes(): number;
  admit(head: AcceptedHead): [Route, AppPool] | 'notFound' | 'limit';
  linkFor(worker: WorkerProcess): HostLink;
  streamOpen(socket: net.Socket): StreamOpen;
  /** Bounds the life of a connection that got its final page (the client's close usually comes first). */
  linger(socket: net.Socket): void;
}

export class FramedListener implements FramedContext {
  readonly server: net.Server;
  readonly httpErr: HttpErrorLog;
  readonly connections = new Set<FramedConnection>();
  readonly sendRate: SendRateWatch;
  cache: ResponseCache;
  clock = Date.now();
  requestsTotal = 0;
  inFlight = 0;
  private routes: RoutingTable;
  private forwarding: ForwardingPolicy;
  private maxConnections: number;
  private admitted = 0;
  private readonly links = new WeakMap<WorkerProcess, HostLink>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepPeriod = 1000;
  private stopping = false;
  private readonly accessLog: Logger | null;
  /** Event logs of the pools (the host's one, in practice) → unsubscribe. */
  private readonly eventLogs = new Map<EventLog, () => void>();

  constructor(
    private config: W3Config,
    private readonly pools: Map<string, AppPool>,
    log: Logger,
  ) {
    this.routes = new RoutingTable(config.applications);
    this.forwarding = new ForwardingPolicy(config.forwarding);
    const l = config.logging;
    this.httpErr = new HttpErrorLog(log.child({ log: 'httperr' }), l.httpErrLog, {
      truncateSize: l.httpErrLogTruncateSize,
      keep: l.maxLogFiles,
    });
    this.accessLog = l.accessLog ? log.child({ log: 'access' }) : null;
    this.cache = new ResponseCache(config.cache);
    this.maxConnections = effectiveMaxConnections(config.limits.maxConnections);
    this.sendRate = new SendRateWatch(config.timers.minBytesPerSecond);
    this.server = net.createServer({ noDelay: true }, (s) => this.onConnection(s));
    this.armSweep();
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

  requestDone(method: string, url: string, status: number | undefined, pool: string, workerPid?: number): void {
    this.accessLog?.info({ method, url, status, pool, workerPid });
  }

  reconfigure(config: W3Config): void {
    this.config = config;
    this.routes = new RoutingTable(config.applications);
    this.forwarding = new ForwardingPolicy(config.forwarding);
    this.maxConnections = effectiveMaxConnections(config.limits.maxConnections);
    this.sendRate.bytesPerSecond = config.timers.minBytesPerSecond;
    // Routes and pools may have changed under the cached URLs.
    this.cache.close();
    this.cache = new ResponseCache(config.cache);
    this.watchPoolStops();
    this.armSweep();
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

  stats(): ListenerStats {
    return {
      connections: this.connections.size,
      maxConnections: this.maxConnections,
      inFlight: this.inFlight,
      requestsTotal: this.requestsTotal,
      cache: { slots: this.cache.size, bytes: this.cache.usedBytes, captureBytes: this.cache.captureBytes },
    };
  }

  /**
   * Host stop: stops accepting; idle connections close now and the others as soon as their response ended (the
   * sweep closes idle ones while stopping); resolves when the last is gone (the host's grace then calls
   * destroyConnections).
   */
  close(): Promise<void> {
    this.stopping = true;
    this.cache.close();
    this.sendRate.close();
    for (const unsubscribe of this.eventLogs.values()) unsubscribe();
    this.eventLogs.clear();
    return new Promise((resolve) => {
      this.server.close(() => {
        if (this.sweepTimer) clearInterval(this.sweepTimer);
        this.sweepTimer = null;
        resolve();
      });
      this.closeIdle();
    });
  }

  destroyConnections(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const c of this.connections) c.destroy();
    if (this.server.listening) this.server.close();
  }

  private closeIdle(): void {
    for (const c of this.connections) if (c.idle) c.destroy();
  }

  // ---- FramedContext ----------------------------------------------------------------------------------------

  limits(): ListenerLimits {
    return this.config.limits;
  }

  maxHeadBytes(): number {
    const l = this.config.limits;
    return l.maxRequestBytes + l.maxUrlLength + 1;
  }

  admit(head: AcceptedHead): [Route, AppPool] | 'notFound' | 'limit' {
    const route = this.routes.match(head.host === undefined ? '' : hostName(head.host), head.target.path);
    const pool = route ? this.pools.get(route.pool) : undefined;
    if (!route || !pool) return 'notFound';
    if (route.active >= this.config.limits.appConcurrentRequestLimit) return 'limit';
    return [route, pool];
  }

  linkFor(worker: WorkerProcess): HostLink {
    let link = this.links.get(worker);
    if (!link || !link.alive) {
      link = new HostLink((worker.transportAddress() as { path: string }).path);
      this.links.set(worker, link);
    }
    return link;
  }

  streamOpen(s: net.Socket): StreamOpen {
    const a = plainAddress(s.remoteAddress ?? '');
    const open: StreamOpen = { a, p: s.remotePort ?? 0, la: plainAddress(s.localAddress ?? ''), lp: s.localPort ?? 0 };
    if (this.forwarding.isTrusted(a)) open.t = 1;
    if (!this.forwarding.addHeaders) open.n = 1;
    return open;
  }

  linger(socket: net.Socket): void {
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  // ---- connections and timers -------------------------------------------------------------------------------

  private onConnection(s: net.Socket): void {
    const over = this.admitted >= this.maxConnections;
    if (!over) this.admitted++;
    const c = new FramedConnection(s, this, over);
    this.connections.add(c);
    s.once('close', () => {
      this.connections.delete(c);
      if (!over) this.admitted--;
    });
  }

  private armSweep(): void {
    const t = this.config.timers;
    const shortest = [t.connectionTimeout, t.headerWaitTimeout, t.entityBodyTimeout].filter((x) => x > 0);
    const period = Math.max(50, Math.min(1000, Math.floor(Math.min(...shortest, 4000) / 4)));
    this.sweepPeriod = period;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = setInterval(() => this.sweep(), period);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = (this.clock = Date.now());
    if (this.stopping) this.closeIdle();
    const t = this.config.timers;
    // Activity is stamped with the clock of the last sweep, up to one period before it happened: a timer fires only
    // once its full time has certainly passed (late by at most two periods, never early).
    const p = this.sweepPeriod;
    for (const c of this.connections) {
      const quiet = now - c.lastActive - p;
      if (c.overLimit && quiet > LINGER_MS) {
        c.expire('ConnLimit');
      } else if (c.headSince > 0 && t.headerWaitTimeout > 0 && now - c.headSince - p > t.headerWaitTimeout) {
        c.expire('Timer_HeaderWait');
      } else if (c.idle && c.headSince === 0 && t.connectionTimeout > 0 && quiet > t.connectionTimeout) {
        c.expire('Timer_ConnectionIdle');
      } else if (c.responding) {
        const limit = c.stallLimit(t.connectionTimeout);
        if (limit > 0 && quiet > limit) c.abandonStalled();
      } else if (c.waitingForBody && t.entityBodyTimeout > 0 && quiet > t.entityBodyTimeout) {
        c.expire('Timer_EntityBody');
      }
    }
  }
}

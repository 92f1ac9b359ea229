// What the listeners of both transports share (listener.ts on HTTP, framed-listener.ts on frames): the state that
// comes from the configuration — routing and the per-application limit (admit), maxConnections, the HTTPERR and
// access logs, the response cache, the minimum send rate, the forwarding policy — and its swap on a reload; the watch
// that empties a stopped pool's cached responses; listen(); the counts of GET /listener; and the shared part of a
// host stop. Each transport's listener adds how it reads connections and runs their timers.
import type net from 'node:net';
import { RoutingTable, type Route } from './routing';
import { HttpErrorLog } from './http-error-log';
import { ResponseCache } from './response-cache';
import { SendRateWatch } from './send-rate';
import { ForwardingPolicy } from './forwarding';
import { effectiveMaxConnections } from './connection-limit';
import { hostName } from './host-header';
import type { AcceptedHead } from './request-limits';
import type { AppPool } from '../manager/app-pool';
import type { EventLog } from '../events/event-log';
import type { W3Config } from '../config/types';
import type { Logger } from '../util/logger';

export interface ListenerStats {
  connections: number;
  maxConnections: number;
  inFlight: number;
  requestsTotal: number;
  cache: { slots: number; bytes: number; captureBytes: number };
}

export abstract class ListenerCore {
  abstract readonly server: net.Server;
  readonly httpErr: HttpErrorLog;
  readonly sendRate: SendRateWatch;
  /** Replaced on a reload (routes and pools may have changed under the cached URLs). */
  cache: ResponseCache;
  requestsTotal = 0;
  protected routes: RoutingTable;
  protected forwarding: ForwardingPolicy;
  protected maxConnections: number;
  /** Connections within maxConnections (the ones beyond are only being answered 503). */
  protected admitted = 0;
  /** logging.accessLog: one line per request answered by a worker or the cache, or given up on. */
  protected readonly accessLog: Logger | null;
  /** Event logs of the pools (the host's one, in practice) → unsubscribe. */
  private readonly eventLogs = new Map<EventLog, () => void>();

  constructor(
    protected config: W3Config,
    protected readonly pools: Map<string, AppPool>,
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
    this.watchPoolStops();
  }

  /** Requests admitted and not yet finished (queued, at a worker, or tunnels). */
  abstract readonly inFlight: number;
  /** Client connections open now (within maxConnections or not). */
  protected abstract connectionCount(): number;
  /** Host stop: stops accepting, closes connections as they become idle; resolves when the last is gone. */
  abstract close(): Promise<void>;
  /**
   * Host stop, once every worker has exited: each connection closes as soon as its last bytes are in the kernel
   * (closeOnceSent in connection-state.ts), at once when it has nothing left to send.
   */
  abstract closeOnceSent(): void;
  /** The end of a stop (or a failed start): every client connection still open is closed now. */
  abstract destroyConnections(): void;

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

  /** Swaps routing, limits, the send rate, forwarding and the cache after a reload (the host updates the pools). */
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
    const c = this.cache;
    return {
      connections: this.connectionCount(),
      maxConnections: this.maxConnections,
      inFlight: this.inFlight,
      requestsTotal: this.requestsTotal,
      cache: { slots: c.size, bytes: c.usedBytes, captureBytes: c.captureBytes },
    };
  }

  /** Routing (host + canonical path → application → pool) and the per-application limit. */
  admit(head: AcceptedHead): [Route, AppPool] | 'notFound' | 'limit' {
    const route = this.routes.match(head.host === undefined ? '' : hostName(head.host), head.target.path);
    const pool = route ? this.pools.get(route.pool) : undefined;
    if (!route || !pool) return 'notFound';
    if (route.active >= this.config.limits.appConcurrentRequestLimit) return 'limit';
    return [route, pool];
  }

  /** The start of a host stop, for what this class owns: the cache, the send-rate tick, the pool-stop watch. */
  protected stopShared(): void {
    this.cache.close();
    this.sendRate.close();
    for (const unsubscribe of this.eventLogs.values()) unsubscribe();
    this.eventLogs.clear();
  }
}

// The listener under the framed transport (listener.transport: frames; docs/transport.md, option B): a net.Server
// whose connections are read by FramedConnection (its own head scanner, no HTTP parse in this process) and carried
// to module-mode workers as streams of one framed Unix-socket link per worker (HostLink). What both transports'
// listeners share (routing and the per-application limit, maxConnections, the HTTPERR and access logs, the response
// cache, the minimum send rate, forwarding) is listener-core.ts; this file owns what all framed connections share
// beyond it: the links, the admission of connections, and the connection timers, which run as one sweep over all
// connections on a coarse clock instead of a Node timer per socket (idle: Timer_ConnectionIdle, head:
// Timer_HeaderWait, request body: Timer_EntityBody; precision is the sweep period, at most a quarter of the shortest
// timer and never above one second). Command-mode pools never get here: a configuration with one runs the HTTP
// listener (host.ts).
import net from 'node:net';
import type { Route } from './routing';
import type { HttpErrorLog } from './http-error-log';
import type { ResponseCache } from './response-cache';
import type { SendRateWatch } from './send-rate';
import { LINGER_MS } from './connection-state';
import { plainAddress } from './forwarding';
import type { AcceptedHead } from './request-limits';
import { FramedConnection } from './framed-connection';
import { ListenerCore } from './listener-core';
import { HostLink } from '../transport/host-link';
import type { StreamOpen } from '../transport/virtual-socket';
import type { AppPool } from '../manager/app-pool';
import type { WorkerProcess } from '../manager/worker-process';
import type { W3Config, ListenerLimits } from '../config/types';
import type { Logger } from '../util/logger';

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

export class FramedListener extends ListenerCore implements FramedContext {
  readonly server: net.Server;
  readonly connections = new Set<FramedConnection>();
  clock = Date.now();
  inFlight = 0;
  private readonly links = new WeakMap<WorkerProcess, HostLink>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepPeriod = 1000;
  private stopping = false;

  constructor(config: W3Config, pools: Map<string, AppPool>, log: Logger) {
    super(config, pools, log);
    this.server = net.createServer({ noDelay: true }, (s) => this.onConnection(s));
    this.armSweep();
  }

  requestDone(method: string, url: string, status: number | undefined, pool: string, workerPid?: number): void {
    this.accessLog?.info({ method, url, status, pool, workerPid });
  }

  override reconfigure(config: W3Config): void {
    super.reconfigure(config);
    this.armSweep();
  }

  protected override connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Host stop: stops accepting; idle connections close now and the others as soon as their response ended (the
   * sweep closes idle ones while stopping); resolves when the last is gone (the host's grace then calls
   * destroyConnections).
   */
  override close(): Promise<void> {
    this.stopping = true;
    this.stopShared();
    return new Promise((resolve) => {
      this.server.close(() => {
        if (this.sweepTimer) clearInterval(this.sweepTimer);
        this.sweepTimer = null;
        resolve();
      });
      this.closeIdle();
    });
  }

  override closeOnceSent(): void {
    for (const c of this.connections) c.closeOnceSent();
  }

  override destroyConnections(): void {
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

// The state of one client connection under the framed transport, and the bookkeeping of the request in progress:
// where the connection is (reading a head, a request waiting for or at a worker, a tunnel, closing), what is held for
// a replay, the counts a request takes part in (its application's and the listener's), its access-log line, its one
// HTTPERR line, and how it leaves its pool job. A framed connection is one object built in layers, one concept per
// file: this state, how a request ends other than by its response (framed-outcomes.ts), reading the client's
// requests (framed-request-reader.ts) and the worker's side (framed-connection.ts, the class the listener creates).
import type net from 'node:net';
import type { PoolJob, RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { AppPool } from '../manager/app-pool';
import { describeSocket, type HttpErrReason, type HttpErrEntry } from './http-error-log';
import { PAGES } from './httpsys-responses';
import type { LimitViolation } from './request-limits';
import type { Route } from './routing';
import { HeadScanner, type ScannedHead } from '../transport/head-scanner';
import { BodyScanner } from '../transport/body-scanner';
import type { FramedCacheCapture } from './framed-cache-capture';
import { isReplayable } from './worker-failure';
import type { HostLink } from '../transport/host-link';
import type { FramedContext } from './framed-listener';

type State = 'head' | 'waiting' | 'tunnel' | 'closing';

export abstract class FramedConnectionState implements PoolJob {
  // SendRateTracked (send-rate.ts): each DATA frame handed to the client gets its own size/rate allowance.
  sendDeadline = 0;
  sendTotal = 0;
  sendHanded = 0;
  protected watchingSend = false;
  /** The request whose response is watched (it may outlive `head`: the next request can start meanwhile). */
  protected sendHead: ScannedHead | null = null;

  // PoolJob
  dispatchedAt = 0;
  responseStarted = false;
  cancelled = false;
  avoid: WorkerProcess | null = null;
  /** The worker this connection has a stream on: its next request goes there unless the pool moves it (app-pool.ts
   *  keepsAffinity), and since when (set by the pool). */
  prefer: WorkerProcess | null = null;
  preferSince = 0;

  /** Sweep clock values (framed-listener.ts): last activity, start of the current head (0: none). */
  lastActive: number;
  headSince = 0;
  protected state: State = 'head';
  protected buf: Buffer | null = null;
  protected readonly scanner: HeadScanner;
  protected readonly body = new BodyScanner();
  protected head: ScannedHead | null = null;
  /** Bytes of the current request (head and body so far) kept for a replay, while it is replayable. */
  protected held: Buffer[] | null = null;
  protected bodyDone = true;
  protected route: Route | null = null;
  protected pool: AppPool | null = null;
  protected worker: WorkerProcess | null = null;
  protected link: HostLink | null = null;
  protected stream = 0;
  protected attempts = 0;
  protected active = false;
  protected workerFin = false;
  protected pausedByWorker = false;
  /** The listener asked the worker to PAUSE this stream (the client reads slowly). */
  protected pausedWorker = false;
  /** Status of the response being sent (0: none yet, or a 100 Continue's). */
  protected status = 0;
  /** This request already wrote its HTTPERR line. */
  protected recorded = false;
  /** The response being read for the response cache (the worker announced Cache-Control). */
  protected capture: FramedCacheCapture | null = null;
  /** Pipelined heads wait until the client took the cache hits written before them ('drain'). */
  protected waitingForDrain = false;

  constructor(
    protected readonly socket: net.Socket,
    protected readonly ctx: FramedContext,
    readonly overLimit: boolean,
  ) {
    this.scanner = new HeadScanner(ctx.maxHeadBytes());
    this.lastActive = ctx.clock;
  }

  abstract run(worker: WorkerProcess): void;
  abstract reject(reason: RejectReason, tcpReset: boolean): void;

  protected replayable(): boolean {
    const h = this.head!;
    const body = h.contentLength > 0 || h.chunked || h.upgrade;
    return isReplayable(this.pool!.config.retryIdempotent, h.method, body);
  }

  protected closeWith(bytes: Buffer): void {
    this.state = 'closing';
    if (this.link && this.stream) this.link.reset(this.stream);
    this.stream = 0;
    if (this.socket.destroyed) return;
    this.socket.end(bytes);
    this.ctx.linger(this.socket);
  }

  /** One HTTPERR line per request at most (a connection-level event writes its own). */
  protected record(reason: HttpErrReason, status?: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.ctx.httpErr.write({ ...this.describe(), status, reason, queue: this.pool?.name });
  }

  protected recordRaw(v: LimitViolation, raw: Buffer): void {
    const line = raw
      .subarray(0, Math.max(0, raw.indexOf(10)))
      .toString('latin1')
      .trim()
      .split(' ');
    this.ctx.httpErr.write({
      ...describeSocket(this.socket),
      method: line[0] || undefined,
      uri: line[1],
      status: PAGES[v.page].status,
      reason: v.reason,
    });
  }

  protected describe(h = this.head): Omit<HttpErrEntry, 'reason'> {
    if (!h) return describeSocket(this.socket);
    return {
      ...describeSocket(this.socket),
      version: `${h.httpVersionMajor}.${h.httpVersionMinor}`,
      method: h.method,
      uri: h.url,
    };
  }

  /** The request stops counting (application and listener counts); it never ran or already left its worker. */
  protected leave(): void {
    if (!this.active) return;
    this.active = false;
    this.route!.active--;
    this.ctx.inFlight--;
    this.dropCapture();
  }

  /** A queued request that will never run (the client left, a timer, a bad body): out of the queue, logged. */
  protected dequeue(): void {
    if (!this.active) return;
    this.pool!.cancel(this);
    this.logAccess(undefined);
    this.leave();
  }

  protected finishJob(completed: boolean): void {
    if (!this.active) return;
    const w = this.worker;
    this.worker = null;
    // Tunnels are not requests of the access log (the HTTP transport's TunnelJob writes none either).
    if (this.state !== 'tunnel') this.logAccess(w?.pid);
    this.leave();
    if (w) this.pool!.jobDone(w, this, completed);
  }

  /** The access-log line of the request in progress (status: what the client was sent, if anything). */
  private logAccess(pid: number | undefined): void {
    const h = this.head;
    if (h) this.ctx.requestDone(h.method, h.url, this.status || undefined, this.pool!.name, pid);
  }

  protected dropCapture(): void {
    this.capture?.release();
    this.capture = null;
  }
}

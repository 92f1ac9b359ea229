// One client request on its way through a pool to a worker, and back. The response is streamed from the worker
// (undici dispatch over the worker's Unix socket) to the client connection, which the listener owns: a worker
// that dies never closes it. What a failure of the worker's transport means for the request (replay, 502, or the
// connection closed when part of the response was sent) is decided by worker-failure.ts, the same rule as frames.
// The job also runs the request's own HTTP.SYS timers: the entity-body inactivity timer (entity-body-timer.ts) and
// the minimum send rate (send-rate.ts); the queue timer (requestQueueTimeout → 503 Timer_AppPool) belongs to the
// pool's queue, which answers through reject(). It fills the response cache (cache-capture.ts). Every outcome the
// listener imposes writes exactly one HTTPERR line (`record`).
//
// Nothing is left "in flight": a job ends (`done`/`dequeue`) on every path — the client leaving or the listener
// cutting it off before the worker connection exists (the abort is applied as soon as it does, in onConnect), a
// worker that never answers a response's announced length (the upstream body timer, connectionTimeout), a
// response the client cannot be sent (invalid headers → 502).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { PoolJob, RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { AppPool } from '../manager/app-pool';
import type { ListenerContext } from './listener';
import type { HttpErrReason } from './http-error-log';
import { sendPage, type PageName } from './httpsys-responses';
import { markClosing, markIdle, type Abandonable } from './connection-state';
import type { SendRateTracked } from './send-rate';
import { CacheCapture } from './cache-capture';
import { requestCacheable } from './cache-policy';
import { ResponseCache } from './response-cache';
import { armEntityBodyTimer, clampTimer } from './entity-body-timer';
import { HOP_BY_HOP, connectionNamed, upstreamHeaders } from './hop-headers';
import type { AcceptedHead } from './request-limits';
import type { Route } from './routing';
import { decideFailure, emitFailure, isReplayable, badGatewayHeaders, BAD_GATEWAY_BODY } from './worker-failure';

export { IDEMPOTENT_METHODS } from './worker-failure';

export class ProxyJob implements PoolJob, Dispatcher.DispatchHandler, Abandonable, SendRateTracked {
  dispatchedAt = 0;
  responseStarted = false;
  cancelled = false;
  avoid: WorkerProcess | null = null;
  /** The job has left the pool (answered, rejected or abandoned); the response may still be flushing. */
  finished = false;
  sendDeadline = 0;
  sendTotal = 0;
  sendHanded = 0;
  private worker: WorkerProcess | null = null;
  private attempts = 0;
  /** The HTTPERR reason once one was written: a job records at most one. */
  private recorded: HttpErrReason | null = null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private watchingSend = false;
  private capture: CacheCapture | null = null;
  private readonly headers: string[];
  private readonly hasBody: boolean;
  /** Content-Length of the worker's response (null: chunked or unknown). */
  private bodyLength: number | null = null;
  private lastChunk: Buffer | null = null;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly head: AcceptedHead,
    private readonly route: Route,
    private readonly pool: AppPool,
    private readonly ctx: ListenerContext,
  ) {
    this.headers = upstreamHeaders(req, head, ctx.forwarding, route.app.path);
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.hasBody = te !== undefined || (cl !== undefined && cl !== '0');
    route.active++;
    ctx.inFlight++;
    res.once('close', () => this.onResponseClose());
  }

  // ---- PoolJob --------------------------------------------------------------------------------------------

  run(worker: WorkerProcess): void {
    this.worker = worker;
    this.attempts++;
    const upstream = worker.upstream;
    if (!upstream) return this.onError(new Error('worker has no upstream'));
    const idle = this.ctx.timers.connectionTimeout;
    const progress = this.pool.config.processModel.requestProgressTimeout;
    upstream.dispatch(
      {
        path: this.head.target.upstream,
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.hasBody ? this.bodyStream() : null,
        idempotent: false, // w3 decides about replays itself
        // A response that stops arriving (e.g. a Content-Length its body never reaches) is abandoned after the
        // idle-connection time, or the pool's requestProgressTimeout when shorter, instead of holding the client
        // forever. Paused by backpressure, it does not run.
        bodyTimeout: shortestTimer(idle, progress),
      },
      this,
    );
  }

  /** undici destroys a failed request's body stream; a pipe keeps that from destroying the client socket. */
  private bodyStream(): PassThrough {
    const pt = new PassThrough();
    // undici listens for the body's errors only once its request exists on a connection. A request waiting in
    // undici's pool queue (a connection stays busy there a moment after w3 freed its slot) has no such listener:
    // the destroy below would throw an unhandled 'error' and take the host down. Its abort comes in onConnect.
    pt.on('error', () => undefined);
    this.req.pipe(pt);
    // A client that goes away mid-body must fail the upstream request too (the pipe alone would leave it waiting).
    this.req.once('close', () => {
      if (!this.req.complete) pt.destroy(new Error('client closed the connection during the request body'));
    });
    const ms = this.ctx.timers.entityBodyTimeout;
    if (ms > 0 && !this.req.complete) armEntityBodyTimer(this.req, pt, ms, () => this.abandon('Timer_EntityBody'));
    return pt;
  }

  reject(reason: RejectReason, tcpReset: boolean): void {
    if (this.finished) return;
    this.record(reason, tcpReset ? undefined : 503);
    markClosing(this.req.socket);
    this.leave();
    if (tcpReset) this.req.socket.resetAndDestroy();
    else sendPage(this.res, 'serviceUnavailable');
  }

  // ---- undici handler (legacy callback API, the fastest path in undici 7) ----------------------------------

  onConnect(abort: (err?: Error) => void): void {
    // The client left (or the listener gave up on it) before the worker connection existed: nothing could be
    // aborted then, so abort now.
    if (this.cancelled || this.recorded) return abort(new Error('the client request ended before dispatch'));
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText?: string): boolean {
    const res = this.res;
    if (res.destroyed) {
      this.abortUpstream?.(new Error('client closed the connection'));
      return false;
    }
    const out: string[] = [];
    let headBytes = 17;
    let contentLength: number | null = null;
    let cacheControl = false;
    let connection: string | undefined;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i]!.toString('latin1');
      const lk = k.toLowerCase();
      const v = rawHeaders[i + 1]!.toString('latin1');
      if (HOP_BY_HOP.has(lk)) {
        if (lk === 'connection') connection = connection === undefined ? v : `${connection}, ${v}`;
        continue;
      }
      out.push(k, v);
      headBytes += k.length + v.length + 4;
      if (lk === 'content-length') contentLength = Number(v);
      else if (lk === 'cache-control') cacheControl = true;
    }
    const named = connectionNamed(connection);
    const headers = named === null ? out : out.filter((_, i) => !named.has(out[i - (i % 2)]!.toLowerCase()));
    // Only a response that asks to be cached costs anything here.
    if (cacheControl && this.ctx.cache.config.enabled && requestCacheable(this.req)) {
      this.capture = CacheCapture.begin(statusCode, headers, this.ctx.cache);
    }
    headers.push('X-W3-Worker-Pid', String(this.worker!.pid));
    try {
      if (statusText) res.writeHead(statusCode, statusText, headers);
      else res.writeHead(statusCode, headers);
    } catch (err) {
      // A header Node refuses to send (invalid characters, a bad status): the worker's response cannot be relayed.
      this.invalidResponse(err as Error);
      return false;
    }
    this.responseStarted = true;
    this.resume = resume;
    this.bodyLength = contentLength;
    const rate = this.ctx.sendRate;
    if (rate.enabled) {
      this.watchingSend = true;
      rate.start(this, headBytes, contentLength);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.watchingSend) this.ctx.sendRate.sent(this, chunk.length);
    if (this.capture && !this.capture.add(chunk)) this.dropCapture();
    // A body that arrives whole is sent with the end of the response: one write to the client instead of two.
    if (this.bodyLength === chunk.length && this.lastChunk === null) {
      this.lastChunk = chunk;
      return true;
    }
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', () => this.resume?.());
    return ok;
  }

  onComplete(): void {
    const last = this.lastChunk;
    this.lastChunk = null;
    if (last) this.res.end(last);
    else this.res.end();
    if (this.capture) this.capture.finish(ResponseCache.key(this.req.headers.host, this.req.url ?? '/'), this.pool);
    this.capture = null;
    this.done(true);
  }

  onError(err: Error): void {
    if (this.finished) return;
    const w = this.worker!;
    const res = this.res;
    this.dropCapture();
    if (this.cancelled || res.destroyed || this.recorded) {
      // The client left (or the listener cut it off) first; nothing to answer.
      this.record('Connection_Dropped');
      return this.done(false);
    }
    const outcome = decideFailure(
      {
        responseStarted: this.responseStarted,
        replayable: isReplayable(this.pool.config.retryIdempotent, this.req.method ?? '', this.hasBody),
        attempts: this.attempts,
      },
      this.pool,
    );
    emitFailure(this.pool, w, this.req, outcome, err.message);
    if (outcome === 'replay') {
      // The pool takes the job off `w` and back into its queue (or answers 503 QueueFull when it is full).
      this.abortUpstream = null;
      this.worker = null;
      this.pool.requeue(this, w);
      return;
    }
    if (outcome === 'badGateway') {
      this.badGateway();
      return this.done(false);
    }
    this.record('Connection_Abandoned_By_ReqQueue', res.statusCode);
    res.destroy();
    this.done(false);
  }

  /** 502 on a connection that stays usable only when the whole request was read (otherwise its framing is lost). */
  private badGateway(): void {
    const res = this.res;
    this.record('Connection_Abandoned_By_ReqQueue', 502);
    const keep = this.req.complete;
    if (!keep) {
      res.shouldKeepAlive = false;
      markClosing(this.req.socket);
    }
    res.writeHead(502, badGatewayHeaders(this.worker?.pid, keep));
    res.end(BAD_GATEWAY_BODY);
  }

  private invalidResponse(err: Error): void {
    emitFailure(this.pool, this.worker!, this.req, 'badGateway', `invalid response: ${err.message}`);
    this.dropCapture();
    this.badGateway();
    this.done(false);
    this.abortUpstream?.(err);
  }

  // ---- listener-imposed ends ------------------------------------------------------------------------------

  /**
   * The listener ends this request (a timer expired, a body parse error): one HTTPERR line, connection closed.
   * With `page` (a malformed body) the client gets that page when no response has started.
   */
  abandon(reason: HttpErrReason, page?: PageName): void {
    if (this.recorded) return;
    const res = this.res;
    const answer = page !== undefined && !res.headersSent && !res.destroyed;
    this.record(reason, answer ? 400 : res.headersSent ? res.statusCode : undefined);
    const socket = this.req.socket;
    markClosing(socket);
    if (answer) sendPage(res, page);
    // A plain close would leave the unsent response in the kernel, trickling to the slow client from an orphaned
    // socket; a reset frees it at once (HTTP.SYS aborts the connection too).
    else if (reason === 'Timer_MinBytesPerSecond') socket.resetAndDestroy();
    else socket.destroy();
    if (this.abortUpstream && !this.finished)
      this.abortUpstream(new Error(`listener closed the connection: ${reason}`));
    if (!this.finished && !this.worker) this.dequeue();
  }

  readingBody(): boolean {
    return this.hasBody && !this.req.complete && !this.finished;
  }

  onSendRateExpired(): void {
    this.watchingSend = false;
    this.abandon('Timer_MinBytesPerSecond');
  }

  sendBacklog(): number {
    return this.req.socket.writableLength;
  }

  // ---- bookkeeping ----------------------------------------------------------------------------------------

  private record(reason: HttpErrReason, status?: number): void {
    if (this.recorded) return;
    this.recorded = reason;
    this.ctx.httpErr.write({ ...this.ctx.describe(this.req), status, reason, queue: this.pool.name });
  }

  /** The response is done with the connection: finished and flushed to the kernel, or the connection closed. */
  private onResponseClose(): void {
    if (this.watchingSend) this.ctx.sendRate.stop(this);
    this.watchingSend = false;
    markIdle(this.req.socket);
    if (this.finished) return;
    this.cancelled = true;
    this.dropCapture();
    if (this.worker) {
      // Not connected yet: onConnect aborts as soon as it is.
      if (this.abortUpstream) this.abortUpstream(new Error('client closed the connection'));
    } else {
      // Still queued: the client left before a worker picked the request up.
      this.record('Client_Reset');
      this.dequeue();
    }
  }

  private dropCapture(): void {
    this.capture?.release();
    this.capture = null;
  }

  /** A queued job that will never run: the pool takes it out of its queue (freeing its slot at once); finish. */
  private dequeue(): void {
    this.pool.cancel(this);
    this.leave();
    this.ctx.onRequestDone(this.req, this.res, this.pool.name, undefined);
  }

  /** The one place a job stops counting as in progress (the application's and the listener's counts). */
  private leave(): void {
    if (this.finished) return;
    this.finished = true;
    this.route.active--;
    this.ctx.inFlight--;
  }

  private done(completed: boolean): void {
    if (this.finished) return;
    this.leave();
    const w = this.worker;
    if (w) this.pool.jobDone(w, this, completed);
    this.ctx.onRequestDone(this.req, this.res, this.pool.name, w?.pid);
  }
}

/** The shorter of two timer settings where 0 means off (0 when both are). */
function shortestTimer(a: number, b: number): number {
  const on = [a, b].filter((ms) => ms > 0);
  return on.length === 0 ? 0 : clampTimer(Math.min(...on));
}

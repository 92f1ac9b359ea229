// One client connection under the framed transport (listener.transport: frames). The listener reads the client's
// bytes itself: a head scanner finds each request head (limits, routing, admission are decided on it), a body
// scanner finds where the request ends, and the bytes go to the worker unchanged in DATA frames of this
// connection's stream; the worker's response bytes come back the same way and are written to the client as they
// are. One request is handled at a time: the next pipelined head is read only once the response before it ended
// (RESP_END), so responses stay in order and nothing runs behind a rejected request.
//
// A request is a PoolJob: the pool decides when and on which worker it runs. What a worker failure means depends on
// how far the request got, as on the HTTP transport: no response byte sent to the client yet, idempotent and
// bodiless → replayed once more on another worker (retryIdempotent); otherwise no byte yet → 502 (the connection
// stays open when the request was fully read); response partly sent → the client connection is closed and the
// request recorded as abandoned. Every rejection or abandonment writes one HTTPERR line.
import type net from 'node:net';
import type { PoolJob, RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { AppPool } from '../manager/app-pool';
import type { HttpErrReason, HttpErrEntry } from './http-error-log';
import { rawPage, PAGES, type PageName } from './httpsys-responses';
import { checkRequest, isViolation, parserErrorPage, BAD_REQUEST, type LimitViolation } from './request-limits';
import type { Route } from './routing';
import { HeadScanner, HeadScanError, type ScannedHead } from '../transport/head-scanner';
import { BodyScanner } from '../transport/body-scanner';
import { RespEndFlags } from '../transport/frame-codec';
import { headCacheable } from './cache-policy';
import { FramedCacheCapture, cacheKey, hitBytes } from './framed-cache-capture';
import { decideFailure, emitFailure, isReplayable, badGatewayBytes } from './worker-failure';
import type { HostLink, StreamHandler } from '../transport/host-link';
import type { FramedContext } from './framed-listener';
import type { SendRateTracked } from './send-rate';

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = [Buffer.from('\r\nContent-Length:'), Buffer.from('\r\ncontent-length:')];

/**
 * The Content-Length of a response head that ends at `end` in `chunk` (null: none, or an unusual spelling). Node
 * writes `Content-Length` when it computes it and the application's spelling otherwise: the two common ones are
 * searched as bytes, anything else by a lower-cased copy.
 */
function contentLengthIn(chunk: Buffer, end: number): number | null {
  const head = chunk.subarray(0, end);
  let at = head.indexOf(CONTENT_LENGTH[0]!);
  if (at === -1) at = head.indexOf(CONTENT_LENGTH[1]!);
  if (at === -1) at = head.toString('latin1').toLowerCase().indexOf('\r\ncontent-length:');
  if (at === -1) return null;
  const from = at + CONTENT_LENGTH[0]!.length;
  const eol = head.indexOf(13, from);
  const n = Number(head.toString('latin1', from, eol === -1 ? end : eol).trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Client bytes held while a request waits for a worker or a response (beyond it, the client is paused). */
const HOLD_LIMIT = 256 * 1024;

type State = 'head' | 'waiting' | 'tunnel' | 'closing';

export class FramedConnection implements StreamHandler, PoolJob, SendRateTracked {
  // SendRateTracked (send-rate.ts): each DATA frame handed to the client gets its own size/rate allowance.
  sendDeadline = 0;
  sendTotal = 0;
  sendHanded = 0;
  private watchingSend = false;
  /** The request whose response is watched (it may outlive `head`: the next request can start meanwhile). */
  private sendHead: ScannedHead | null = null;

  // PoolJob
  dispatchedAt = 0;
  responseStarted = false;
  cancelled = false;
  avoid: WorkerProcess | null = null;
  /** The worker this connection has a stream on: the next request goes there when it is not busier. */
  prefer: WorkerProcess | null = null;
  stalls = 0;

  /** Sweep clock values (framed-listener.ts): last activity, start of the current head (0: none). */
  lastActive: number;
  headSince = 0;
  private state: State = 'head';
  private buf: Buffer | null = null;
  private readonly scanner: HeadScanner;
  private readonly body = new BodyScanner();
  private head: ScannedHead | null = null;
  /** Bytes of the current request (head and body so far) kept for a replay, while it is replayable. */
  private held: Buffer[] | null = null;
  private bodyDone = true;
  private route: Route | null = null;
  private pool: AppPool | null = null;
  private worker: WorkerProcess | null = null;
  private link: HostLink | null = null;
  private stream = 0;
  private attempts = 0;
  private active = false;
  private workerFin = false;
  private pausedByWorker = false;
  /** The listener asked the worker to PAUSE this stream (the client reads slowly). */
  private pausedWorker = false;
  /** Status of the response being sent (0: none yet, or a 100 Continue's). */
  private status = 0;
  /** This request already wrote its HTTPERR line. */
  private recorded = false;
  /** The response being read for the response cache (the worker announced Cache-Control). */
  private capture: FramedCacheCapture | null = null;
  /** Pipelined heads wait until the client took the cache hits written before them ('drain'). */
  private waitingForDrain = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: FramedContext,
    readonly overLimit: boolean,
  ) {
    this.scanner = new HeadScanner(ctx.maxHeadBytes());
    this.lastActive = ctx.clock;
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClientClose());
    socket.on('drain', () => {
      if (this.watchingSend && !this.active) this.stopSendWatch();
      if (this.waitingForDrain) {
        this.waitingForDrain = false;
        if (!this.pausedByWorker) this.socket.resume();
        this.readHead();
      }
      if (!this.pausedWorker) return;
      this.pausedWorker = false;
      // The stall watch starts over from here (the worker was held back, not silent).
      this.lastActive = this.ctx.clock;
      if (this.link && this.stream) this.link.resume(this.stream);
    });
  }

  // ---- client side --------------------------------------------------------------------------------------------

  private onClientData(chunk: Buffer): void {
    this.lastActive = this.ctx.clock;
    if (this.state === 'closing') return;
    if (this.state === 'tunnel') return this.forward(chunk);
    if (this.state === 'waiting' && !this.bodyDone) {
      // Body bytes of the request in progress: to the worker as they come (or held until it is dispatched).
      const n = this.body.consume(chunk, 0, chunk.length);
      if (n instanceof HeadScanError) return this.bodyError(n);
      this.forward(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (this.body.done) this.bodyDone = true;
      if (n < chunk.length) this.hold(chunk.subarray(n));
      // The response ended before the body did (the worker discards the rest): the next head may start now.
      if (this.bodyDone && !this.active) this.nextRequest();
      return;
    }
    this.hold(chunk);
    if (this.state === 'head') this.readHead();
  }

  private hold(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > HOLD_LIMIT && this.state !== 'head') this.socket.pause();
  }

  /** Reads the requests in the buffer: one that goes to a worker, or any number answered from the cache. */
  private readHead(): void {
    while (this.state === 'head' && this.buf !== null && this.buf.length > 0) {
      if (!this.readOneHead()) return;
      if (this.socket.writableNeedDrain) {
        // Cache hits the client has not read yet: no more of them until it does.
        this.waitingForDrain = true;
        this.socket.pause();
        return;
      }
    }
  }

  /** True when the request was answered here (a cache hit) and the next one may be read at once. */
  private readOneHead(): boolean {
    const buf = this.buf!;
    if (this.headSince === 0) this.headSince = this.ctx.clock;
    const h = this.scanner.scan(buf, 0, buf.length);
    if (h === null) return false;
    if (h instanceof HeadScanError) {
      this.parseError(h);
      return false;
    }
    this.headSince = 0;
    this.scanner.reset();
    this.ctx.requestsTotal++;
    this.head = h;
    this.recorded = false;
    this.status = 0;
    if (this.overLimit) return this.rejected('serviceUnavailable', 'ConnLimit');
    if (h.method === 'CONNECT') return this.rejected(BAD_REQUEST.page, BAD_REQUEST.reason);
    const checked = checkRequest(h, this.ctx.limits());
    if (isViolation(checked)) return this.rejected(checked.page, checked.reason);
    // An empty cache costs one property read; a full one a key and a Map get for eligible requests.
    if (this.ctx.cache.size > 0 && this.serveFromCache(h, buf)) return this.state === 'head';
    const admitted = this.ctx.admit(checked);
    if (admitted === 'notFound') return this.rejected('notFound', 'NotFound');
    if (admitted === 'limit') return this.rejected('concurrentRequestLimit', 'AppConcurrentRequestLimit');
    [this.route, this.pool] = admitted;
    // The head and whatever of the body already arrived; the rest of the buffer is the next request.
    this.body.start(h.contentLength, h.chunked);
    const n = this.body.consume(buf, h.length, buf.length);
    if (n instanceof HeadScanError) {
      this.parseErrorAfterHead(n);
      return false;
    }
    this.bodyDone = this.body.done;
    this.held = [buf.subarray(0, n)];
    this.buf = n < buf.length ? buf.subarray(n) : null;
    this.state = 'waiting';
    this.route.active++;
    this.ctx.inFlight++;
    this.active = true;
    this.attempts = 0;
    this.cancelled = false;
    this.avoid = null;
    this.pool.submit(this);
    return false;
  }

  private rejected(page: PageName, reason: HttpErrReason): false {
    this.reject(page, reason);
    return false;
  }

  /** A hit of the response cache, answered as the HTTP transport's listener answers it. */
  private serveFromCache(h: ScannedHead, buf: Buffer): boolean {
    if (!headCacheable(h)) return false;
    const cache = this.ctx.cache;
    const e = cache.lookup(cacheKey(h));
    if (!e) return false;
    this.ctx.requestDone(h.method, h.url, 200, e.pool.name, undefined);
    this.head = null;
    // A cacheable request has no body: the next request starts right after the head.
    this.buf = h.length < buf.length ? buf.subarray(h.length) : null;
    const bytes = hitBytes(e, cache.age(e), h.keepAlive);
    if (h.keepAlive) this.socket.write(bytes);
    else this.closeWith(bytes);
    return true;
  }

  /** Client bytes of the current request: to the worker when it runs, else kept for dispatch. */
  private forward(chunk: Buffer): void {
    if (this.state !== 'tunnel' && this.held !== null) this.held.push(chunk);
    if (this.link && this.stream) this.link.data(this.stream, chunk);
  }

  private onClientEnd(): void {
    // A half-close: a request in progress still gets its response (Node's http.Server behaves the same).
    if (this.link && this.stream) this.link.fin(this.stream);
    if (!this.active) this.socket.end();
  }

  private onClientClose(): void {
    this.ctx.connections.delete(this);
    if (this.watchingSend) this.stopSendWatch();
    if (this.link && this.stream) this.link.reset(this.stream);
    this.stream = 0;
    if (!this.active) return;
    if (this.state === 'tunnel') return this.finishJob(true);
    if (this.worker === null) {
      this.record('Client_Reset');
      return this.dequeue();
    }
    this.record('Connection_Dropped');
    this.finishJob(false);
  }

  // ---- PoolJob --------------------------------------------------------------------------------------------------

  run(worker: WorkerProcess): void {
    this.worker = worker;
    this.prefer = worker;
    this.attempts++;
    const link = this.ctx.linkFor(worker);
    if (this.link !== link || this.stream === 0) {
      if (this.link && this.stream) this.link.reset(this.stream);
      this.link = link;
      this.stream = link.open(this, this.ctx.streamOpen(this.socket));
      this.workerFin = false;
    }
    link.route(this.stream, this.route!.app.path);
    for (const b of this.held!) link.data(this.stream, b);
    // Bytes are kept for a replay only while the request is replayable (bodiless idempotent requests are small).
    if (!this.replayable()) this.held = null;
    if (this.head!.upgrade) {
      this.state = 'tunnel';
      if (this.buf) {
        link.data(this.stream, this.buf);
        this.buf = null;
      }
    }
  }

  reject(reason: RejectReason, tcpReset: boolean): void;
  reject(page: PageName, reason: HttpErrReason): void;
  reject(a: string, b: string | boolean): void {
    if (typeof b === 'boolean') {
      // From the pool: the queue is full, the pool is stopped, the queue timer expired.
      const reason = a as RejectReason;
      this.record(reason, b ? undefined : 503);
      this.leave();
      if (b) return void this.socket.resetAndDestroy();
      return this.closeWith(rawPage('serviceUnavailable'));
    }
    const page = a as PageName;
    this.record(b as HttpErrReason, PAGES[page].status);
    this.closeWith(rawPage(page));
  }

  // ---- worker side (StreamHandler) ----------------------------------------------------------------------------

  onData(chunk: Buffer): void {
    // "HTTP/1.1 200": the status of the response, for an HTTPERR line if it is cut off.
    if (!this.responseStarted && chunk.length >= 12) this.status = Number(chunk.toString('latin1', 9, 12)) || 0;
    const rate = this.ctx.sendRate;
    if (rate.enabled && this.active) {
      if (!this.watchingSend) {
        this.watchingSend = true;
        this.sendHead = this.head;
        // The allowance covers the announced body, as on the HTTP transport (where undici reads Content-Length).
        const head = chunk.indexOf(HEAD_END);
        const length = head === -1 ? null : contentLengthIn(chunk, head);
        if (length === null) rate.start(this, chunk.length, null);
        else {
          rate.start(this, head + 4, length);
          if (chunk.length > head + 4) rate.sent(this, chunk.length - head - 4);
        }
      } else {
        rate.sent(this, chunk.length);
      }
    }
    this.responseStarted = true;
    this.held = null;
    this.lastActive = this.ctx.clock;
    if (this.capture) this.feedCapture(chunk);
    if (!this.socket.write(chunk) && !this.pausedWorker && this.link && this.stream) {
      this.pausedWorker = true;
      this.link.pause(this.stream);
    }
  }

  private feedCapture(chunk: Buffer): void {
    const c = this.capture!;
    c.push(chunk);
    if (!c.complete) return;
    c.finish(cacheKey(this.head!), this.pool!);
    this.capture = null;
  }

  onCacheHint(): void {
    if (!this.active || this.capture || this.state === 'tunnel' || !this.ctx.cache.config.enabled) return;
    if (headCacheable(this.head!)) this.capture = new FramedCacheCapture(this.ctx.cache);
  }

  onResponseEnd(flags: number): void {
    if (this.state === 'tunnel') return;
    if (flags & RespEndFlags.CLOSE) this.workerFin = true; // its FIN follows: nothing more goes to this stream
    if (this.capture && this.active) {
      this.capture.finish(cacheKey(this.head!), this.pool!);
      this.capture = null;
    }
    this.finishJob(true);
    // Watched until its last byte is in the kernel (then it is the idle timer's business).
    if (this.watchingSend && this.socket.writableLength === 0) this.stopSendWatch();
    // Body bytes still to come go to the worker (it discards them) before the next head is read.
    if (this.bodyDone) this.nextRequest();
  }

  private nextRequest(): void {
    // Nothing runs behind a request that closes the connection (HTTP/1.0, `Connection: close`): the worker's FIN
    // follows its response, and the bytes after it are ignored, as HTTP.SYS and Node do.
    this.state = this.workerFin || !this.head!.keepAlive ? 'closing' : 'head';
    this.head = null;
    this.responseStarted = false;
    this.held = null;
    if (this.socket.isPaused() && !this.pausedByWorker) this.socket.resume();
    if (this.state === 'head') this.readHead();
  }

  onFin(): void {
    this.workerFin = true;
    if (this.active && !this.responseStarted && this.state !== 'tunnel') {
      // The worker closed without answering: like a crash for this request (replay or 502), on a fresh stream.
      this.link?.reset(this.stream);
      this.stream = 0;
      this.workerFin = false;
      return this.workerFailed('the worker closed the connection before answering');
    }
    this.finishJob(true);
    this.state = 'closing';
    this.socket.end();
  }

  onReset(): void {
    this.stream = 0;
    this.link = null;
    // After FIN, or on an idle stream (a draining worker closing its idle connections): nothing is lost.
    if (this.workerFin || !this.active) return;
    this.workerFailed('the worker reset the connection');
  }

  onPause(): void {
    this.pausedByWorker = true;
    this.socket.pause();
  }

  onResume(): void {
    this.pausedByWorker = false;
    this.socket.resume();
  }

  onLinkLost(reason: string): void {
    this.stream = 0;
    this.link = null;
    if (!this.active || this.worker === null) return;
    this.workerFailed(reason);
  }

  // ---- outcomes -----------------------------------------------------------------------------------------------

  private replayable(): boolean {
    const h = this.head!;
    const body = h.contentLength > 0 || h.chunked || h.upgrade;
    return isReplayable(this.pool!.config.retryIdempotent, h.method, body);
  }

  private workerFailed(error: string): void {
    const w = this.worker!;
    const pool = this.pool!;
    const tunnel = this.state === 'tunnel';
    const outcome = decideFailure(
      {
        responseStarted: this.responseStarted || tunnel,
        replayable: this.held !== null && this.replayable(),
        attempts: this.attempts,
      },
      pool,
    );
    emitFailure(pool, w, this.head!, outcome, error);
    this.dropCapture();
    if (outcome === 'replay') {
      this.worker = null;
      pool.requeue(this, w);
      return;
    }
    if (outcome === 'badGateway') {
      this.record('Connection_Abandoned_By_ReqQueue', 502);
      this.status = 502;
      this.finishJob(false);
      return this.badGateway(w);
    }
    this.record('Connection_Abandoned_By_ReqQueue', this.status || undefined);
    this.finishJob(false);
    this.state = 'closing';
    this.socket.destroy();
  }

  /** 502; the connection stays usable only when the whole request was read (otherwise its framing is lost). */
  private badGateway(w: WorkerProcess): void {
    const keep = this.bodyDone && this.head!.keepAlive;
    const bytes = badGatewayBytes(w.pid, keep);
    if (!keep) return this.closeWith(bytes);
    this.socket.write(bytes);
    this.state = 'head';
    this.head = null;
    this.readHead();
  }

  private parseError(e: HeadScanError): void {
    const v = parserErrorPage(e.code, e.rawPacket);
    this.ctx.requestsTotal++;
    this.recordRaw(v, e.rawPacket);
    this.closeWith(rawPage(v.page));
  }

  private parseErrorAfterHead(e: HeadScanError): void {
    const v = parserErrorPage(e.code, e.rawPacket);
    this.record(v.reason, PAGES[v.page].status);
    this.closeWith(rawPage(v.page));
  }

  /** A malformed body of a request already at (or queued for) a worker: the listener ends it. */
  private bodyError(e: HeadScanError): void {
    const v = parserErrorPage(e.code, e.rawPacket);
    if (!this.responseStarted) this.status = PAGES[v.page].status;
    if (!this.responseStarted && this.worker === null) {
      this.record(v.reason, PAGES[v.page].status);
      this.dequeue();
      return this.closeWith(rawPage(v.page));
    }
    this.record(v.reason, this.responseStarted ? undefined : PAGES[v.page].status);
    this.finishJob(false);
    if (!this.responseStarted) return this.closeWith(rawPage(v.page));
    this.state = 'closing';
    this.socket.destroy();
  }

  /** Timers (framed-listener.ts sweep). */
  expire(reason: HttpErrReason): void {
    if (this.state === 'closing') return void this.socket.destroy();
    this.record(reason);
    if (this.active) {
      if (this.worker === null) this.dequeue();
      else this.finishJob(false);
    }
    this.state = 'closing';
    this.socket.destroy();
  }

  /** Closes the client connection without a word (host stop); a request in progress is recorded dropped. */
  destroy(): void {
    if (this.active) this.expire('Connection_Dropped');
    else this.socket.destroy();
  }

  get idle(): boolean {
    return !this.active && this.state === 'head';
  }

  get tunnel(): boolean {
    return this.state === 'tunnel';
  }

  /**
   * A response started and is still owed bytes (the sweep abandons it after connectionTimeout of silence) — not
   * while the listener itself holds the worker back because the client reads slowly: that silence is the client's
   * (minBytesPerSecond judges it), as undici's body timer does not run while backpressure pauses it.
   */
  get responding(): boolean {
    return this.active && this.responseStarted && this.state !== 'tunnel' && !this.pausedWorker;
  }

  /** How long the response in progress may stop arriving: the pool's requestProgressTimeout when shorter. */
  stallLimit(connectionTimeout: number): number {
    const progress = this.pool?.config.processModel.requestProgressTimeout ?? 0;
    const on = [connectionTimeout, progress].filter((ms) => ms > 0);
    return on.length === 0 ? 0 : Math.min(...on);
  }

  /** The response stopped arriving: abandoned, as the HTTP transport does when a response body stalls. */
  abandonStalled(): void {
    if (this.worker) this.workerFailed('the response stopped arriving (connectionTimeout)');
  }

  sendBacklog(): number {
    return this.socket.writableLength;
  }

  onSendRateExpired(): void {
    this.watchingSend = false;
    this.ctx.httpErr.write({
      ...this.describe(this.sendHead),
      status: this.status || undefined,
      reason: 'Timer_MinBytesPerSecond',
      queue: this.pool?.name,
    });
    this.recorded = true;
    if (this.active) this.finishJob(false);
    this.state = 'closing';
    // A reset frees the unsent response at once (a close would leave it trickling from an orphaned socket).
    this.socket.resetAndDestroy();
  }

  private stopSendWatch(): void {
    this.watchingSend = false;
    this.ctx.sendRate.stop(this);
  }

  get waitingForBody(): boolean {
    return this.active && !this.bodyDone;
  }

  private closeWith(bytes: Buffer): void {
    this.state = 'closing';
    if (this.link && this.stream) this.link.reset(this.stream);
    this.stream = 0;
    if (this.socket.destroyed) return;
    this.socket.end(bytes);
    this.ctx.linger(this.socket);
  }

  // ---- bookkeeping --------------------------------------------------------------------------------------------

  /** One HTTPERR line per request at most (a connection-level event writes its own). */
  private record(reason: HttpErrReason, status?: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.ctx.httpErr.write({ ...this.describe(), status, reason, queue: this.pool?.name });
  }

  private recordRaw(v: LimitViolation, raw: Buffer): void {
    const line = raw
      .subarray(0, Math.max(0, raw.indexOf(10)))
      .toString('latin1')
      .trim()
      .split(' ');
    this.ctx.httpErr.write({
      ...this.describeSocket(),
      method: line[0] || undefined,
      uri: line[1],
      status: PAGES[v.page].status,
      reason: v.reason,
    });
  }

  private describeSocket(): Omit<HttpErrEntry, 'reason'> {
    const s = this.socket;
    return { clientIp: s.remoteAddress, clientPort: s.remotePort, serverIp: s.localAddress, serverPort: s.localPort };
  }

  private describe(h = this.head): Omit<HttpErrEntry, 'reason'> {
    if (!h) return this.describeSocket();
    return {
      ...this.describeSocket(),
      version: `${h.httpVersionMajor}.${h.httpVersionMinor}`,
      method: h.method,
      uri: h.url,
    };
  }

  /** The request stops counting (application and listener counts); it never ran or already left its worker. */
  private leave(): void {
    if (!this.active) return;
    this.active = false;
    this.route!.active--;
    this.ctx.inFlight--;
    this.dropCapture();
  }

  /** A queued request that will never run (the client left, a timer, a bad body): out of the queue, logged. */
  private dequeue(): void {
    if (!this.active) return;
    this.pool!.cancel(this);
    this.logAccess(undefined);
    this.leave();
  }

  private finishJob(completed: boolean): void {
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

  private dropCapture(): void {
    this.capture?.release();
    this.capture = null;
  }
}

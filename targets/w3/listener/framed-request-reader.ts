// Reading a framed client connection's requests. The listener reads the client's bytes itself: a head scanner finds
// each request head (limits, routing, admission are decided on it), a body scanner finds where the request ends,
// and the bytes go to the worker unchanged (or are held until the request is dispatched, and for a replay while it
// is replayable). One request is handled at a time: the next pipelined head is read only once the response before
// it ended, so responses stay in order and nothing runs behind a rejected request; cache hits among pipelined
// requests are answered at once, in order, as long as the client reads them.
import type { HttpErrReason } from './http-error-log';
import { rawPage, PAGES, type PageName } from './httpsys-responses';
import { checkRequest, isViolation, BAD_REQUEST } from './request-limits';
import { HeadScanError, type ScannedHead } from '../transport/head-scanner';
import { headCacheable } from './cache-policy';
import { cacheKey, hitBytes } from './framed-cache-capture';
import { FramedOutcomes } from './framed-outcomes';

/** Client bytes held while a request waits for a worker or a response (beyond it, the client is paused). */
const HOLD_LIMIT = 256 * 1024;

export abstract class FramedRequestReader extends FramedOutcomes {
  protected onClientData(chunk: Buffer): void {
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
  protected override readHead(): void {
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

  /** A request the listener answers with an HTTP.SYS page (the connection closes after it). */
  private rejected(page: PageName, reason: HttpErrReason): false {
    this.record(reason, PAGES[page].status);
    this.closeWith(rawPage(page));
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
  protected forward(chunk: Buffer): void {
    if (this.state !== 'tunnel' && this.held !== null) this.held.push(chunk);
    if (this.link && this.stream) this.link.data(this.stream, chunk);
  }

  protected onClientEnd(): void {
    // A half-close: a request in progress still gets its response (Node's http.Server behaves the same).
    if (this.link && this.stream) this.link.fin(this.stream);
    if (!this.active) this.socket.end();
  }

  /** The response ended (and the request's body was read): the next pipelined head, or the close. */
  protected nextRequest(): void {
    // Nothing runs behind a request that closes the connection (HTTP/1.0, `Connection: close`): the worker's FIN
    // follows its response, and the bytes after it are ignored, as HTTP.SYS and Node do.
    this.state = this.workerFin || !this.head!.keepAlive ? 'closing' : 'head';
    this.head = null;
    this.responseStarted = false;
    this.held = null;
    if (this.socket.isPaused() && !this.pausedByWorker) this.socket.resume();
    if (this.state === 'head') this.readHead();
  }
}

// One client request on its way through a pool to a worker, and back. The response is streamed from the worker
// (undici dispatch over the worker's Unix socket) to the client connection, which the listener owns: a worker
// that dies never closes it. What happens when the worker's transport fails depends on how far the request got:
//  - no response byte yet, idempotent, no body → replayed on another (or the replacement) worker;
//  - no response byte yet, otherwise → 502 on a connection that stays open (when the request was fully read);
//  - response partly sent → the response can only be aborted: the connection is destroyed and recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { PoolJob, RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { AppPool } from '../manager/app-pool';
import type { ListenerContext } from './listener';
import { sendPage } from './httpsys-responses';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'expect', 'http2-settings']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const MAX_ATTEMPTS = 3;

const BAD_GATEWAY = Buffer.from('Bad Gateway: the worker process ended before it answered this request.\n');

export class ProxyJob implements PoolJob, Dispatcher.DispatchHandler {
  readonly enqueuedAt = Date.now();
  dispatchedAt = 0;
  responseStarted = false;
  cancelled = false;
  avoid: WorkerProcess | null = null;
  private worker: WorkerProcess | null = null;
  private attempts = 0;
  private finished = false;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private readonly headers: string[];
  private readonly hasBody: boolean;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly pool: AppPool,
    private readonly ctx: ListenerContext,
  ) {
    const raw = req.rawHeaders;
    const headers: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!;
      if (HOP_BY_HOP.has(k.toLowerCase())) continue;
      headers.push(k, raw[i + 1]!);
    }
    this.headers = headers;
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.hasBody = te !== undefined || (cl !== undefined && cl !== '0');
    res.once('close', () => this.onClientClose());
  }

  // ---- PoolJob --------------------------------------------------------------------------------------------

  run(worker: WorkerProcess): void {
    this.worker = worker;
    this.attempts++;
    const upstream = worker.upstream;
    if (!upstream) return this.onError(new Error('worker has no upstream'));
    upstream.dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.hasBody ? this.bodyStream() : null,
        idempotent: false, // w3 decides about replays itself
      } as Dispatcher.DispatchOptions,
      this,
    );
  }

  /** undici destroys a failed request's body stream; a pipe keeps that from destroying the client socket. */
  private bodyStream(): PassThrough {
    const pt = new PassThrough();
    this.req.pipe(pt);
    return pt;
  }

  reject(reason: RejectReason, tcpReset: boolean): void {
    this.finished = true;
    this.ctx.httpErr.write({ ...this.ctx.describe(this.req), status: tcpReset ? undefined : 503, reason, queue: this.pool.name });
    if (tcpReset) this.req.socket.resetAndDestroy();
    else sendPage(this.res, 'serviceUnavailable');
  }

  // ---- undici handler (legacy callback API, the fastest path in undici 7) ----------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText?: string): boolean {
    this.responseStarted = true;
    const res = this.res;
    if (res.destroyed) return false;
    const out: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i]!.toString('latin1');
      if (HOP_BY_HOP.has(k.toLowerCase())) continue;
      out.push(k, rawHeaders[i + 1]!.toString('latin1'));
    }
    out.push('X-W3-Worker-Pid', String(this.worker!.pid));
    if (statusText) res.writeHead(statusCode, statusText, out);
    else res.writeHead(statusCode, out);
    this.resume = resume;
    return true;
  }

  private resume: (() => void) | null = null;

  onData(chunk: Buffer): boolean {
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', () => this.resume?.());
    return ok;
  }

  onComplete(): void {
    this.res.end();
    this.done(true);
  }

  onError(err: Error): void {
    if (this.finished) return;
    const w = this.worker!;
    const res = this.res;
    if (this.cancelled || res.destroyed) {
      // The client left first; nothing to answer.
      this.ctx.httpErr.write({ ...this.ctx.describe(this.req), reason: 'Client_Reset', queue: this.pool.name });
      return this.done(false);
    }
    if (!this.responseStarted) {
      const replayable = this.pool.config.retryIdempotent && !this.hasBody && IDEMPOTENT.has(this.req.method ?? '') && this.attempts < MAX_ATTEMPTS;
      if (replayable && this.pool.state === 'Started') {
        this.pool.ctx.events.emit({ type: 'RequestRetried', pool: this.pool.name, workerId: w.id, pid: w.pid, method: this.req.method, url: this.req.url, error: err.message });
        this.release(false);
        this.pool.requeue(this, w);
        return;
      }
      this.pool.ctx.events.emit({ type: 'RequestAbandoned', pool: this.pool.name, workerId: w.id, pid: w.pid, method: this.req.method, url: this.req.url, responseStarted: false, error: err.message });
      this.ctx.httpErr.write({ ...this.ctx.describe(this.req), status: 502, reason: 'Connection_Abandoned_By_ReqQueue', queue: this.pool.name });
      // The connection stays usable only when the whole request was read; otherwise its framing is lost.
      const keep = this.req.complete;
      if (!keep) res.shouldKeepAlive = false;
      res.writeHead(502, { 'Content-Type': 'text/plain', 'Content-Length': BAD_GATEWAY.length, 'X-W3-Worker-Pid': String(w.pid), ...(keep ? {} : { Connection: 'close' }) });
      res.end(BAD_GATEWAY);
      return this.done(false);
    }
    this.pool.ctx.events.emit({ type: 'RequestAbandoned', pool: this.pool.name, workerId: w.id, pid: w.pid, method: this.req.method, url: this.req.url, responseStarted: true, error: err.message });
    this.ctx.httpErr.write({ ...this.ctx.describe(this.req), status: res.statusCode, reason: 'Connection_Abandoned_By_ReqQueue', queue: this.pool.name });
    res.destroy();
    this.done(false);
  }

  // ---- bookkeeping ----------------------------------------------------------------------------------------

  private onClientClose(): void {
    if (this.finished) return;
    this.cancelled = true;
    if (this.worker && this.abortUpstream) this.abortUpstream(new Error('client closed the connection'));
  }

  /** Frees the worker slot without finishing the job (before a replay). */
  private release(completed: boolean): void {
    this.abortUpstream = null;
    this.responseStarted = false;
    if (this.worker) this.pool.jobDone(this.worker, this, completed);
  }

  private done(completed: boolean): void {
    if (this.finished) return;
    this.finished = true;
    const w = this.worker;
    if (w) this.pool.jobDone(w, this, completed);
    this.ctx.onRequestDone(this.req, this.res, this.pool.name, w?.pid);
  }
}

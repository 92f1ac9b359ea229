// How a request on a framed client connection ends other than by its response: a worker failure (decided as on the
// HTTP transport, worker-failure.ts: replayed when no response byte was sent yet and the request is idempotent and
// bodiless; otherwise no byte yet → 502, the connection staying open when the request was fully read; response
// partly sent → the client connection is closed and the request recorded as abandoned), the pool's rejections,
// malformed bytes, the connection timers and the minimum send rate. Also what the listener's sweep reads to decide
// which timer applies (framed-listener.ts). Every rejection or abandonment writes one HTTPERR line.
import type { RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { HttpErrReason } from './http-error-log';
import { rawPage, PAGES } from './httpsys-responses';
import { parserErrorPage } from './request-limits';
import type { HeadScanError } from '../transport/head-scanner';
import { decideFailure, emitFailure, badGatewayBytes } from './worker-failure';
import type { SendRateTracked } from './send-rate';
import { FramedConnectionState } from './framed-connection-state';
import { closeOnceSent } from './connection-state';

export abstract class FramedOutcomes extends FramedConnectionState implements SendRateTracked {
  /** Reads the requests in the buffer (framed-request-reader.ts). */
  protected abstract readHead(): void;

  /** From the pool: the queue is full, the pool is stopped, the queue timer expired. */
  override reject(reason: RejectReason, tcpReset: boolean): void {
    this.record(reason, tcpReset ? undefined : 503);
    this.leave();
    if (tcpReset) return void this.socket.resetAndDestroy();
    return this.closeWith(rawPage('serviceUnavailable'));
  }

  protected workerFailed(error: string): void {
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

  protected parseError(e: HeadScanError): void {
    const v = parserErrorPage(e.code, e.rawPacket);
    this.ctx.requestsTotal++;
    this.recordRaw(v, e.rawPacket);
    this.closeWith(rawPage(v.page));
  }

  protected parseErrorAfterHead(e: HeadScanError): void {
    const v = parserErrorPage(e.code, e.rawPacket);
    this.record(v.reason, PAGES[v.page].status);
    this.closeWith(rawPage(v.page));
  }

  /** A malformed body of a request already at (or queued for) a worker: the listener ends it. */
  protected bodyError(e: HeadScanError): void {
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

  /** Host stop, every worker gone: a request still in progress is dropped; otherwise closed once its bytes are out. */
  closeOnceSent(): void {
    if (this.active) this.expire('Connection_Dropped');
    else closeOnceSent(this.socket);
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

  get waitingForBody(): boolean {
    return this.active && !this.bodyDone;
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

  protected stopSendWatch(): void {
    this.watchingSend = false;
    this.ctx.sendRate.stop(this);
  }
}

// One client connection under the framed transport (listener.transport: frames), as the listener creates it: the
// client socket's events, and the worker's side — a request dispatched to a worker (PoolJob.run: a stream of the
// framed link to that worker, the held bytes sent on it) and the frames that come back (StreamHandler): response
// bytes written to the client as they are, the response's end, the worker's FIN or reset, flow control, and the
// loss of the link. The layers below it own the rest: the request's state and bookkeeping
// (framed-connection-state.ts), how a request ends other than by its response (framed-outcomes.ts) and reading the
// client's requests (framed-request-reader.ts).
import type net from 'node:net';
import type { WorkerProcess } from '../manager/worker-process';
import { RespEndFlags } from '../transport/frame-codec';
import { headCacheable } from './cache-policy';
import { FramedCacheCapture, cacheKey } from './framed-cache-capture';
import type { StreamHandler } from '../transport/host-link';
import type { FramedContext } from './framed-listener';
import { startSendAllowance } from './framed-send-allowance';
import { FramedRequestReader } from './framed-request-reader';

export class FramedConnection extends FramedRequestReader implements StreamHandler {
  constructor(socket: net.Socket, ctx: FramedContext, overLimit: boolean) {
    super(socket, ctx, overLimit);
    socket.on('data', (chunk: Buffer) => this.onClientData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClientClose());
    socket.on('drain', () => this.onDrain());
  }

  // ---- client socket --------------------------------------------------------------------------------------------

  private onDrain(): void {
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

  override run(worker: WorkerProcess): void {
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

  // ---- worker side (StreamHandler) ----------------------------------------------------------------------------

  onData(chunk: Buffer): void {
    // "HTTP/1.1 200": the status of the response, for an HTTPERR line if it is cut off.
    if (!this.responseStarted && chunk.length >= 12) this.status = Number(chunk.toString('latin1', 9, 12)) || 0;
    const rate = this.ctx.sendRate;
    if (rate.enabled && this.active) {
      if (!this.watchingSend) {
        this.watchingSend = true;
        this.sendHead = this.head;
        startSendAllowance(rate, this, chunk);
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
}

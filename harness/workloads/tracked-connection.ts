// One client connection of the tracked client: a raw net.Socket that carries one request at a time and knows, for
// every way it can end, who ended it and whether a request was outstanding. Raw sockets rather than http.Agent:
// Node's HTTP client reports a server FIN mid-request as ECONNRESET "socket hang up" (indistinguishable from a
// real RST), silently drops idle pooled sockets and may hand a request a socket that is already half-closed; here
// 'end' is the FIN, 'error' ECONNRESET/EPIPE is the RST, and the parser says whether any response byte arrived.
// It emits its SocketRecord once, when it closes (a socket that never connected has none).
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RequestErrorKind, SocketCloseKind, SocketRecord } from '../history/types';
import { ResponseParser, type ResponseHead } from './http-response-parser';
import { errorKindOf } from './outcome';
import type { EncodedRequest } from './request-spec';

/** How one request on this connection ended (no error: a complete response in `head`). */
export interface Completion {
  head?: ResponseHead;
  error?: RequestErrorKind;
  errorMessage?: string;
  /** Response bytes received: 0 means the server sent nothing for this request. */
  responseBytes: number;
  /** Requests written on this socket before this one (> 0: a reused keep-alive socket). */
  priorRequests: number;
  /** Monotonic ms (performance.now) when the request was written and when it ended. */
  startedAt: number;
  endedAt: number;
}

export type ConnectResult = { ok: true } | { ok: false; error: RequestErrorKind; message: string };

interface Pending {
  resolve: (c: Completion) => void;
  startedAt: number;
  priorRequests: number;
}

export class TrackedConnection {
  readonly ready: Promise<ConnectResult>;
  /** Resolves once the socket is closed (and its record emitted). */
  readonly closed: Promise<void>;
  localPort: number | undefined;
  /** Monotonic ms when connect() started (for the connect timeout). */
  readonly connectStartedAt = performance.now();
  /** Monotonic ms when a response announced the close (for the linger timeout); NaN otherwise. */
  announcedAt = Number.NaN;
  private readonly socket: net.Socket;
  private readonly parser = new ResponseParser();
  private connected = false;
  private opened = 0;
  private requests = 0;
  private pending: Pending | null = null;
  private closeKind: SocketCloseKind | undefined;
  private inFlightAtServerClose = false;
  private errorMessage: string | undefined;
  private resolveReady!: (r: ConnectResult) => void;
  private readySettled = false;

  constructor(
    readonly conn: number,
    host: string,
    port: number,
    private readonly onSocketRecord: (r: SocketRecord) => void,
  ) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once('connect', () => this.onConnect());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.once('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.socket.once('close', () => this.onClose());
  }

  /** True while a new request may be written on this socket. */
  get usable(): boolean {
    return this.connected && this.closeKind === undefined && Number.isNaN(this.announcedAt) && !this.socket.destroyed;
  }

  /** The TCP connect has neither completed nor failed yet. */
  get connecting(): boolean {
    return !this.connected && !this.readySettled;
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Monotonic ms when the outstanding request was written; NaN when idle. */
  get inFlightSince(): number {
    return this.pending === null ? Number.NaN : this.pending.startedAt;
  }

  /** Writes one request; resolves when its response is complete or the request is lost. Caller checks `usable`. */
  send(req: EncodedRequest): Promise<Completion> {
    return new Promise((resolve) => {
      this.parser.reset(req.noBody);
      this.pending = { resolve, startedAt: performance.now(), priorRequests: this.requests };
      this.requests += 1;
      this.socket.write(req.wire);
    });
  }

  /** The client gives up on the outstanding request (hung): it is lost as 'timeout' and the socket destroyed. */
  timeOut(): void {
    this.settle({ error: 'timeout', errorMessage: 'no complete response within the client timeout' });
    this.closeByClient();
  }

  /** The TCP connect took too long. */
  connectTimeOut(): void {
    this.settleReady({ ok: false, error: 'connect-timeout', message: 'connect timed out' });
    this.closeByClient();
  }

  /** Closes the socket from our side (end of run, timeouts, server that announced a close but lingers). */
  closeByClient(): void {
    this.setCloseKind('client');
    this.socket.destroy();
  }

  private onConnect(): void {
    this.connected = true;
    this.opened = Date.now();
    this.localPort = this.socket.localPort;
    this.settleReady({ ok: true });
  }

  private onData(chunk: Buffer): void {
    if (this.pending === null) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.errorMessage = `${chunk.length} unexpected bytes with no request outstanding`;
      this.setCloseKind('error');
      this.socket.destroy();
      return;
    }
    const st = this.parser.execute(chunk);
    if (st === 'complete') {
      this.completeResponse();
      if (this.parser.extraBytes > 0) {
        this.errorMessage = `${this.parser.extraBytes} bytes after a complete response`;
        this.setCloseKind('error');
        this.socket.destroy();
      }
    } else if (st === 'error') {
      this.errorMessage = `bad response: ${this.parser.error ?? 'unparseable'}`;
      this.settle({ error: 'other', errorMessage: this.errorMessage });
      this.setCloseKind('error');
      this.socket.destroy();
    }
  }

  private completeResponse(): void {
    const head = this.parser.head;
    if (head !== null && !head.keepAlive) this.announcedAt = performance.now();
    this.settle(head === null ? { error: 'other', errorMessage: 'response without head' } : { head });
  }

  private onEnd(): void {
    // The server's FIN. A body delimited by the close is complete now; anything else outstanding is lost.
    if (this.pending !== null) {
      if (this.parser.finishOnEof() === 'complete') this.completeResponse();
      else {
        this.inFlightAtServerClose = true;
        const got = this.parser.bytesReceived;
        this.settle({
          error: 'closed',
          errorMessage: got > 0 ? `server closed after ${got} response bytes` : 'server closed',
        });
      }
    }
    this.setCloseKind(Number.isNaN(this.announcedAt) ? 'server-fin' : 'server-close-announced');
  }

  private onError(err: NodeJS.ErrnoException): void {
    const kind = errorKindOf(err.code);
    if (!this.connected) {
      this.settleReady({ ok: false, error: kind, message: err.code ?? err.message });
      return;
    }
    this.errorMessage ??= err.code ?? err.message;
    if (this.pending !== null) {
      if (this.closeKind === undefined) this.inFlightAtServerClose = true;
      this.settle({ error: kind, errorMessage: err.code ?? err.message });
    }
    if (!Number.isNaN(this.announcedAt)) this.setCloseKind('server-close-announced');
    else this.setCloseKind(kind === 'reset' ? 'reset' : 'error');
  }

  private onClose(): void {
    if (!this.connected) {
      this.settleReady({ ok: false, error: 'other', message: this.errorMessage ?? 'closed before connect' });
      return;
    }
    if (this.pending !== null) {
      if (this.closeKind === undefined) this.inFlightAtServerClose = true;
      this.settle({ error: 'closed', errorMessage: 'socket closed' });
    }
    this.setCloseKind('error');
    const record: SocketRecord = {
      kind: 'socket',
      conn: this.conn,
      opened: this.opened,
      closed: Date.now(),
      closeKind: this.closeKind,
      closedWithRequestInFlight: this.inFlightAtServerClose,
      requests: this.requests,
    };
    if (this.localPort !== undefined) record.localPort = this.localPort;
    if (this.errorMessage !== undefined) record.errorMessage = this.errorMessage;
    this.onSocketRecord(record);
  }

  private setCloseKind(kind: SocketCloseKind): void {
    this.closeKind ??= kind;
  }

  private settle(c: { head?: ResponseHead; error?: RequestErrorKind; errorMessage?: string }): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    // Built field by field (not spread): this runs once per request.
    const done: Completion = {
      head: c.head,
      error: c.error,
      errorMessage: c.errorMessage,
      responseBytes: this.parser.bytesReceived,
      priorRequests: p.priorRequests,
      startedAt: p.startedAt,
      endedAt: performance.now(),
    };
    p.resolve(done);
  }

  private settleReady(r: ConnectResult): void {
    if (this.readySettled) return;
    this.readySettled = true;
    this.resolveReady(r);
  }
}

// A client connection as the worker's http.Server sees it under the framed transport: a Duplex fed with the
// client's bytes from DATA frames and writing the response bytes back as DATA frames of the same stream. It is
// handed to the real server with `server.emit('connection', socket)`, so applications get genuine IncomingMessage
// and ServerResponse objects, and it carries what apps and frameworks read from a socket: the client's address
// (from the OPEN frame: `remoteAddress`, `remotePort`, `remoteFamily`, what Express's `req.ip` reads), the local
// address, `setTimeout`, `setNoDelay`, `setKeepAlive`, `address()`, `ref`/`unref`, `bytesWritten`.
//
// Write callbacks: a write of FLUSH_AT bytes or more is flushed at once and its callback waits until the bytes are in
// the kernel (net.Socket's meaning); smaller writes are batched per event-loop turn and called back at once, and a
// worker that exits flushes what is still batched (worker-transport.ts flushAll).
//
// Flow control: when the server stops reading (an application not consuming a request body), push() says so and
// the socket asks the listener to PAUSE the stream; reading again sends RESUME. The other way, a PAUSE from the
// listener (its client reads slowly) holds the write callbacks, which is the backpressure Node's ServerResponse
// already obeys.
import { Duplex } from 'node:stream';
import net from 'node:net';
import { COPY_LIMIT } from './frame-codec';

/** Writes at least this large are flushed at once, their callback fired once they are in the kernel (below it,
 *  frames wait for the end of the event-loop turn: the batch is what makes small responses cheap). */
const FLUSH_AT = COPY_LIMIT;

/** What the socket needs from the connection that carries its frames (worker-transport.ts). */
export interface StreamLink {
  data(stream: number, chunk: Buffer): void;
  fin(stream: number): void;
  /** The socket is gone (destroyed): the listener resets the client connection unless it already ended. */
  reset(stream: number): void;
  pause(stream: number): void;
  resume(stream: number): void;
  /** The next response on the stream has a Cache-Control header (before its first byte). */
  cacheHint(stream: number): void;
  /** One response ended (after its last byte); `flags`: RespEndFlags. */
  responseEnd(stream: number, flags: number): void;
  /** Writes the link's queued frames now; `done` once they are in the kernel. */
  flush(done: () => void): void;
  /** The link has more unsent bytes than it should hold: writers wait for `whenDrained`. */
  congested(): boolean;
  whenDrained(release: () => void): void;
}

/** The peer facts the listener sends in OPEN (short keys: one per connection, but every byte is in the batch). */
export interface StreamOpen {
  /** Client address and port. */
  a: string;
  p: number;
  /** Local (listener) address and port the client connected to. */
  la: string;
  lp: number;
  /** The client is a trusted proxy (its forwarding headers are kept). */
  t?: 1;
  /** The listener adds no forwarding headers (forwarding.addHeaders is off). */
  n?: 1;
}

export class VirtualSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly trustedPeer: boolean;
  /** Add X-Forwarded-For, X-Forwarded-Proto and Forwarded to each request (framed-request.ts). */
  readonly addForwarding: boolean;
  readonly connecting = false;
  readonly pending = false;
  readonly encrypted = undefined;
  /** Applications routed by the listener for the requests not yet dispatched on this stream, in order. */
  readonly routes: string[] = [];
  bytesWritten = 0;
  bytesRead = 0;
  private writesPaused = false;
  private heldCallback: ((err?: Error | null) => void) | null = null;
  private askedPause = false;
  private finSent = false;
  /** The listener reset or closed the stream: nothing more may be sent for it. */
  private remoteGone = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private idleMs = 0;

  constructor(
    readonly stream: number,
    open: StreamOpen,
    private readonly link: StreamLink,
  ) {
    super({ allowHalfOpen: true, decodeStrings: true });
    this.remoteAddress = open.a;
    this.remotePort = open.p;
    this.remoteFamily = net.isIPv6(open.a) ? 'IPv6' : 'IPv4';
    this.localAddress = open.la;
    this.localPort = open.lp;
    this.trustedPeer = open.t === 1;
    this.addForwarding = open.n !== 1;
  }

  // ---- from the listener ------------------------------------------------------------------------------------

  /** Client bytes (a DATA frame). */
  feed(chunk: Buffer): void {
    if (this.destroyed) return;
    this.bytesRead += chunk.length;
    if (this.idleTimer) this.idleTimer.refresh();
    if (!this.push(chunk) && !this.askedPause) {
      this.askedPause = true;
      this.link.pause(this.stream);
    }
  }

  /** The client half-closed (FIN). */
  feedEnd(): void {
    if (!this.destroyed) this.push(null);
  }

  /** The listener dropped the stream (RST): destroy without telling it back. */
  remoteReset(): void {
    this.remoteGone = true;
    this.destroy();
  }

  /** The listener's client reads slowly (PAUSE) or caught up (RESUME). */
  setWritesPaused(paused: boolean): void {
    this.writesPaused = paused;
    if (!paused && this.heldCallback) {
      const cb = this.heldCallback;
      this.heldCallback = null;
      cb();
    }
  }

  /** Called by the worker's ServerResponse (worker-response.ts) before a response with Cache-Control starts. */
  cacheHint(): void {
    if (!this.remoteGone) this.link.cacheHint(this.stream);
  }

  /** Called by the worker's ServerResponse (worker-response.ts) when a response finished. */
  responseEnded(flags: number): void {
    if (!this.remoteGone) this.link.responseEnd(this.stream, flags);
  }

  // ---- Duplex -----------------------------------------------------------------------------------------------

  override _read(): void {
    if (this.askedPause) {
      this.askedPause = false;
      if (!this.remoteGone) this.link.resume(this.stream);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private send(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.remoteGone) return cb(new Error('the client connection is closed'));
    this.bytesWritten += chunk.length;
    if (this.idleTimer) this.idleTimer.refresh();
    this.link.data(this.stream, chunk);
    if (this.writesPaused) {
      this.heldCallback = cb;
    } else if (chunk.length >= FLUSH_AT) {
      // A large write's callback means what it means on a net.Socket: its bytes are in the kernel. An application
      // that exits from that callback (or a crash after it) has delivered them, as on the HTTP transport.
      this.heldCallback = cb;
      this.link.flush(() => this.releaseHeld());
    } else if (this.link.congested()) {
      // Bytes the listener has not read yet are bounded per worker: a PAUSE that arrives late finds little in flight.
      this.heldCallback = cb;
      this.link.whenDrained(() => this.releaseHeld());
    } else {
      cb();
    }
  }

  private releaseHeld(): void {
    if (this.writesPaused || !this.heldCallback) return;
    const cb = this.heldCallback;
    this.heldCallback = null;
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.remoteGone && !this.finSent) {
      this.finSent = true;
      this.link.fin(this.stream);
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.remoteGone) {
      this.remoteGone = true;
      this.link.reset(this.stream);
    }
    const held = this.heldCallback;
    this.heldCallback = null;
    held?.(err ?? new Error('socket destroyed'));
    cb(err);
  }

  // ---- net.Socket's surface that applications and node:http use ----------------------------------------------

  /** Inactivity timeout as on net.Socket: emits 'timeout' (the application decides what to do). */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    this.idleMs = ms;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.emit('timeout');
        if (this.idleMs > 0 && !this.destroyed) this.setTimeout(this.idleMs);
      }, ms);
      this.idleTimer.unref();
    }
    return this;
  }

  get timeout(): number | undefined {
    return this.idleMs > 0 ? this.idleMs : undefined;
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }

  address(): net.AddressInfo {
    return {
      address: this.localAddress,
      port: this.localPort,
      family: net.isIPv6(this.localAddress) ? 'IPv6' : 'IPv4',
    };
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** node:http ends a connection it will not keep with destroySoon (net.Socket's): end, then destroy once flushed. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  resetAndDestroy(): this {
    return this.destroy();
  }

  get readyState(): string {
    if (this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }
}

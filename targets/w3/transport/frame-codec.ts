// The frame format of the framed listener ↔ worker transport (docs/transport.md, option B): one Unix socket per
// worker carries many client connections ("streams") as frames
// `[type: u8][stream: u32 BE][length: u32 BE][payload]`. This module owns the format only: the frame types, the
// decoder (bytes in any split → whole frames, hostile input → a FrameError, never a hang or an unbounded buffer)
// and the writer that batches every frame queued during one turn of the event loop into one socket write (a batch
// is what makes the hop cheaper than a syscall per request).
export const FRAME_HEADER_BYTES = 9;

export const FrameType = {
  /** host → worker: a client connection opened; payload = JSON `StreamOpen` (peer address, trust). */
  OPEN: 1,
  /** both ways: bytes of the stream, unchanged (client request bytes one way, response bytes the other). */
  DATA: 2,
  /** both ways: the sender's side of the stream ended (client half-close; worker closed its virtual socket). */
  FIN: 3,
  /** both ways: the stream is gone (reset, destroyed); nothing more is sent for it in either direction. */
  RST: 4,
  /** worker → host: one response ended (after its last DATA); payload = one byte of RespEndFlags. */
  RESP_END: 5,
  /** both ways: stop sending DATA for this stream until RESUME (the receiver's reader is not keeping up). */
  PAUSE: 6,
  RESUME: 7,
  /** host → worker: the application (its path) the next request on this stream was routed to. */
  ROUTE: 8,
  /** worker → host: the response starting next on this stream has a Cache-Control header (sent before its first
   *  DATA): the listener may read that response for its response cache (listener/framed-cache-capture.ts). */
  RESP_CACHE: 9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const MAX_TYPE = 9;

/** Flags carried by RESP_END. */
export const RespEndFlags = {
  /** The response carried Cache-Control: the host may parse it for its response cache. */
  CACHE_CONTROL: 1,
  /** The worker closes the connection after this response (HTTP/1.0 without a length, `Connection: close`): the
   *  listener must not send it another request. */
  CLOSE: 2,
} as const;

/** A frame stream that violates the format: the connection that carried it cannot be trusted any more. */
export class FrameError extends Error {
  readonly code = 'W3_ERR_FRAME' as const;
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export type FrameHandler = (type: FrameType, stream: number, payload: Buffer) => void;

const EMPTY = Buffer.alloc(0);

/**
 * Turns a byte stream into frames. Payloads that arrive inside one chunk are handed out as views of it (no copy);
 * a payload split over chunks is joined once it is complete. A frame longer than `maxPayload` or of an unknown type
 * throws FrameError before any of its payload is buffered.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private type: FrameType = FrameType.DATA;
  private stream = 0;
  /** Payload bytes still missing for the current frame (0: reading a header). */
  private need = 0;
  private parts: Buffer[] = [];
  private failed: FrameError | null = null;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly maxPayload: number,
  ) {}

  /** Bytes buffered for an incomplete frame (for tests and leak checks). */
  get buffered(): number {
    let n = this.headerFill;
    for (const p of this.parts) n += p.length;
    return n;
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      if (this.need === 0) {
        if (this.headerFill === 0 && len - off >= FRAME_HEADER_BYTES) {
          off = this.startFrame(chunk, off);
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, len - off);
          chunk.copy(this.header, this.headerFill, off, off + take);
          this.headerFill += take;
          off += take;
          if (this.headerFill < FRAME_HEADER_BYTES) return;
          this.headerFill = 0;
          this.startFrame(this.header, 0);
        }
        continue;
      }
      const take = Math.min(this.need, len - off);
      const piece = chunk.subarray(off, off + take);
      off += take;
      this.need -= take;
      if (this.need > 0) {
        this.parts.push(piece);
        continue;
      }
      if (this.parts.length === 0) {
        this.onFrame(this.type, this.stream, piece);
      } else {
        this.parts.push(piece);
        const whole = Buffer.concat(this.parts);
        this.parts = [];
        this.onFrame(this.type, this.stream, whole);
      }
    }
  }

  /** Reads a header at `buf[off]`; emits empty frames at once. Returns the offset after the header. */
  private startFrame(buf: Buffer, off: number): number {
    const type = buf[off]!;
    const stream = buf.readUInt32BE(off + 1);
    const length = buf.readUInt32BE(off + 5);
    if (type === 0 || type > MAX_TYPE) this.fail(`unknown frame type ${type} (stream ${stream})`);
    if (length > this.maxPayload) this.fail(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
    if (length === 0) {
      this.onFrame(type as FrameType, stream, EMPTY);
    } else {
      this.type = type as FrameType;
      this.stream = stream;
      this.need = length;
    }
    return off + FRAME_HEADER_BYTES;
  }

  private fail(message: string): never {
    this.failed = new FrameError(message);
    this.parts = [];
    throw this.failed;
  }
}

/** What FrameWriter needs of a socket (a net.Socket, or a test double). */
export interface FrameSink {
  /** `done`: called once the chunk was handed to the kernel (net.Socket's write callback). */
  write(chunk: Buffer, done?: () => void): boolean;
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

/** Payloads at least this long are written by reference (never copied into the batch). */
export const COPY_LIMIT = 16 * 1024;
const SLAB_BYTES = 64 * 1024;

/**
 * Queues frames and writes everything queued during one event-loop turn with one write (or one writev when large
 * payloads are part of the batch). `flush()` may be called to write at once.
 */
export class FrameWriter {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  /** Start of the slab region not yet handed to the socket, and the write position. */
  private slabStart = 0;
  private slabPos = 0;
  /** Large payloads (and the slab regions between them), in order, for the next flush. */
  private pieces: Buffer[] = [];
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();
  /** Total bytes queued and not yet flushed. */
  queued = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly schedule: (fn: () => void) => void = setImmediate,
  ) {}

  send(type: FrameType, stream: number, payload?: Buffer | string): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : (payload ?? EMPTY);
    const n = body.length;
    const inline = n < COPY_LIMIT;
    this.reserve(FRAME_HEADER_BYTES + (inline ? n : 0));
    const s = this.slab;
    let p = this.slabPos;
    s[p] = type;
    s.writeUInt32BE(stream >>> 0, p + 1);
    s.writeUInt32BE(n, p + 5);
    p += FRAME_HEADER_BYTES;
    if (inline) {
      if (n > 0) p += body.copy(s, p);
      this.slabPos = p;
    } else {
      this.slabPos = p;
      this.cutSlab();
      this.pieces.push(body);
    }
    this.queued += FRAME_HEADER_BYTES + n;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flushNow);
    }
  }

  /**
   * Writes everything queued. `done` (optional): called once those bytes are in the kernel — never when the sink is
   * already destroyed (its owner hears of that on its own).
   */
  flush(done?: () => void): void {
    this.scheduled = false;
    if (this.queued === 0) return done?.();
    this.cutSlab();
    const pieces = this.pieces;
    this.pieces = [];
    this.queued = 0;
    if (this.sink.destroyed) return;
    if (pieces.length === 1) {
      this.sink.write(pieces[0]!, done);
      return;
    }
    this.sink.cork();
    const last = pieces.length - 1;
    for (let i = 0; i < last; i++) this.sink.write(pieces[i]!);
    this.sink.write(pieces[last]!, done);
    this.sink.uncork();
  }

  /** Moves the slab region written since the last cut into the piece list (the socket keeps a view of it). */
  private cutSlab(): void {
    if (this.slabPos > this.slabStart) {
      this.pieces.push(this.slab.subarray(this.slabStart, this.slabPos));
      this.slabStart = this.slabPos;
    }
  }

  private reserve(bytes: number): void {
    if (this.slabPos + bytes <= this.slab.length) return;
    this.cutSlab();
    // The old slab stays referenced by the queued pieces (and by the socket until written); never reused.
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.slabStart = this.slabPos = 0;
  }
}

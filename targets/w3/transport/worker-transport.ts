// The worker's end of the framed transport: it accepts the listener's connection on the worker's private Unix
// socket, turns each stream into a VirtualSocket handed to the worker's real http.Server, and carries the frames
// both ways (batched per event-loop turn by FrameWriter). A frame that breaks the format ends the whole connection
// (the listener sees it close and treats every stream on it as a worker failure); nothing else does.
import net from 'node:net';
import type http from 'node:http';
import { FrameDecoder, FrameWriter, FrameType, FrameError } from './frame-codec';
import { VirtualSocket, type StreamLink, type StreamOpen } from './virtual-socket';

/** Largest frame either side sends: DATA frames are cut to this by the sender. */
export const MAX_FRAME_PAYLOAD = 1024 * 1024;
/** Unsent bytes on a worker's link above which response writers wait (memory bound for a slow listener/client). */
const LINK_HIGH_WATER = 1024 * 1024;

export interface WorkerTransportEvents {
  /** A frame connection failed (format error): it was closed. */
  onError?(err: Error): void;
}

/** Serves `server` to the listener over frames: `attach` each connection accepted on the worker's socket. */
export class WorkerTransport {
  private readonly connections = new Set<FrameConnection>();

  constructor(
    private readonly server: http.Server,
    private readonly events: WorkerTransportEvents = {},
  ) {}

  /** A net.Server that accepts the listener's frame connections. */
  createServer(): net.Server {
    return net.createServer({ noDelay: true }, (conn) => this.attach(conn));
  }

  attach(conn: net.Socket): void {
    const c = new FrameConnection(conn, this.server, this.events);
    this.connections.add(c);
    conn.once('close', () => this.connections.delete(c));
  }

  /**
   * Writes every frame still batched, now (the worker is exiting: process 'exit'). A write to a socket whose kernel
   * buffer has room completes synchronously, so what the application wrote before exiting reaches the listener, as
   * the HTTP transport's direct socket writes do.
   */
  flushAll(): void {
    for (const c of this.connections) c.flushNow();
  }

  /** Streams open now (for shutdown and tests). */
  get streams(): number {
    let n = 0;
    for (const c of this.connections) n += c.streams.size;
    return n;
  }
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * The worker server's 'clientError' under frames. Bytes behind a request that closes the connection are ignored
 * (the response in progress ends the stream with FIN, then the close), as the listener does; the listener never
 * forwards them anyway. Any other parse error: a bare 400 and the stream closes, as Node does by default — the
 * listener already refused every head it would not forward, so this is the second line of defence only.
 */
export function framedClientError(err: NodeJS.ErrnoException, socket: net.Socket | import('node:stream').Duplex): void {
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  const s = socket as net.Socket;
  // With a response in progress the 400 cannot be put in front of it: the stream is reset, as Node does.
  if (!s.writable || (s as { _httpMessage?: unknown })._httpMessage) return void s.destroy();
  s.end(BAD_REQUEST);
  s.destroySoon();
}

class FrameConnection implements StreamLink {
  readonly streams = new Map<number, VirtualSocket>();
  private drainWaiters: (() => void)[] = [];
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly conn: net.Socket,
    private readonly server: http.Server,
    private readonly events: WorkerTransportEvents,
  ) {
    this.writer = new FrameWriter(conn);
    this.decoder = new FrameDecoder((t, s, p) => this.onFrame(t, s, p), MAX_FRAME_PAYLOAD);
    conn.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    conn.on('error', () => undefined);
    conn.once('close', () => {
      for (const s of this.streams.values()) s.remoteReset();
      this.streams.clear();
    });
  }

  private onFrame(type: FrameType, stream: number, payload: Buffer): void {
    if (type === FrameType.OPEN) return this.open(stream, payload);
    const s = this.streams.get(stream);
    // Frames for a stream that already ended on this side cross its RST on the wire: ignored.
    if (!s) return;
    switch (type) {
      case FrameType.DATA:
        return s.feed(payload);
      case FrameType.ROUTE:
        s.routes.push(payload.toString('utf8'));
        return;
      case FrameType.FIN:
        return s.feedEnd();
      case FrameType.RST:
        this.streams.delete(stream);
        return s.remoteReset();
      case FrameType.PAUSE:
        return s.setWritesPaused(true);
      case FrameType.RESUME:
        return s.setWritesPaused(false);
      default:
        throw new FrameError(`frame type ${type} is not sent to a worker (stream ${stream})`);
    }
  }

  private open(stream: number, payload: Buffer): void {
    if (this.streams.has(stream)) throw new FrameError(`stream ${stream} opened twice`);
    let open: StreamOpen;
    try {
      open = JSON.parse(payload.toString('utf8')) as StreamOpen;
    } catch {
      throw new FrameError(`OPEN frame of stream ${stream} is not JSON`);
    }
    if (typeof open?.a !== 'string' || typeof open.p !== 'number')
      throw new FrameError(`OPEN frame of stream ${stream} lacks the peer`);
    const s = new VirtualSocket(stream, open, this);
    this.streams.set(stream, s);
    this.server.emit('connection', s);
  }

  private fail(err: Error): void {
    this.events.onError?.(err);
    this.conn.destroy();
  }

  // ---- StreamLink: frames from the virtual sockets --------------------------------------------------------

  data(stream: number, chunk: Buffer): void {
    for (let off = 0; off < chunk.length; off += MAX_FRAME_PAYLOAD) {
      this.writer.send(
        FrameType.DATA,
        stream,
        off === 0 && chunk.length <= MAX_FRAME_PAYLOAD ? chunk : chunk.subarray(off, off + MAX_FRAME_PAYLOAD),
      );
    }
  }

  fin(stream: number): void {
    this.writer.send(FrameType.FIN, stream);
  }

  reset(stream: number): void {
    this.streams.delete(stream);
    this.writer.send(FrameType.RST, stream);
  }

  pause(stream: number): void {
    this.writer.send(FrameType.PAUSE, stream);
  }

  resume(stream: number): void {
    this.writer.send(FrameType.RESUME, stream);
  }

  flush(done: () => void): void {
    this.writer.flush(done);
  }

  flushNow(): void {
    this.writer.flush();
  }

  congested(): boolean {
    return this.writer.queued + this.conn.writableLength > LINK_HIGH_WATER;
  }

  whenDrained(release: () => void): void {
    this.drainWaiters.push(release);
    // Checked after this turn's flush: the queued bytes may all have gone to the kernel by then.
    if (this.drainWaiters.length === 1) setImmediate(this.checkDrained);
  }

  private readonly checkDrained = (): void => {
    if (this.conn.destroyed) return void (this.drainWaiters = []);
    if (this.congested()) {
      if (this.conn.writableNeedDrain) this.conn.once('drain', this.checkDrained);
      else setImmediate(this.checkDrained);
      return;
    }
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const release of w) release();
  };

  cacheHint(stream: number): void {
    this.writer.send(FrameType.RESP_CACHE, stream);
  }

  responseEnd(stream: number, flags: number): void {
    this.writer.send(FrameType.RESP_END, stream, flags === 0 ? undefined : Buffer.of(flags));
  }
}

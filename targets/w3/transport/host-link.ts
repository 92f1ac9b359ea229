// The listener's end of the framed transport to one worker: one Unix-socket connection carrying every client
// connection the listener has opened on that worker as a stream of frames. It only multiplexes: stream ids, frames
// to and from each stream's handler (the listener's per-connection state), and the loss of the whole link (the
// worker died or broke the format), which every open stream hears about — the listener decides what a loss means
// for each request (replay, 502, abandon). Bytes the worker wrote before dying still arrive before the close.
import net from 'node:net';
import { FrameDecoder, FrameWriter, FrameType } from './frame-codec';
import type { StreamOpen } from './virtual-socket';
import { MAX_FRAME_PAYLOAD } from './worker-transport';

/** What a stream's owner (the listener's client connection) hears from the worker. */
export interface StreamHandler {
  onData(chunk: Buffer): void;
  onResponseEnd(flags: number): void;
  /** The response about to start has a Cache-Control header (RESP_CACHE). */
  onCacheHint(): void;
  /** The worker closed its side: the client connection closes once the bytes before are written. */
  onFin(): void;
  /** The worker dropped the stream (its virtual socket was destroyed); the id is free again. */
  onReset(): void;
  /** Flow control from the worker (its application is not reading the request body). */
  onPause(): void;
  onResume(): void;
  /** The link itself ended (worker exit, broken frames): the stream is gone with it. */
  onLinkLost(reason: string): void;
}

export class HostLink {
  private readonly conn: net.Socket;
  private readonly writer: FrameWriter;
  private readonly streams = new Map<number, StreamHandler>();
  private nextId = 1;
  private lost: string | null = null;

  constructor(socketPath: string) {
    this.conn = net.connect({ path: socketPath, noDelay: true });
    // Frames written before the connection is up are buffered by the socket and sent once it is.
    this.writer = new FrameWriter(this.conn);
    const decoder = new FrameDecoder((t, s, p) => this.onFrame(t, s, p), MAX_FRAME_PAYLOAD);
    this.conn.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        this.lose(`worker sent malformed frames: ${(err as Error).message}`);
      }
    });
    this.conn.on('error', (err) => this.lose(`worker link failed: ${err.message}`));
    this.conn.on('close', () => this.lose('worker link closed'));
  }

  get alive(): boolean {
    return this.lost === null;
  }

  /** Streams open on this link. */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream for a client connection; returns its id. */
  open(handler: StreamHandler, open: StreamOpen): number {
    let id = this.nextId;
    while (this.streams.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    this.streams.set(id, handler);
    this.writer.send(FrameType.OPEN, id, JSON.stringify(open));
    return id;
  }

  route(id: number, application: string): void {
    this.writer.send(FrameType.ROUTE, id, application);
  }

  data(id: number, chunk: Buffer): void {
    for (let off = 0; off < chunk.length; off += MAX_FRAME_PAYLOAD) {
      const piece =
        off === 0 && chunk.length <= MAX_FRAME_PAYLOAD ? chunk : chunk.subarray(off, off + MAX_FRAME_PAYLOAD);
      this.writer.send(FrameType.DATA, id, piece);
    }
  }

  fin(id: number): void {
    this.writer.send(FrameType.FIN, id);
  }

  /** Ends the stream from the listener's side; its handler hears nothing more. */
  reset(id: number): void {
    if (!this.streams.delete(id)) return;
    this.writer.send(FrameType.RST, id);
  }

  pause(id: number): void {
    this.writer.send(FrameType.PAUSE, id);
  }

  resume(id: number): void {
    this.writer.send(FrameType.RESUME, id);
  }

  /** Closes the link (the worker is gone or being replaced); open streams hear onLinkLost. */
  close(reason = 'worker link closed by the listener'): void {
    this.lose(reason);
  }

  private onFrame(type: FrameType, id: number, payload: Buffer): void {
    const h = this.streams.get(id);
    if (!h) return; // a stream the listener already reset: its frames cross the RST on the wire
    switch (type) {
      case FrameType.DATA:
        return h.onData(payload);
      case FrameType.RESP_END:
        return h.onResponseEnd(payload.length > 0 ? payload[0]! : 0);
      case FrameType.RESP_CACHE:
        return h.onCacheHint();
      case FrameType.FIN:
        return h.onFin();
      case FrameType.RST:
        this.streams.delete(id);
        return h.onReset();
      case FrameType.PAUSE:
        return h.onPause();
      case FrameType.RESUME:
        return h.onResume();
      default:
        return this.lose(`worker sent a frame of type ${type}, which only the listener sends`);
    }
  }

  private lose(reason: string): void {
    if (this.lost !== null) return;
    this.lost = reason;
    this.writer.flush();
    this.conn.destroy();
    const handlers = [...this.streams.values()];
    this.streams.clear();
    for (const h of handlers) h.onLinkLost(reason);
  }
}

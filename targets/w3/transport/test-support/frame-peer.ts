// Tests' stand-in for the listener side of the framed transport: connects to a worker transport's Unix socket,
// sends frames and records what comes back per stream, with waits that resolve on the frames themselves.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { FrameDecoder, FrameWriter, FrameType } from '../frame-codec';
import type { StreamOpen } from '../virtual-socket';

export interface StreamRecord {
  /** Every frame for the stream in arrival order: [type, payload]. */
  frames: [number, Buffer][];
  /** Concatenated DATA. */
  data(): string;
}

export class FramePeer {
  readonly streams = new Map<number, StreamRecord>();
  private readonly writer: FrameWriter;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly conn: net.Socket) {
    this.writer = new FrameWriter(conn);
    const dec = new FrameDecoder(
      (t, s, p) => {
        let r = this.streams.get(s);
        if (!r) {
          const frames: [number, Buffer][] = [];
          r = {
            frames,
            data: () =>
              Buffer.concat(frames.filter((f) => f[0] === FrameType.DATA).map((f) => f[1])).toString('latin1'),
          };
          this.streams.set(s, r);
        }
        r.frames.push([t, Buffer.from(p)]);
        this.wake();
      },
      64 * 1024 * 1024,
    );
    conn.on('data', (c: Buffer) => dec.push(c));
    conn.on('error', () => undefined);
    conn.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(socketPath: string): Promise<FramePeer> {
    return new Promise((resolve, reject) => {
      const c = net.connect(socketPath, () => resolve(new FramePeer(c)));
      c.once('error', reject);
    });
  }

  open(stream: number, open: Partial<StreamOpen> = {}): void {
    const o: StreamOpen = { a: '203.0.113.7', p: 40000, la: '127.0.0.1', lp: 8080, ...open };
    this.writer.send(FrameType.OPEN, stream, JSON.stringify(o));
  }

  send(type: FrameType, stream: number, payload?: string | Buffer): void {
    this.writer.send(type, stream, typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload);
  }

  raw(bytes: Buffer): void {
    this.writer.flush();
    this.conn.write(bytes);
  }

  types(stream: number): number[] {
    return (this.streams.get(stream)?.frames ?? []).map((f) => f[0]);
  }

  /** Resolves when `pred` holds (checked on every frame), rejects after `ms`. */
  until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }

  close(): void {
    this.conn.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export function tempSocketPath(): { path: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-frames-'));
  return { path: path.join(dir, 'w.sock'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

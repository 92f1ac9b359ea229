// Newline-delimited JSON over a byte stream (the control pipe between the manager and a module-mode worker), with
// bounded framing: at most `maxLineBytes` of an unfinished line is ever held, so a peer that writes 600 MB without a
// newline costs the reader one line's worth of memory, not 600 MB.
//
// Why not Node's own IPC channel: its parser runs inside Node and throws (ending the process) on a line that is not
// JSON, buffers a line of any length, and is reachable from application code in the worker through
// `process._send` and the raw descriptor. Here every byte goes through code we own, and the first violation —
// an over-long line, text that is not JSON — is reported once to `onViolation` and ends the channel's reading.
import type { Duplex } from 'node:stream';

export interface LineChannelOptions {
  maxLineBytes: number;
  /** One decoded JSON value per line. Exceptions thrown here are contained and reported as violations. */
  onMessage: (m: unknown) => void;
  /** The first framing or decoding error; no message is delivered after it. */
  onViolation: (error: string) => void;
  /** The peer closed its end (or the stream failed). */
  onClose?: () => void;
}

const NEWLINE = 0x0a;

export class LineChannel {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed = false;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    private readonly opts: LineChannelOptions,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    // A broken pipe is the peer going away; the process's own exit is what the owner acts on.
    stream.on('error', () => this.onEnd());
    stream.on('close', () => this.onEnd());
    stream.on('end', () => this.onEnd());
  }

  /** True while messages can still be sent. */
  get open(): boolean {
    return !this.closed && this.stream.writable;
  }

  /**
   * Queues one message; false when the channel is closed or backed up. `flushed`, when given, runs exactly once:
   * when the message has left this process, or failed to, or (on a later turn) could not be queued at all.
   */
  send(m: unknown, flushed?: () => void): boolean {
    const notQueued = (): false => {
      if (flushed) process.nextTick(flushed);
      return false;
    };
    if (!this.open) return notQueued();
    try {
      return this.stream.write(JSON.stringify(m) + '\n', flushed && (() => flushed()));
    } catch {
      return notQueued(); // not serialisable, or the stream refused it synchronously: nothing was queued
    }
  }

  /** Stop reading and release the stream (the owner is done with the peer). */
  close(): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.stream.destroy();
  }

  private onEnd(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.opts.onClose?.();
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    while (!this.failed) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) {
        const rest = chunk.length - start;
        if (rest === 0) return;
        if (this.pendingBytes + rest > this.opts.maxLineBytes) {
          return this.violation(`a line longer than ${this.opts.maxLineBytes} bytes`);
        }
        this.pending.push(start === 0 ? chunk : chunk.subarray(start));
        this.pendingBytes += rest;
        return;
      }
      const part = chunk.subarray(start, nl);
      if (this.pendingBytes + part.length > this.opts.maxLineBytes) {
        return this.violation(`a line longer than ${this.opts.maxLineBytes} bytes`);
      }
      const line = this.pending.length === 0 ? part : Buffer.concat([...this.pending, part]);
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      this.deliver(line);
    }
  }

  private deliver(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return this.violation('a line that is not JSON');
    }
    try {
      this.opts.onMessage(value);
    } catch (err) {
      this.violation(`a message its handler could not process (${(err as Error).message})`);
    }
  }

  private violation(error: string): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    // Read nothing more from a peer that broke the protocol; its owner kills it.
    this.stream.pause();
    this.opts.onViolation(error);
  }
}

// Writes log lines to a pipe or socket (the host's stdout when a supervisor, the lab or a test reads it) without
// ever blocking the event loop, in order, and so that an exit can hand over exactly what the reader has not got.
//  - A line goes to the kernel at once when nothing is waiting (so a reader sees an event no later than the HTTP
//    response written after it); when the reader is slow, later lines wait here, in one list, bounded by `maxBytes`
//    (beyond it lines are dropped and counted).
//  - At most one write is in the stream at a time; everything after it waits in our list. So at exit the bytes the
//    kernel has not taken are known exactly: the tail of that one write (libuv's write queue size) and our list.
//    flushSync() writes them synchronously, nothing twice and nothing out of order; the stream is then dropped
//    (its libuv request must not send that tail again) and later lines are written synchronously: the process is
//    ending.
// A FIFO is opened a second time, so that fd 1 (shared with the workers) keeps its blocking mode. A socket (what
// Node's spawn gives a child for stdout) cannot be reopened: its one open file description is shared with every
// worker, and starting a worker makes it blocking again (the child side of a spawn clears O_NONBLOCK on inherited
// stdio), which would let a slow reader block the host. So before each write to a shared socket it is made
// non-blocking again (one ioctl). A worker writing to it then may see EAGAIN: Node workers set it non-blocking
// themselves as soon as they use process.stdout, and their synchronous logs retry.
import fs from 'node:fs';
import net from 'node:net';

/** How long the exit flush waits for a reader that is slow: the process is ending anyway. */
const FLUSH_LIMIT_MS = 2000;

export class PipeWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  /** The one write handed to the stream whose callback has not run (null: none, or it completed at once). */
  private inFlight: Buffer | null = null;
  private readonly closeWaiters: (() => void)[] = [];
  /** After flushSync(): every line is written synchronously. */
  private synchronous = false;

  private constructor(
    private readonly fd: number,
    private readonly socket: net.Socket,
    /** The socket's descriptor is fd itself, shared with the workers (see the header). */
    private readonly shared: boolean,
    private readonly maxBytes: number,
    private readonly onDrop: () => void,
  ) {
    socket.on('error', () => onDrop());
  }

  /** A writer for `fd` when it is a pipe or a socket; null otherwise (a file, a TTY). */
  static open(fd: number, maxBytes: number, onDrop: () => void): PipeWriter | null {
    try {
      const st = fs.fstatSync(fd);
      let own: number;
      if (st.isFIFO()) own = fs.openSync(`/proc/self/fd/${fd}`, 'w');
      else if (st.isSocket()) own = fd;
      else return null;
      const socket = new net.Socket({ fd: own, readable: false, writable: true });
      return new PipeWriter(fd, socket, own === fd, maxBytes, onDrop);
    } catch {
      return null;
    }
  }

  /** Bytes not yet taken by the kernel (the tail of the write in flight and the queue). */
  get pendingBytes(): number {
    return this.unsentOfInFlight() + this.queuedBytes;
  }

  write(chunk: string): boolean {
    if (this.synchronous) return writeAllSync(this.fd, Buffer.from(chunk), Date.now() + FLUSH_LIMIT_MS);
    if (this.inFlight === null && this.queue.length === 0) {
      this.send(Buffer.from(chunk));
      return true;
    }
    if (this.queuedBytes + chunk.length > this.maxBytes) {
      this.onDrop();
      return false;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    return false;
  }

  private send(buf: Buffer): void {
    if (this.shared) this.handle()?.setBlocking?.(false);
    this.inFlight = buf;
    this.socket.write(buf, () => {
      if (this.inFlight !== buf) return; // taken over by flushSync(), or already seen complete
      this.inFlight = null;
      this.sendQueued();
    });
    // Written whole at once (the usual case): the stream is free again, the next line may go at once too.
    if (this.socket.writableLength === 0) this.inFlight = null;
  }

  private sendQueued(): void {
    if (this.queue.length > 0) {
      const data = this.queue.join('');
      this.queue = [];
      this.queuedBytes = 0;
      this.send(Buffer.from(data));
    }
    if (this.inFlight === null) for (const fn of this.closeWaiters.splice(0)) fn();
  }

  private unsentOfInFlight(): number {
    if (this.inFlight === null) return 0;
    return Math.min(this.inFlight.length, this.handle()?.writeQueueSize ?? this.inFlight.length);
  }

  /** libuv's stream handle: its write queue size and its blocking mode are not part of net.Socket's API. */
  private handle(): { writeQueueSize?: number; setBlocking?: (on: boolean) => number } | undefined {
    return (this.socket as unknown as { _handle?: { writeQueueSize?: number; setBlocking?: (on: boolean) => number } })
      ._handle;
  }

  /** Drops and errors are counted through onDrop. */
  on(_event: 'drop' | 'error', _fn: () => void): this {
    return this;
  }

  /** At exit and crash: writes what the kernel has not taken yet, synchronously, through the original descriptor. */
  flushSync(): void {
    const tail = this.inFlight ? this.inFlight.subarray(this.inFlight.length - this.unsentOfInFlight()) : null;
    const rest = this.queue.join('');
    // From here on these bytes are ours: neither the stream nor a second flush may send them again.
    this.inFlight = null;
    this.queue = [];
    this.queuedBytes = 0;
    this.synchronous = true;
    this.socket.destroy();
    const deadline = Date.now() + FLUSH_LIMIT_MS;
    for (const part of [tail, Buffer.from(rest)]) {
      if (part && !writeAllSync(this.fd, part, deadline)) return;
    }
  }

  /** 'close': everything written so far has reached the kernel (see end()). Errors are counted, not reported. */
  once(event: 'close' | 'error', fn: () => void): this {
    if (event === 'close') this.closeWaiters.push(fn);
    return this;
  }

  /** Calls the 'close' waiters once everything is out; the descriptor stays open (it may be our own stdout). */
  end(): void {
    if (this.inFlight === null && this.queue.length === 0) for (const fn of this.closeWaiters.splice(0)) fn();
  }
}

/** Writes `buf` whole, waiting out EAGAIN (a non-blocking descriptor) until `deadline`; false when it gave up. */
function writeAllSync(fd: number, buf: Buffer, deadline: number): boolean {
  let left = buf;
  while (left.length > 0) {
    try {
      left = left.subarray(fs.writeSync(fd, left));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  return true;
}

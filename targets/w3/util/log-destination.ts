// Where the host's logs go: stdout or a file, written asynchronously so that no log line is ever synchronous disk
// I/O on the event loop that serves every connection (a flood of bad requests is a flood of HTTPERR lines).
//  - Memory is bounded: when the disk or the stdout reader is slower than the lines come, at most MAX_BUFFER_BYTES
//    wait; beyond that lines are dropped and counted (`dropped`), never buffered without bound.
//  - A file rolls over at `truncateSize`: FILE becomes FILE.1 (FILE.1 → FILE.2, …, keeping `keep` of them) and a new
//    FILE is opened; `header` (the W3C #Fields lines of HTTPERR) starts every file.
//  - flushSync() writes what is buffered synchronously: for the process's exit and crash hooks (the CLI calls it),
//    so the last lines before an exit survive. Workers — processes that may die on purpose — keep synchronous logs.
//  - stdout that is a pipe or a socket (a supervisor, the lab, a test reading the host's events) is written as a
//    non-blocking stream: a line goes out at once when there is room — before the HTTP response written after it, so
//    a reader sees an event no later than the response it caused — and waits in memory when the reader is slow,
//    instead of blocking the event loop. A FIFO is opened a second time for this, so fd 1 (shared with the workers)
//    keeps its mode; a socket cannot be reopened and is used as it is (Node workers make it non-blocking anyway).
import fs from 'node:fs';
import net from 'node:net';
import pino from 'pino';

type Sonic = ReturnType<typeof pino.destination>;

/** How long the exit flush waits for a slow stdout reader. */
const FLUSH_LIMIT_MS = 2000;

/** What may wait in memory for a slow destination before lines are dropped. */
export const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

export interface FileTarget {
  file: string;
  truncateSize: number;
  keep: number;
  /** Written whenever the file is opened: at start and after each roll-over (W3C logs repeat their directives). */
  header?: () => string;
}

export class LogDestination {
  dropped = 0;
  private sonic: Sonic | PipeWriter;
  private bytes = 0;
  private rolling = false;
  private closed = false;

  constructor(private readonly target: { fd: number } | FileTarget) {
    if ('fd' in target) {
      this.sonic =
        PipeWriter.open(target.fd, () => this.dropped++) ??
        pino.destination({ fd: target.fd, sync: false, minLength: 0, maxLength: MAX_BUFFER_BYTES });
    } else {
      // Opened synchronously (start-up, not the request path): a bad path fails the start with its reason.
      const fd = fs.openSync(target.file, 'a');
      this.bytes = fs.fstatSync(fd).size;
      this.sonic = this.fileSonic(fd);
      if (target.header) this.write(target.header());
    }
    if ('fd' in target) this.count(this.sonic);
  }

  private fileSonic(fd: number): Sonic {
    return this.count(pino.destination({ fd, sync: false, minLength: 0, maxLength: MAX_BUFFER_BYTES }));
  }

  private count<T extends Sonic | PipeWriter>(d: T): T {
    d.on('drop', () => this.dropped++);
    // A write error (disk full, stdout closed) must not end the host: the line is lost, the server goes on.
    d.on('error', () => this.dropped++);
    return d;
  }

  /** pino calls this for every line. */
  write(chunk: string): boolean {
    if (this.closed) return false;
    if (!('fd' in this.target) && this.bytes >= this.target.truncateSize && !this.rolling) this.rollOver(this.target);
    this.bytes += Buffer.byteLength(chunk);
    return this.sonic.write(chunk);
  }

  /** Synchronous: for exit and crash hooks. Never throws. */
  flushSync(): void {
    if (this.closed) return;
    try {
      this.sonic.flushSync();
    } catch {
      /* not open yet, or the fd is gone: nothing more can be saved */
    }
  }

  /** Flushes what is buffered, then closes. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      const done = (): void => resolve();
      this.sonic.once('close', done);
      this.sonic.once('error', done);
      try {
        this.sonic.end();
      } catch {
        resolve();
      }
    });
  }

  private rollOver(t: FileTarget): void {
    this.rolling = true;
    void (async () => {
      for (let i = t.keep - 1; i >= 1; i--) await fs.promises.rename(`${t.file}.${i}`, `${t.file}.${i + 1}`).catch(() => undefined);
      await fs.promises.rename(t.file, `${t.file}.1`).catch(() => undefined);
      const fd = await openAppend(t.file).catch(() => null);
      if (this.closed || fd === null) {
        if (fd !== null) fs.close(fd, () => undefined);
        this.rolling = false;
        return;
      }
      // Lines written meanwhile went to the old (renamed) file; its writer flushes them and closes.
      const old = this.sonic as Sonic;
      this.sonic = this.fileSonic(fd);
      old.end();
      this.bytes = 0;
      this.rolling = false;
      if (t.header) this.write(t.header());
    })();
  }
}

const openAppend = (file: string): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, 'a', (err, fd) => (err ? reject(err) : resolve(fd))));

/** Writes to a pipe without ever blocking, keeping order; see the module header. */
class PipeWriter {
  private readonly pending: string[] = [];
  private pendingBytes = 0;
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(
    private readonly fd: number,
    private readonly socket: net.Socket,
    private readonly onDrop: () => void,
  ) {
    socket.on('error', () => onDrop());
  }

  /** A writer for `fd` when it is a pipe or a socket; null otherwise (a file, a TTY). */
  static open(fd: number, onDrop: () => void): PipeWriter | null {
    try {
      const st = fs.fstatSync(fd);
      let own: number;
      if (st.isFIFO()) own = fs.openSync(`/proc/self/fd/${fd}`, 'w');
      else if (st.isSocket()) own = fd;
      else return null;
      return new PipeWriter(fd, new net.Socket({ fd: own, readable: false, writable: true }), onDrop);
    } catch {
      return null;
    }
  }

  write(chunk: string): boolean {
    if (this.pendingBytes > MAX_BUFFER_BYTES) {
      this.onDrop();
      return false;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Callbacks come in write order: the oldest pending chunk is the one that was just handed to the kernel.
    return this.socket.write(chunk, () => {
      this.pendingBytes -= this.pending.shift()?.length ?? 0;
    });
  }

  /** Drops and errors are already counted through onDrop. */
  on(_event: 'drop' | 'error', _fn: () => void): this {
    return this;
  }

  /** At exit: what the reader has not taken yet, written through the original descriptor (waiting up to
   *  FLUSH_LIMIT_MS for a reader that is slow: the process is ending anyway). */
  flushSync(): void {
    const deadline = Date.now() + FLUSH_LIMIT_MS;
    for (const chunk of this.pending.splice(0)) {
      let buf = Buffer.from(chunk);
      while (buf.length > 0) {
        try {
          buf = buf.subarray(fs.writeSync(this.fd, buf));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      }
    }
    this.pendingBytes = 0;
  }

  /** 'close': everything written so far has reached the kernel (see end()). Errors are counted, not reported. */
  once(event: 'close' | 'error', fn: () => void): this {
    if (event === 'close') this.closeWaiters.push(fn);
    return this;
  }

  /** Waits for what is pending; the descriptor stays open (it may be the process's own stdout). */
  end(): void {
    // Write callbacks run in order: this one runs once every earlier line is out.
    this.socket.write('', () => {
      for (const fn of this.closeWaiters.splice(0)) fn();
    });
  }
}

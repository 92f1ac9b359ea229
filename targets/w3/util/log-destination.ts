// Where the host's logs go: stdout or a file, written asynchronously so that no log line is ever synchronous disk
// I/O on the event loop that serves every connection (a flood of bad requests is a flood of HTTPERR lines).
//  - Memory is bounded: when the disk or the stdout reader is slower than the lines come, at most MAX_BUFFER_BYTES
//    wait; beyond that lines are dropped and counted (`dropped`), never buffered without bound.
//  - A file rolls over at `truncateSize`: FILE becomes FILE.1 (FILE.1 → FILE.2, …, keeping `keep` of them) and a new
//    FILE is opened; `header` (the W3C #Fields lines of HTTPERR) starts every file.
//  - flushSync() writes what is buffered synchronously: for the process's exit and crash hooks (the CLI calls it),
//    so the last lines before an exit survive. Workers — processes that may die on purpose — keep synchronous logs.
//  - flush() waits, without blocking, until every line written so far is in the kernel: a graceful stop awaits it
//    before it exits, so no line is left to the exit hook (nor to a write the exit would cut short).
//  - stdout that is a pipe or a socket (a supervisor, the lab, a test reading the host's events) is written without
//    blocking and in order (pipe-writer.ts): a line goes out at once when there is room and waits in memory when
//    the reader is slow.
import fs from 'node:fs';
import pino from 'pino';
import { PipeWriter } from './pipe-writer';

type Sonic = ReturnType<typeof pino.destination>;

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
  /** Bytes handed to the file writers (the current one, and one rolled over) and not yet written. */
  private unwritten = 0;
  private flushWaiters: (() => void)[] = [];

  constructor(private readonly target: { fd: number } | FileTarget) {
    if ('fd' in target) {
      this.sonic =
        PipeWriter.open(target.fd, MAX_BUFFER_BYTES, () => this.dropped++) ??
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
    d.on('drop', (data?: string) => {
      this.dropped++;
      this.written(data === undefined ? 0 : Buffer.byteLength(data));
    });
    // A write error (disk full, stdout closed) must not end the host: the line is lost, the server goes on.
    d.on('error', () => {
      this.dropped++;
      this.written(Infinity);
    });
    if (!(d instanceof PipeWriter)) d.on('write', (n: number) => this.written(n));
    return d;
  }

  /** `n` bytes left the file writers' buffers (written, dropped, or lost to an error). */
  private written(n: number): void {
    this.unwritten = Math.max(0, this.unwritten - n);
    if (this.unwritten === 0) for (const fn of this.flushWaiters.splice(0)) fn();
  }

  /** pino calls this for every line. */
  write(chunk: string): boolean {
    if (this.closed) return false;
    if (!('fd' in this.target) && this.bytes >= this.target.truncateSize && !this.rolling) this.rollOver(this.target);
    const n = Buffer.byteLength(chunk);
    this.bytes += n;
    // Counted before the write: a writer that drops the line says so from inside write().
    if (!(this.sonic instanceof PipeWriter)) this.unwritten += n;
    return this.sonic.write(chunk);
  }

  /** Resolves once every line written so far is in the kernel (the file, or the pipe's reader); stays open. */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const sonic = this.sonic;
    if (sonic instanceof PipeWriter) return new Promise((resolve) => sonic.once('close', resolve).end());
    if (this.unwritten === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
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
      for (let i = t.keep - 1; i >= 1; i--)
        await fs.promises.rename(`${t.file}.${i}`, `${t.file}.${i + 1}`).catch(() => undefined);
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

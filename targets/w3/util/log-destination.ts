// Where the host's logs go: stdout or a file, written asynchronously so that no log line is ever synchronous disk
// I/O on the event loop that serves every connection (a flood of bad requests is a flood of HTTPERR lines).
//  - Memory is bounded: when the disk or the stdout reader is slower than the lines come, at most MAX_BUFFER_BYTES
//    wait; beyond that lines are dropped and counted (`dropped`), never buffered without bound.
//  - A file rolls over at `truncateSize`: FILE becomes FILE.1 (FILE.1 → FILE.2, …, keeping `keep` of them) and a new
//    FILE is opened; `header` (the W3C #Fields lines of HTTPERR) starts every file. No file grows past the size by
//    more than the one line that reached it, however slow the renames are (a loaded disk or thread pool): lines
//    written while the roll-over is under way wait in memory (within MAX_BUFFER_BYTES) and start the new file.
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
  private closed = false;
  /** Bytes handed to the file writers (the current one, and one rolled over) or held, and not yet written. */
  private unwritten = 0;
  private flushWaiters: (() => void)[] = [];
  /** A roll-over is under way: new lines are held (`held`) until the new file is open. */
  private rolling = false;
  private held: string[] = [];
  private heldBytes = 0;
  /** Settles when the roll-over under way has opened the new file and handed it the held lines. */
  private rolled: Promise<void> = Promise.resolve();
  /** Settles when the writer of the file rolled over last has written everything and closed. */
  private retired: Promise<void> = Promise.resolve();

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
      // A file already full rolls over at once; the roll-over writes the header to the new file.
      if (this.bytes >= target.truncateSize) this.rollOver(target);
      else if (target.header) this.write(target.header());
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
    return this.route(chunk, Buffer.byteLength(chunk));
  }

  /** A line to the current file, or held for the next one when this file is full or a roll-over is under way. */
  private route(chunk: string, n: number): boolean {
    if (!('fd' in this.target) && this.bytes >= this.target.truncateSize && !this.rolling) {
      this.rollOver(this.target);
    }
    if (!this.rolling) return this.hand(chunk, n);
    if (this.heldBytes + n > MAX_BUFFER_BYTES) {
      this.dropped++;
      return false;
    }
    this.held.push(chunk);
    this.heldBytes += n;
    this.unwritten += n;
    return true;
  }

  private hand(chunk: string, n: number): boolean {
    this.bytes += n;
    // Counted before the write: a writer that drops the line says so from inside write().
    if (!(this.sonic instanceof PipeWriter)) this.unwritten += n;
    return this.sonic.write(chunk);
  }

  /** Takes the held lines out (they stop counting as unwritten: the caller writes each one again). */
  private takeHeld(): string[] {
    const lines = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const l of lines) this.unwritten -= Buffer.byteLength(l);
    return lines;
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
      // The process is ending: lines held for a roll-over still under way go to the current file, so they are kept.
      for (const l of this.takeHeld()) this.hand(l, Buffer.byteLength(l));
      this.sonic.flushSync();
    } catch {
      /* not open yet, or the fd is gone: nothing more can be saved */
    }
  }

  /** Flushes what is buffered (a roll-over under way completes first), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A roll-over may start another one (held lines past the size): wait for the last.
    while (this.rolling) await this.rolled;
    await Promise.all([this.retired, ended(this.sonic)]);
  }

  private rollOver(t: FileTarget): void {
    this.rolling = true;
    this.rolled = (async () => {
      for (let i = t.keep - 1; i >= 1; i--)
        await fs.promises.rename(`${t.file}.${i}`, `${t.file}.${i + 1}`).catch(() => undefined);
      await fs.promises.rename(t.file, `${t.file}.1`).catch(() => undefined);
      const fd = await openAppend(t.file).catch(() => null);
      this.rolling = false;
      if (fd === null) {
        // No new file: the held lines go to the current one, in order; the next line tries the roll-over again.
        for (const l of this.takeHeld()) this.hand(l, Buffer.byteLength(l));
        return;
      }
      // Lines written before the roll-over began went to the old (renamed) file; its writer flushes them and closes.
      const old = this.sonic as Sonic;
      this.sonic = this.fileSonic(fd);
      const before = this.retired;
      this.retired = Promise.all([before, ended(old)]).then(() => undefined);
      this.bytes = 0;
      const header = t.header?.();
      if (header !== undefined) this.hand(header, Buffer.byteLength(header));
      // Through route(): held lines past the size start the next roll-over, as lines written now would.
      for (const l of this.takeHeld()) this.route(l, Buffer.byteLength(l));
    })();
  }
}

/** Ends a writer: resolves once it has written what it holds and closed (or failed). */
function ended(sonic: Sonic | PipeWriter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => resolve();
    sonic.once('close', done);
    sonic.once('error', done);
    try {
      sonic.end();
    } catch {
      resolve();
    }
  });
}

const openAppend = (file: string): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, 'a', (err, fd) => (err ? reject(err) : resolve(fd))));

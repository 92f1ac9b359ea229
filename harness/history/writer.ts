// history.jsonl on disk: HistoryWriter appends records as JSON lines, and readHistory reads them back.
// Records are buffered in memory and written with fs.writeSync at most every `flushIntervalMs` (and early
// when the buffer grows large), so a crash or Ctrl-C of the harness loses at most ~100 ms of history.
// writeSync, not a stream: it cannot be left half-done by a pending async write when the process exits,
// and `flushSync()` can be called from a signal or 'exit' handler. A line cut short by a crash is dropped by
// readHistory; a malformed line elsewhere is corruption and raises HistoryParseError.
import * as fs from 'node:fs';
import type { HistoryRecord } from './types';

export interface HistoryWriterOptions {
  /** Most time a record stays in memory before it is written (default 100 ms). */
  flushIntervalMs?: number;
  /** Write early once this many bytes are buffered (default 1 MiB). */
  maxBufferedBytes?: number;
}

export class HistoryParseError extends Error {
  readonly code = 'LAB_ERR_HISTORY_PARSE';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HistoryParseError';
  }
}

export class HistoryWriter {
  private fd: number | null;
  private chunks: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedBytes: number;
  private written = 0;

  /** Opens (creates or appends to) `file`. */
  constructor(
    readonly file: string,
    options: HistoryWriterOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
    this.fd = fs.openSync(file, 'a');
  }

  /** Number of records appended so far (buffered or written). */
  get count(): number {
    return this.written;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Buffers one record. Throws if the writer was closed. */
  append(record: HistoryRecord): void {
    if (this.fd === null) throw new Error(`HistoryWriter for ${this.file} is closed`);
    const line = JSON.stringify(record) + '\n';
    this.chunks.push(line);
    this.bufferedBytes += line.length;
    this.written += 1;
    if (this.bufferedBytes >= this.maxBufferedBytes) {
      this.flushSync();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flushSync(), this.flushIntervalMs);
      // The writer must never keep the harness alive on its own.
      this.timer.unref();
    }
  }

  /** Writes everything buffered now. Safe to call from signal handlers; a no-op after close. */
  flushSync(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.fd === null || this.chunks.length === 0) return;
    const data = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.bufferedBytes = 0;
    let offset = 0;
    // writeSync may write less than asked for large buffers: loop until all of it is on disk.
    while (offset < data.length) offset += fs.writeSync(this.fd, data, offset, data.length - offset);
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    this.flushSync();
    const fd = this.fd;
    this.fd = null;
    fs.closeSync(fd);
  }
}

/** Parses history.jsonl text. A last line without its newline that does not parse (a crash cut it) is dropped. */
export function parseHistory(text: string, file = '<history>'): HistoryRecord[] {
  const lines = text.split('\n');
  const records: HistoryRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as HistoryRecord);
    } catch (err) {
      const isUnterminatedLast = i === lines.length - 1;
      if (isUnterminatedLast) break;
      throw new HistoryParseError(`${file}:${i + 1}: not a JSON record`, file, i + 1, { cause: err });
    }
  }
  return records;
}

/** Reads a history.jsonl file, tolerating a truncated last line. */
export function readHistory(file: string): HistoryRecord[] {
  return parseHistory(fs.readFileSync(file, 'utf8'), file);
}

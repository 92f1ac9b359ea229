// A container's stdout/stderr as lines: kept in memory for waits and event parsing, appended synchronously to a
// file (so a crash of the harness keeps them), fed from one follow stream per container start.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ContainerRuntimeError } from './container-types';

/** Container output as lines (and appended to a file), from one or more follow streams (one per start). */
export class LogCollector {
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private streams: Readable[] = [];

  constructor(
    private readonly file?: string,
    private readonly onLine?: (line: string) => void,
  ) {
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  attach(stream: Readable): void {
    this.streams.push(stream);
    let buf = '';
    stream.on('data', (chunk: string | Buffer) => {
      const text = chunk.toString();
      if (this.file) fs.appendFileSync(this.file, text);
      buf += text;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      if (buf) this.push(buf);
      buf = '';
    });
    stream.on('error', () => undefined);
  }

  private push(line: string): void {
    this.lines.push(line);
    try {
      this.onLine?.(line);
    } catch {
      /* a consumer's bug must not stop log capture */
    }
    for (const w of [...this.waiters]) w();
  }

  waitFor(
    pred: (line: string) => boolean,
    from: number,
    timeoutMs: number,
    what: string,
  ): Promise<{ line: string; index: number }> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!;
          if (pred(line)) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve({ line, index: scanned });
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new ContainerRuntimeError(
            'LAB_ERR_CONTAINER',
            `no matching log line from ${what} within ${timeoutMs} ms; ` +
              `last lines:\n${this.lines.slice(-15).join('\n')}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  close(): void {
    for (const s of this.streams) s.destroy();
    this.streams = [];
  }
}

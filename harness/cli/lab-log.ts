// The harness's log during `w3lab run`: everything (at the chosen level) as pino JSON into lab.log in the suite
// folder, and warnings and errors also on the terminal as one short line each — a setting the target ignores
// (e.g. memoryLimitGiB on the process runtime) must be seen by the person who wrote it, not only in a file.
import fs from 'node:fs';
import pino from 'pino';
import type { Logger } from 'pino';

export interface LabLog {
  log: Logger;
  close(): void;
}

/** `beforeLine` runs before a console line is written (the CLI clears its progress line there). */
export function createLabLog(file: string, level: string, beforeLine: () => void = () => undefined): LabLog {
  const fd = fs.openSync(file, 'a');
  const consoleStream = {
    write(line: string): void {
      let o: { level?: number; msg?: string; scenario?: string; runId?: string; [k: string]: unknown };
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        return;
      }
      const word = (o.level ?? 0) >= 50 ? 'error' : 'warning';
      const extra = Object.entries(o)
        .filter(([k]) => !['level', 'time', 'pid', 'hostname', 'name', 'msg', 'suite', 'runId', 'v'].includes(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      beforeLine();
      const run = typeof o.runId === 'string' ? ` [${o.runId}]` : '';
      process.stderr.write(`w3lab ${word}${run}: ${o.msg ?? ''}${extra.length ? ` (${extra.join(', ')})` : ''}\n`);
    },
  };
  const log = pino(
    { level, name: 'w3lab', base: { pid: process.pid } },
    pino.multistream([
      { level: level, stream: pino.destination({ fd, sync: true }) },
      { level: 'warn', stream: consoleStream },
    ]),
  );
  return { log, close: () => fs.closeSync(fd) };
}

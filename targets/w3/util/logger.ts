// One root pino logger per process; modules take child loggers with bindings (pool, workerId).
//  - createHostLogger: the w3 host's log, asynchronous (log-destination.ts): the host's one event loop serves every
//    connection and must never wait for the disk; bounded in memory, rolled over when it is a file, flushed
//    synchronously by the CLI's exit and crash hooks.
//  - createLogger: synchronous, for processes that may die on purpose (their last lines must survive) and for the
//    lab's own logs.
import pino from 'pino';
import { LogDestination } from './log-destination';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string; fd?: number } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', name: opts.name ?? 'w3', base: { pid: process.pid } },
    pino.destination({ fd: opts.fd ?? 1, sync: true }),
  );
}

export interface HostLogger {
  log: Logger;
  destination: LogDestination;
}

/** `file` null: stdout. */
export function createHostLogger(opts: {
  level: string;
  file: string | null;
  truncateSize: number;
  keep: number;
}): HostLogger {
  const destination = opts.file
    ? new LogDestination({ file: opts.file, truncateSize: opts.truncateSize, keep: opts.keep })
    : new LogDestination({ fd: 1 });
  const log = pino({ level: opts.level, name: 'w3', base: { pid: process.pid } }, destination);
  return { log, destination };
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

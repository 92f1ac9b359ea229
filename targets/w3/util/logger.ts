// One root pino logger per host process; modules take child loggers with bindings (pool, workerId).
// Synchronous destination: the host may be killed on purpose by the lab and its last lines must survive.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; name?: string; fd?: number } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', name: opts.name ?? 'w3', base: { pid: process.pid } },
    pino.destination({ fd: opts.fd ?? 1, sync: true }),
  );
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

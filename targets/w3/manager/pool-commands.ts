// Programs the pool runs on its own events, like IIS's autoShutdownExe and orphanActionExe: autoShutdownCommand when
// rapid-fail protection stops the pool (%1% = pool name) and orphanActionCommand when a worker is orphaned (%1% =
// its PID). Fire and forget: w3 never waits for them (a debugger attach may run for hours), they run in their own
// process group so a signal to the host does not reach them, and a command that cannot start or fails is logged.
import { spawn } from 'node:child_process';
import type { Logger } from '../util/logger';

/** Replaces "%1%" in every argument. */
export function expandArgs(argv: readonly string[], value: string): string[] {
  return argv.map((a) => a.split('%1%').join(value));
}

export function runPoolCommand(argv: readonly string[], what: string, log: Logger): void {
  const [cmd, ...args] = argv;
  if (!cmd) return;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.once('error', (err) => log.error({ err: err.message, argv, what }, `${what} could not be started`));
    child.once('exit', (code, signal) => {
      if (code !== 0) log.warn({ argv, what, exitCode: code, signal }, `${what} failed`);
    });
    child.unref();
  } catch (err) {
    log.error({ err: (err as Error).message, argv, what }, `${what} could not be started`);
  }
}

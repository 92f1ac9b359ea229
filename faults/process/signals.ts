// Process faults from outside, by PID: signals (SIGKILL, SIGSEGV, ...) and pause/resume (SIGSTOP/SIGCONT). The
// target can be any process the lab may signal — a w3 worker, a peer's worker, a whole server. Errors carry
// stable codes (faults/errors.ts) because a process that has already exited is an expected outcome the caller
// usually wants to record, not a crash of the lab.
import { FaultError, isFaultError } from '../errors';
import { holdThenHeal } from '../hold-then-heal';

/** Delivers `signal` to `pid`. Throws FaultError LAB_ERR_NO_PROCESS when no such process exists. */
export function sendSignal(pid: number, signal: NodeJS.Signals): void {
  // 0 and negative PIDs address process groups (-1: every process we may signal): never what a fault means.
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new FaultError('LAB_ERR_SIGNAL_FAILED', `refusing to signal pid ${String(pid)}: not a single process`);
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new FaultError('LAB_ERR_NO_PROCESS', `no process with pid ${pid}`, { cause: err });
    if (code === 'EPERM') {
      throw new FaultError('LAB_ERR_SIGNAL_DENIED', `not permitted to send ${signal} to pid ${pid}`, { cause: err });
    }
    throw new FaultError('LAB_ERR_SIGNAL_FAILED', `could not send ${signal} to pid ${pid}`, { cause: err });
  }
}

/** True when a process with this PID exists (it may belong to someone else). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0: existence and permission check only
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Freezes the process (SIGSTOP cannot be caught): its sockets stay open but nothing is read or answered. */
export function pauseProcess(pid: number): void {
  sendSignal(pid, 'SIGSTOP');
}

export function resumeProcess(pid: number): void {
  sendSignal(pid, 'SIGCONT');
}

/**
 * Pauses `pid` for at least `ms` and until `body` (if given) settles, then resumes it. The resume is the heal
 * step: it runs in finally, also when `body` throws (then at once, without waiting out `ms`). A process that
 * exited meanwhile needs no resume.
 */
export async function withPause<T>(pid: number, ms: number, body?: () => T | Promise<T>): Promise<T | undefined> {
  pauseProcess(pid);
  return holdThenHeal(ms, body, () => {
    try {
      resumeProcess(pid);
    } catch (err) {
      if (!isFaultError(err, 'LAB_ERR_NO_PROCESS')) throw err;
    }
  });
}

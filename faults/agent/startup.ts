// Startup faults: a worker that dies or never becomes ready before it loads the application. The manager (or the
// lab, for peers) sets W3LAB_STARTUP_FAULT in the environment of the workers it wants to break; the worker calls
// applyStartupFault() first thing, before loading the app, so no app code or readiness report ever runs.
//   crash → one line on stderr, exit code 70 (EX_SOFTWARE) at once
//   hang  → the main thread sleeps in bounded chunks: no ready report, no ping answers, no CPU burnt (many hung
//           workers may pile up during a rapid-fail test). It ends when the parent process is gone (no orphans)
//           or after at most 10 minutes, with exit code 71 — a "hang" must never turn into a late start.
// SIGTERM/SIGKILL still end the process: no handler runs this early, so the default disposition applies.
import fs from 'node:fs';

export const STARTUP_FAULT_ENV = 'W3LAB_STARTUP_FAULT';
export const STARTUP_CRASH_EXIT_CODE = 70;
export const STARTUP_HANG_END_EXIT_CODE = 71;
export const MAX_STARTUP_HANG_MS = 10 * 60 * 1000;
/** Sleep chunk: how often a hung worker checks whether its parent still exists. */
const HANG_CHUNK_MS = 1000;

export interface StartupFaultOptions {
  /** Upper bound of a startup hang (tests use a short one); never more than MAX_STARTUP_HANG_MS. */
  maxHangMs?: number;
}

export function applyStartupFault(env: NodeJS.ProcessEnv, opts: StartupFaultOptions = {}): void {
  const mode = (env[STARTUP_FAULT_ENV] ?? '').trim();
  if (mode === '') return;
  if (mode === 'crash') {
    writeLine(`w3lab: startup fault: crashing before the application loads (pid ${process.pid})`);
    process.exit(STARTUP_CRASH_EXIT_CODE);
  }
  if (mode === 'hang') {
    const limit = Math.min(Math.max(0, opts.maxHangMs ?? MAX_STARTUP_HANG_MS), MAX_STARTUP_HANG_MS);
    writeLine(`w3lab: startup fault: hanging before the application loads (pid ${process.pid}, up to ${limit} ms)`);
    const why = sleepBlocking(limit);
    writeLine(`w3lab: startup fault: hang ended (${why}), exiting`);
    process.exit(STARTUP_HANG_END_EXIT_CODE);
  }
  // The lab sets this variable itself, so an unknown value is a lab bug: say so, but do not break the worker.
  writeLine(`w3lab: ignoring unknown ${STARTUP_FAULT_ENV}=${JSON.stringify(mode)} (expected crash or hang)`);
}

/** Blocks the thread without spinning; returns why it stopped. */
function sleepBlocking(ms: number): 'limit reached' | 'parent gone' {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const parent = process.ppid;
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return 'limit reached';
    Atomics.wait(cell, 0, 0, Math.min(HANG_CHUNK_MS, left));
    if (!isAlive(parent)) return 'parent gone';
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 1) return true; // already re-parented to init (or unknown): nothing to watch
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Synchronous, so the line is written even though the process exits or blocks right after. */
function writeLine(line: string): void {
  try {
    fs.writeSync(2, line + '\n');
  } catch {
    /* stderr closed: nothing else to tell */
  }
}

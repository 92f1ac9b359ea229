// maxConnections: how many client connections the listener keeps open at once. Beyond it a new connection is
// still accepted, answered with HTTP.SYS's 503 page (HTTPERR ConnLimit) and closed, so a client is told at once
// instead of hanging in the accept backlog or failing to connect because the process ran out of file descriptors.
// "0 = automatic" derives the limit from the open-file limit: every proxied connection needs one descriptor for
// the client and, while a request runs, one for the worker transport — half the limit, minus a reserve for logs,
// worker control channels and the admin socket.
import fs from 'node:fs';

const RESERVE = 64;

export function effectiveMaxConnections(configured: number, openFiles: number | null = openFileLimit()): number {
  if (configured > 0) return configured;
  if (openFiles === null) return Number.MAX_SAFE_INTEGER;
  return Math.max(RESERVE, Math.floor(openFiles / 2) - RESERVE);
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or null when unknown or unlimited. */
export function openFileLimit(): number | null {
  try {
    const text = fs.readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (!m || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

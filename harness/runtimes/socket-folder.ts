// The private temp folders that carry a control socket between this machine and a container (w3's admin API,
// node-cluster's control endpoint; admin-access.ts decides when one is used). Layout of one folder:
//   w3lab-admin-XXXXXX/        0700, the harness's user: no other host user gets past it
//     owner.json               who made it: the harness's owner token (host:pid:start-time) and the run, so
//                              `w3lab clean` can tell a leftover (its harness is gone) from a live run's folder
//     s/                       0777, bind-mounted into the container, where the container's user (uid 1000)
//                              creates its socket
// A harness killed outright (SIGKILL) cannot remove its folder; the owner record is what lets `w3lab clean` do it
// without ever taking the folder of a run that is still going. The record is written before `s` exists, so a
// folder without one is either from a w3lab older than the record or being made right now: never removed.
import fs from 'node:fs';
import path from 'node:path';

export const SOCKET_FOLDER_PREFIX = 'w3lab-admin-';
export const OWNER_RECORD = 'owner.json';
const SHARED = 's';

/** Who a folder belongs to; the token is ownership.ts's "host:pid:start-time" of the harness. */
export interface SocketFolderOwner {
  token: string;
  runId?: string;
  /** The run folder (absolute), so a clean scoped to a results folder finds the folders of its runs. */
  runDir?: string;
}

export interface SocketFolder {
  /** The 0700 folder (what cleanup removes). */
  root: string;
  /** The world-writable folder inside, to bind-mount. */
  shared: string;
  /** Removes the folder and everything in it (idempotent). */
  cleanup(): void;
}

/** Makes a folder in `tmpDir` (throws on failure, leaving nothing behind). */
export function makeSocketFolder(tmpDir: string, owner?: SocketFolderOwner): SocketFolder {
  const root = fs.mkdtempSync(path.join(tmpDir, SOCKET_FOLDER_PREFIX));
  const cleanup = (): void => fs.rmSync(root, { recursive: true, force: true });
  try {
    if (owner) fs.writeFileSync(path.join(root, OWNER_RECORD), JSON.stringify(owner) + '\n', { mode: 0o600 });
    const shared = path.join(root, SHARED);
    fs.mkdirSync(shared);
    // chmod after mkdir: the umask must not narrow it. The 0700 parent keeps other host users out.
    fs.chmodSync(shared, 0o777);
    return { root, shared, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * The owner record of a folder: the record, "none" (no file: see the header), or "unreadable" (not a JSON object
 * with a string token, or not ours to read).
 */
export function readOwnerRecord(root: string): SocketFolderOwner | 'none' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, OWNER_RECORD), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 'unreadable';
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return 'unreadable';
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return 'unreadable';
  const { token, runId, runDir } = j as Record<string, unknown>;
  if (typeof token !== 'string') return 'unreadable';
  return {
    token,
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof runDir === 'string' ? { runDir } : {}),
  };
}

// `w3lab clean`, temp folders: the private folders in which a container run keeps its control socket
// (harness/runtimes/socket-folder.ts: w3's admin API, node-cluster's control endpoint) live in the machine's temp
// folder, outside any results folder, and a harness killed outright leaves its own behind. Each carries an owner
// record (the harness's host:pid:start-time and the run); a folder is a leftover only when that record names a run
// inside the scope whose harness is gone. A running harness's folder — another job's on this machine included —,
// another machine's, another user's, anything that is no plain folder, and a folder without a readable record are
// left alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OwnerState } from '../targets/ownership';
import { readOwnerRecord, SOCKET_FOLDER_PREFIX } from '../runtimes/socket-folder';

export interface SocketFolderSweep {
  dryRun: boolean;
  /** Whether a run (id, folder) is in the clean's scope. */
  inScope: (runId: string | undefined, runDir: string | undefined) => boolean;
  ownerState: (token: string | undefined) => OwnerState;
  /** Where the folders are (default: os.tmpdir(), where the runtimes make them). */
  tmpDir?: string;
  /** The user whose folders may be removed (default: this process's uid). */
  uid?: number;
}

/** Lines for the clean's report; the folders it removed. */
export function cleanSocketFolders(o: SocketFolderSweep): { lines: string[]; removed: string[] } {
  const tmpDir = o.tmpDir ?? os.tmpdir();
  const uid = o.uid ?? process.getuid?.() ?? 0;
  const lines: string[] = [];
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmpDir).filter((n) => n.startsWith(SOCKET_FOLDER_PREFIX));
  } catch (err) {
    return { lines: [`socket folders: cannot list ${tmpDir} (${(err as Error).message}); none removed`], removed };
  }
  let unrecorded = 0;
  for (const name of names.sort()) {
    const root = path.join(tmpDir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(root);
    } catch {
      continue; // gone meanwhile
    }
    if (!st.isDirectory() || st.uid !== uid) continue; // a link or file by that name, or another user's
    const owner = readOwnerRecord(root);
    if (owner === 'none') {
      unrecorded++;
      continue;
    }
    if (owner === 'unreadable') {
      lines.push(`left alone: socket folder ${root}: its owner record is unreadable`);
      continue;
    }
    if (!o.inScope(owner.runId, owner.runDir)) continue;
    const what = `socket folder ${root} of run ${owner.runId ?? '?'}`;
    const state = o.ownerState(owner.token);
    if (state !== 'gone') {
      const why = state === 'running' ? 'its run is still going' : 'made from another machine';
      lines.push(`left alone: ${what}: ${why}`);
      continue;
    }
    if (o.dryRun) {
      lines.push(`would remove ${what}`);
      continue;
    }
    try {
      fs.rmSync(root, { recursive: true, force: true });
      removed.push(root);
      lines.push(`removed ${what}`);
    } catch (err) {
      lines.push(`could not remove ${what}: ${(err as Error).message}`);
    }
  }
  if (unrecorded)
    lines.push(
      `left alone: ${unrecorded} socket folder(s) ${path.join(tmpDir, SOCKET_FOLDER_PREFIX)}* without an owner ` +
        'record (made by an older w3lab, or being made right now; remove them by hand if no run of yours is going)',
    );
  return { lines, removed };
}

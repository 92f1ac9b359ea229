// The status of a run folder whose lab process is gone. run.json is written "running" at the start and rewritten at
// the end; a lab that was SIGKILLed (or a machine that went down) never rewrites it. It records its owner — pid,
// the process's start time and the host — and the next `list` or `report` that finds a "running" run whose owner
// no longer exists marks it "killed" (with when that was noticed), so no folder claims to be running forever.
// The start time guards against pid reuse: a live process with that pid but another start time is not the owner.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunOwner {
  pid: number;
  /** Epoch ms the owning process started (from /proc), to tell it from a later process with the same pid. */
  startedAt: number | null;
  host: string;
}

/** Epoch ms process `pid` started, from /proc (Linux); null when that cannot be read. */
export function processStartedAt(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot) comes after the command name, which may hold spaces: split after
    // ")".
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + Math.round((ticks * 1000) / 100); // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function runOwner(): RunOwner {
  return { pid: process.pid, startedAt: processStartedAt(process.pid), host: os.hostname() };
}

/** Whether the process that wrote run.json is still alive (true when that cannot be told: another host). */
export function ownerAlive(owner: Partial<RunOwner> | undefined): boolean {
  if (!owner || typeof owner.pid !== 'number') return false;
  if (owner.host !== undefined && owner.host !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStartedAt(owner.pid);
  if (started === null || typeof owner.startedAt !== 'number') return true;
  return Math.abs(started - owner.startedAt) < 2000;
}

/**
 * The run.json of `dir`, marked "killed" (and rewritten) when it says running and its owner is gone. A run.json
 * without an owner (written before owners were recorded) that says running is left as it is.
 */
export function settleRunStatus<T extends { status?: unknown; owner?: Partial<RunOwner> }>(dir: string, info: T): T {
  if (info.status !== 'running' || info.owner === undefined || ownerAlive(info.owner)) return info;
  const settled = { ...info, status: 'killed', killedNoticedAt: new Date().toISOString() };
  const file = path.join(dir, 'run.json');
  const tmp = path.join(dir, '.run.json.tmp');
  try {
    fs.writeFileSync(tmp, JSON.stringify(settled, null, 2) + '\n');
    fs.renameSync(tmp, file);
  } catch {
    /* a read-only folder still reports the right status */
  }
  return settled;
}

// Making sure no process of a target survives it: descendants of a PID read from /proc, and kills that check the
// process is still the one we meant. A PID is only an identity together with its start time (field 22 of
// /proc/<pid>/stat): a worker that exited long ago may have handed its PID to an unrelated process, and the lab must
// never kill that. Off Linux (no /proc) descendants are unknown and identities are not checked.
import fs from 'node:fs';

/** A process as the lab saw it: pid plus its kernel start time (null when /proc is unavailable). */
export interface ProcessRef {
  pid: number;
  startTime: string | null;
}

function stat(pid: number): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields restart after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function refOf(pid: number): ProcessRef {
  const fields = stat(pid);
  return { pid, startTime: fields?.[19] ?? null }; // field 22 overall = index 19 after pid and comm
}

/** True while the process exists and is not a zombie (an exited child nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return stat(pid)?.[0] !== 'Z';
}

/** Still the same process we recorded (same start time), and alive. */
export function isSameAlive(ref: ProcessRef): boolean {
  if (!isAlive(ref.pid)) return false;
  if (ref.startTime === null) return true;
  return refOf(ref.pid).startTime === ref.startTime;
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) {
        if (c) out.push(Number(c));
      }
    } catch {
      /* task gone */
    }
  }
  return out;
}

/** All descendants of pid (children, grandchildren, ...), taken now. */
export function descendants(pid: number): ProcessRef[] {
  const out: ProcessRef[] = [];
  const seen = new Set<number>([pid]);
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of childPids(queue.shift()!)) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(refOf(c));
      queue.push(c);
    }
  }
  return out;
}

/** SIGKILLs every process in refs that is still the one recorded; returns the PIDs signalled. */
export function killRefs(refs: Iterable<ProcessRef>): number[] {
  const killed: number[] = [];
  for (const ref of refs) {
    if (!isSameAlive(ref)) continue;
    try {
      process.kill(ref.pid, 'SIGKILL');
      killed.push(ref.pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return killed;
}

/** Waits (polling) until none of the processes is alive, at most timeoutMs; returns the survivors. */
export async function waitGone(refs: ProcessRef[], timeoutMs: number): Promise<ProcessRef[]> {
  const deadline = Date.now() + timeoutMs;
  let left = refs.filter(isSameAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter(isSameAlive);
  }
  return left;
}

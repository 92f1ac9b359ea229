// CPU accounting for throughput measurements, read from /proc (Linux): how much CPU the processes of a target used
// over a measured window, how busy the whole machine was, and how long the target's main thread sat runnable but
// not running (run-queue wait). The machine may be shared: req/s then moves with other people's load, while CPU
// time per request moves much less, and the "other load" and run-queue wait figures say how quiet the window was.
// Off Linux every reader returns null and the bench reports the CPU columns as unknown.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | null = null;

/** USER_HZ, the unit of the times in /proc/<pid>/stat and /proc/stat (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): index 0 is field 3 (state). */
export function statFields(text: string): string[] {
  return text
    .slice(text.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/** utime + stime of one process (all its threads) in ticks; `children` adds the reaped children's times. */
export function cpuTicksFromStat(text: string, children = false): number {
  const f = statFields(text);
  // Fields 14-17 overall: utime, stime, cutime, cstime → indexes 11-14 here.
  const own = Number(f[11]) + Number(f[12]);
  return children ? own + Number(f[13]) + Number(f[14]) : own;
}

/** CPU time of a process in ms, or null when it is gone (or not on Linux). */
export function processCpuMs(pid: number): number | null {
  const text = read(`/proc/${pid}/stat`);
  return text === null ? null : (cpuTicksFromStat(text) * 1000) / clockTicksPerSecond();
}

/**
 * CPU time, in ms, of the children this process has waited for (cutime + cstime of /proc/self/stat). A client run
 * as a child (wrk) shows up here once it has exited and been reaped, so the difference around one run is its CPU.
 */
export function reapedChildrenCpuMs(): number | null {
  const text = read('/proc/self/stat');
  if (text === null) return null;
  const f = statFields(text);
  return ((Number(f[13]) + Number(f[14])) * 1000) / clockTicksPerSecond();
}

/** Busy CPU time of the whole machine in ms (all cores: everything in /proc/stat's `cpu` line but idle/iowait). */
export function machineBusyFromProcStat(text: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user.
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return (busy * 1000) / clockTicksPerSecond();
}

export function machineBusyMs(): number | null {
  const text = read('/proc/stat');
  return text === null ? null : machineBusyFromProcStat(text);
}

/** Run-queue wait of a process's main thread in ms (2nd field of /proc/<pid>/schedstat), null when unknown. */
export function runQueueWaitMs(pid: number): number | null {
  const text = read(`/proc/${pid}/schedstat`);
  if (text === null) return null;
  const wait = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(wait) ? wait / 1e6 : null;
}

export interface CpuRoles {
  /** The process(es) in front: the one that accepts client connections (HAProxy, nginx, the w3 host, bare Node). */
  front: number[];
  /** The application process(es) behind it (none for bare Node). */
  back: number[];
}

export interface CpuWindowResult {
  wallMs: number;
  /** CPU ms over the window; null when a reading failed (a process gone, no /proc). */
  frontMs: number | null;
  backMs: number | null;
  /** Whole machine, all cores. */
  machineBusyMs: number | null;
  /** Run-queue wait of the first front process's main thread. */
  frontRunQueueWaitMs: number | null;
}

function sum(pids: number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}

const diff = (a: number | null, b: number | null): number | null =>
  a === null || b === null ? null : Math.round((b - a) * 10) / 10;

/** Samples the roles now; the returned function samples them again and gives the differences. */
export function startCpuWindow(roles: CpuRoles): () => CpuWindowResult {
  const t0 = performance.now();
  const front0 = sum(roles.front);
  const back0 = sum(roles.back);
  const busy0 = machineBusyMs();
  const wait0 = roles.front[0] === undefined ? null : runQueueWaitMs(roles.front[0]);
  return () => ({
    wallMs: Math.round(performance.now() - t0),
    frontMs: diff(front0, sum(roles.front)),
    backMs: diff(back0, sum(roles.back)),
    machineBusyMs: diff(busy0, machineBusyMs()),
    frontRunQueueWaitMs: diff(wait0, roles.front[0] === undefined ? null : runQueueWaitMs(roles.front[0])),
  });
}

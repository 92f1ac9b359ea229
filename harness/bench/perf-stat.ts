// Optional kernel counters over a measured window, through `perf stat -p` (Linux perf, Debian package
// linux-perf): system calls and context switches of a set of processes. Counts of events do not stretch when the
// machine is busy the way CPU time does, so syscalls per request is a figure to compare designs by even on a shared
// machine. Hardware counters (instructions) are used when the machine exposes them; virtual machines often do not,
// and then only the software events are read. Missing perf, or a kernel that refuses the tracepoint, is reported
// as the reason and the columns stay empty.
import { spawn, spawnSync } from 'node:child_process';
import { findExecutable } from './tools';

export interface PerfCounts {
  syscalls: number | null;
  contextSwitches: number | null;
  /** User + kernel instructions; null where the machine has no hardware counters. */
  instructions: number | null;
}

export type PerfAvailability =
  { available: true; bin: string; events: string[] } | { available: false; reason: string };

const SOFTWARE_EVENTS = ['raw_syscalls:sys_enter', 'context-switches'];

/** One `perf stat -x,` CSV line: value,unit,event,... ("<not counted>"/"<not supported>" as the value). */
export function parsePerfCsv(text: string): PerfCounts {
  const out: PerfCounts = { syscalls: null, contextSwitches: null, instructions: null };
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (f.length < 3) continue;
    const value = Number(f[0]);
    if (!Number.isFinite(value) || f[0] === '') continue;
    const event = f[2] ?? '';
    if (event === 'raw_syscalls:sys_enter') out.syscalls = value;
    else if (event === 'context-switches' || event === 'cs') out.contextSwitches = value;
    else if (event.startsWith('instructions')) out.instructions = value;
  }
  return out;
}

/** Probes perf once: which of the events this machine counts (needs root or perf_event_paranoid ≤ 1 for -p). */
export function probePerf(): PerfAvailability {
  const bin = findExecutable('perf');
  if (!bin)
    return {
      available: false,
      reason: 'perf is not installed (`apt-get install -y linux-perf`); syscall counts skipped',
    };
  const r = spawnSync(bin, ['stat', '-x,', '-e', [...SOFTWARE_EVENTS, 'instructions'].join(','), '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const counts = parsePerfCsv(r.stderr ?? '');
  if (counts.syscalls === null) {
    return {
      available: false,
      reason: `perf cannot count syscalls here: ${(r.stderr ?? r.error?.message ?? '').trim().split('\n')[0]}`,
    };
  }
  return {
    available: true,
    bin,
    events: counts.instructions === null ? SOFTWARE_EVENTS : [...SOFTWARE_EVENTS, 'instructions'],
  };
}

/** Starts counting for `pids`; the returned function stops perf (SIGINT) and gives the counts. */
export function startPerfStat(
  perf: { bin: string; events: string[] },
  pids: number[],
): () => Promise<PerfCounts | null> {
  if (pids.length === 0) return () => Promise.resolve(null);
  const child = spawn(perf.bin, ['stat', '-x,', '-e', perf.events.join(','), '-p', pids.join(',')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return async () => {
    child.kill('SIGINT');
    const guard = setTimeout(() => child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(guard);
    const counts = parsePerfCsv(err);
    return counts.syscalls === null && counts.contextSwitches === null ? null : counts;
  };
}

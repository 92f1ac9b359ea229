// Memory quota → kernel OOM kill of one worker. The container runs with a memory limit (no swap); the caller
// injects a leak into one worker (through the target's admin/control API); the kernel's OOM killer then kills the
// biggest process of the container's cgroup — the leaking worker — with SIGKILL.
// Docker's State.OOMKilled only covers the container's main process, so the kill of a worker is proven by:
//   1. the cgroup's own oom_kill counter going up (cgroup v2 memory.events, or v1 memory.oom_control), read inside;
//   2. the target reporting that worker's exit by SIGKILL (WorkerCrashed) although nobody sent one — the lab did
//      not, and the manager did not (no WorkerKilled for that PID before it);
//   3. the manager replacing it (a WorkerReady of another PID afterwards), while the container keeps running.
// The observation is returned as data (and as a lab event) so the run records the OOM kill.
import type { ContainerControl } from './container-control';
import { ContainerFaultError } from './container-faults';

export interface OomCounters {
  source: 'cgroup-v2' | 'cgroup-v1';
  /** Times the cgroup hit its limit (v2 only; v1 reports under_oom as 0/1 instead). */
  oom: number;
  /** Processes the kernel OOM-killed in this cgroup. */
  oomKill: number;
}

const READ_COUNTERS = [
  "const fs = require('fs');",
  "const num = (t, k) => Number((new RegExp('^' + k + ' (\\\\d+)$', 'm').exec(t) || [])[1] || 0);",
  'let out;',
  'try {',
  "  const t = fs.readFileSync('/sys/fs/cgroup/memory.events', 'utf8');",
  "  out = { source: 'cgroup-v2', oom: num(t, 'oom'), oomKill: num(t, 'oom_kill') };",
  '} catch {',
  "  const t = fs.readFileSync('/sys/fs/cgroup/memory/memory.oom_control', 'utf8');",
  "  out = { source: 'cgroup-v1', oom: num(t, 'under_oom'), oomKill: num(t, 'oom_kill') };",
  '}',
  'process.stdout.write(JSON.stringify(out));',
].join('\n');

/** Reads the container cgroup's OOM counters from inside (no shell: node -e). */
export async function readOomCounters(c: ContainerControl): Promise<OomCounters> {
  const r = await c.exec(['node', '-e', READ_COUNTERS]);
  if (r.exitCode !== 0) {
    throw new ContainerFaultError(
      'LAB_ERR_CONTAINER_FAULT',
      `cannot read the memory cgroup counters inside ${c.name}: ${r.stderr.trim()}`,
    );
  }
  return JSON.parse(r.stdout) as OomCounters;
}

/** A target event as the container logs it: a JSON line with an `event` object (w3's pino lines, node-cluster's). */
export interface LoggedEvent {
  type: string;
  pid?: number;
  workerId?: number;
  signal?: string | null;
  exitCode?: number | null;
  t?: number;
  [k: string]: unknown;
}

export function parseEventLine(line: string): LoggedEvent | null {
  if (!line.includes('"event"')) return null;
  try {
    const j = JSON.parse(line) as { event?: LoggedEvent };
    return j.event && typeof j.event.type === 'string' ? j.event : null;
  } catch {
    return null;
  }
}

export interface OomKillOptions {
  /** PID (inside the container) of the worker the leak goes into. */
  workerPid: number;
  /** Starts the leak in that worker (e.g. POST /pools/app/workers/:id/faults {kind:'leak'} over the admin API). */
  injectLeak: () => Promise<void>;
  /** How long to wait for the kill and for the replacement (default 60 s). */
  timeoutMs?: number;
}

export interface OomKillObservation {
  workerPid: number;
  /** The target's crash event for the worker. */
  crashed: LoggedEvent;
  /** The replacement's ready event. */
  replacement: LoggedEvent;
  countersBefore: OomCounters;
  countersAfter: OomCounters;
  /** Kill by the kernel: counter went up, exit by SIGKILL, and no kill by the manager was logged. */
  kernelOomKill: boolean;
  /** Docker's flag for the main process; expected false (only a worker died). */
  containerOomKilled: boolean;
  containerRunning: boolean;
  injectedAt: number;
  crashedAt: number;
  replacedAt: number;
}

/**
 * Runs the OOM fault and waits for its evidence. Throws LAB_ERR_OOM_NOT_OBSERVED (with what was seen) when the
 * worker did not die, died otherwise, or was not replaced within the timeout.
 */
export async function oomKillWorker(c: ContainerControl, opts: OomKillOptions): Promise<OomKillObservation> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const from = c.logLines().length;
  const countersBefore = await readOomCounters(c);
  const injectedAt = Date.now();
  await opts.injectLeak();

  const isEvent =
    (type: string, pred: (e: LoggedEvent) => boolean) =>
    (line: string): boolean => {
      const e = parseEventLine(line);
      return e !== null && e.type === type && pred(e);
    };
  let crashedLine: { line: string; index: number };
  try {
    crashedLine = await c.waitForLogLine(
      isEvent('WorkerCrashed', (e) => e.pid === opts.workerPid),
      { timeoutMs, fromIndex: from },
    );
  } catch (err) {
    throw new ContainerFaultError(
      'LAB_ERR_OOM_NOT_OBSERVED',
      `worker ${opts.workerPid} in ${c.name} did not crash within ${timeoutMs} ms of the leak`,
      { cause: err },
    );
  }
  const crashedAt = Date.now();
  const crashed = parseEventLine(crashedLine.line)!;
  const replacementLine = await c
    .waitForLogLine(
      isEvent('WorkerReady', (e) => e.pid !== opts.workerPid),
      { timeoutMs, fromIndex: crashedLine.index },
    )
    .catch((err: unknown) => {
      throw new ContainerFaultError(
        'LAB_ERR_OOM_NOT_OBSERVED',
        `worker ${opts.workerPid} in ${c.name} was not replaced within ${timeoutMs} ms`,
        { cause: err },
      );
    });
  const replacedAt = Date.now();
  const countersAfter = await readOomCounters(c);
  const state = await c.state();
  const killedByManager = c
    .logLines()
    .slice(from, crashedLine.index)
    .some((l) => isEvent('WorkerKilled', (e) => e.pid === opts.workerPid)(l));
  const kernelOomKill =
    countersAfter.oomKill > countersBefore.oomKill && crashed.signal === 'SIGKILL' && !killedByManager;
  const observation: OomKillObservation = {
    workerPid: opts.workerPid,
    crashed,
    replacement: parseEventLine(replacementLine.line)!,
    countersBefore,
    countersAfter,
    kernelOomKill,
    containerOomKilled: state.oomKilled,
    containerRunning: state.running,
    injectedAt,
    crashedAt,
    replacedAt,
  };
  if (!kernelOomKill) {
    throw new ContainerFaultError(
      'LAB_ERR_OOM_NOT_OBSERVED',
      `worker ${opts.workerPid} in ${c.name} died, but not by the kernel OOM killer: ` +
        `oom_kill ${countersBefore.oomKill}→${countersAfter.oomKill}, signal ${String(crashed.signal)}, ` +
        `killed by manager: ${killedByManager}`,
    );
  }
  return observation;
}

/** The observation as a line for the run's events.jsonl. */
export function oomKillEvent(o: OomKillObservation): Record<string, unknown> {
  return {
    t: o.crashed.t ?? o.crashedAt,
    type: 'WorkerOomKilled',
    source: 'container',
    pid: o.workerPid,
    workerId: o.crashed.workerId,
    signal: o.crashed.signal,
    replacementPid: o.replacement.pid,
    oomKillCount: o.countersAfter.oomKill,
    cgroup: o.countersAfter.source,
  };
}

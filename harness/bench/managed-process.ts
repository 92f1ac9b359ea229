// A child process the bench started and must stop: stdout/stderr are always drained (a full pipe would stall the
// server being measured) into a bounded tail for error messages, JSON lines can be waited for with a deadline, and
// stop()/kill() are idempotent. Descendants (w3 workers, nginx workers) are remembered while the process runs so
// that stop() can make sure none of them outlives it — the bench must leave no process behind. Reading the tree and
// killing only the processes recorded (PID + start time) is ../targets/process-tree's job, shared with the targets.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { descendants, killRefs, waitGone, type ProcessRef } from '../targets/process-tree';

const TAIL_CHARS = 8000;

export class ProcessStartError extends Error {
  readonly code = 'LAB_ERR_BENCH_START';
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Last output (stdout + stderr), for error messages. */
  tail(): string;
  /** Resolves with the first parsed stdout JSON line that satisfies pred (including lines already seen). */
  waitForJsonLine<T = Record<string, unknown>>(
    pred: (j: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<T>;
  /** Remembers the process's current descendants (call while it runs; stop() also does it first). */
  snapshotDescendants(): number[];
  exited(): boolean;
  /** How the last stop() went: null before any stop; forced = SIGKILL was needed after the grace period. */
  stopReport(): StopReport | null;
  /** `signal` (default SIGTERM), then SIGKILL after graceMs; then SIGKILL to any remembered descendant still alive. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

export interface StopReport {
  signal: NodeJS.Signals;
  forced: boolean;
  ms: number;
  /** Descendants still alive after the process exited, killed by us. */
  descendantsKilled: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The processes one bench run has started and not yet stopped, so an interrupted run (SIGINT/SIGTERM, where no
 * `finally` runs) can still kill them all. Created by run-bench and passed down; not a module-level singleton.
 */
export class ProcessRegistry {
  private readonly live = new Set<ManagedProcess>();
  private readonly dirs = new Set<string>();

  /** A temp dir that belongs to started processes (configs, sockets); removed by killAll if still there. */
  addDir(dir: string): void {
    this.dirs.add(dir);
  }

  add(p: ManagedProcess): void {
    this.live.add(p);
    p.child.once('exit', () => this.live.delete(p));
  }

  size(): number {
    return this.live.size;
  }

  /** SIGKILL to every live process and its remembered descendants. */
  async killAll(): Promise<void> {
    await Promise.all([...this.live].map((p) => p.kill()));
    this.live.clear();
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  registry: ProcessRegistry,
  options: SpawnOptions = {},
): ManagedProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    // spawn failures (ENOENT) are reported asynchronously; the pid is missing synchronously.
    child.on('error', () => undefined);
    throw new ProcessStartError(`${name}: could not spawn ${command}`);
  }
  const managed = new ManagedChild(name, child.pid, child);
  registry.add(managed);
  return managed;
}

/** Drains a child's stdout and stderr into a bounded tail and keeps its recent JSON lines for waitForJsonLine. */
class ChildOutput {
  tail = '';
  readonly lines: Record<string, unknown>[] = [];
  readonly waiters = new Set<() => void>();
  private lineBuf = '';

  constructor(child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => this.keepTail(chunk));
  }

  wakeWaiters(): void {
    for (const w of [...this.waiters]) w();
  }

  private keepTail(s: string): void {
    this.tail = (this.tail + s).slice(-TAIL_CHARS);
  }

  private onStdout(chunk: string): void {
    this.keepTail(chunk);
    this.lineBuf += chunk;
    let i: number;
    while ((i = this.lineBuf.indexOf('\n')) >= 0) {
      const line = this.lineBuf.slice(0, i);
      this.lineBuf = this.lineBuf.slice(i + 1);
      if (!line.startsWith('{')) continue;
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
        // Only lines someone may still wait for are kept; servers here print few before they listen.
        if (this.lines.length > 200) this.lines.shift();
        this.wakeWaiters();
      } catch {
        /* not JSON */
      }
    }
  }
}

class ManagedChild implements ManagedProcess {
  private readonly out: ChildOutput;
  // Keyed by pid; the ref keeps the start time so a PID reused after the descendant exited is never killed.
  private readonly known = new Map<number, ProcessRef>();
  private exitedFlag = false;
  private readonly exitedPromise: Promise<void>;
  private stopping: Promise<void> | null = null;
  private report: StopReport | null = null;

  constructor(
    readonly name: string,
    readonly pid: number,
    readonly child: ChildProcess,
  ) {
    this.exitedPromise = new Promise<void>((resolve) => {
      child.once('exit', () => {
        this.exitedFlag = true;
        this.out.wakeWaiters();
        resolve();
      });
      child.once('error', () => {
        this.exitedFlag = true;
        resolve();
      });
    });
    this.out = new ChildOutput(child);
  }

  tail(): string {
    return this.out.tail;
  }

  exited(): boolean {
    return this.exitedFlag;
  }

  stopReport(): StopReport | null {
    return this.report;
  }

  snapshotDescendants(): number[] {
    if (!this.exitedFlag) for (const r of descendants(this.pid)) if (!this.known.has(r.pid)) this.known.set(r.pid, r);
    return [...this.known.keys()];
  }

  waitForJsonLine<T>(pred: (j: Record<string, unknown>) => boolean, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const hit = this.out.lines.find(pred);
        if (hit) {
          done();
          resolve(hit as T);
        } else if (this.exitedFlag) {
          done();
          const how = `code ${this.child.exitCode}, signal ${this.child.signalCode}`;
          reject(new ProcessStartError(`${this.name} exited (${how}) before it was ready:\n${this.out.tail}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new ProcessStartError(`${this.name} not ready within ${timeoutMs} ms:\n${this.out.tail}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.out.waiters.delete(check);
      };
      this.out.waiters.add(check);
      check();
    });
  }

  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.stopping) return this.stopping;
    this.snapshotDescendants();
    const rep: StopReport = { signal, forced: false, ms: 0, descendantsKilled: 0 };
    this.report = rep;
    this.stopping = this.stopAndReport(rep, graceMs);
    return this.stopping;
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL', 0);
  }

  private async stopAndReport(rep: StopReport, graceMs: number): Promise<void> {
    const t0 = Date.now();
    if (!this.exitedFlag) {
      this.child.kill(rep.signal);
      const timer = setTimeout(() => {
        rep.forced = rep.signal !== 'SIGKILL';
        this.child.kill('SIGKILL');
      }, graceMs);
      await this.exitedPromise;
      clearTimeout(timer);
    }
    rep.ms = Date.now() - t0;
    // Descendants get a moment to follow their parent out (w3 workers exit on IPC disconnect), then are killed.
    const survivors = await waitGone([...this.known.values()], 3000);
    rep.descendantsKilled = killRefs(survivors).length;
  }
}

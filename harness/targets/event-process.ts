// A target's main process as the lab runs it: a Node program whose stdout carries pino/JSON lines, some of them
// `{"event":{...}}` (w3's event vocabulary; the node-cluster primary prints the same). This module owns spawning it,
// copying stdout + stderr into the run's log file, collecting the events as they arrive (event-log.ts), waiting for one
// with a deadline (failing with the log tail when the process exits first), and the end of it: stop() (SIGTERM, then
// SIGKILL after a grace period) and kill() (SIGKILL at once), both idempotent, both making sure that no worker the
// process started survives it — workers are known from WorkerStarting events and from /proc.
//
// The child gets an IPC channel it never has to use: w3 and the cluster primary shut down when it closes, so a lab
// that dies without cleaning up does not leave servers behind.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { TargetError } from './errors';
import { EventLog, type TargetLogEvent } from './event-log';
import { ownershipEnv } from './ownership';
import { descendants, killRefs, refOf, waitGone, type ProcessRef } from './process-tree';

const TAIL_CHARS = 6000;
const GONE_EVENTS = new Set(['WorkerExited', 'WorkerCrashed', 'WorkerKilled']);

export interface EventProcessOptions {
  /** Target name, for messages. */
  name: string;
  /** Arguments to `node`. */
  args: string[];
  /** The run folder: the program's working directory. */
  cwd: string;
  /** The run's id; with it the program is marked as the run's (W3LAB_RUN_ID, W3LAB_RUN_DIR = cwd, W3LAB_OWNER). */
  runId?: string;
  env: NodeJS.ProcessEnv;
  /** stdout + stderr are appended here. */
  logFile: string;
  log: Logger;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class EventProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly logStream: fs.WriteStream;
  private readonly log = new EventLog((e) => this.followWorkers(e));
  /** Workers reported by WorkerStarting and not (yet) reported gone. */
  private readonly liveWorkers = new Map<number, ProcessRef>();
  private exit: Exit | null = null;
  private readonly exited: Promise<Exit>;
  private readonly closed: Promise<void>;
  private tailText = '';
  private partial = '';
  private ending: Promise<void> | null = null;

  constructor(private readonly o: EventProcessOptions) {
    this.logStream = fs.createWriteStream(o.logFile, { flags: 'a' });
    this.logStream.on('error', (err) => o.log.warn({ err: err.message, file: o.logFile }, 'target log not writable'));
    // Marked as this run's (ownership.ts), so `w3lab clean` can tell its leftovers from other jobs' processes.
    const env = o.runId ? { ...o.env, ...ownershipEnv(o.runId, o.cwd) } : o.env;
    this.child = spawn(process.execPath, o.args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    if (this.child.pid === undefined)
      throw new TargetError('LAB_ERR_TARGET_START', `${o.name}: could not spawn node ${o.args.join(' ')}`);
    this.pid = this.child.pid;
    // The channel is only there so the child notices when the lab is gone; it must not keep the lab alive.
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.child.on('error', (err) => this.append(`[lab] ${o.name} process error: ${err.message}\n`));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        const how = signal ? `signal ${signal}` : `code ${String(code)}`;
        this.log.end((what) => this.failure(`${o.name} exited (${how}) while waiting for ${what}`));
        resolve(this.exit);
      }),
    );
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.append(text);
      this.parse(text);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.append(chunk.toString('utf8')));
  }

  private append(text: string): void {
    if (this.logStream.writable) this.logStream.write(text);
    this.tailText = (this.tailText + text).slice(-TAIL_CHARS);
  }

  private parse(text: string): void {
    this.partial += text;
    let i: number;
    while ((i = this.partial.indexOf('\n')) >= 0) {
      this.log.recordLine(this.partial.slice(0, i));
      this.partial = this.partial.slice(i + 1);
    }
  }

  private followWorkers(e: TargetLogEvent): void {
    if (typeof e.pid !== 'number' || e.pid === this.pid) return;
    if (e.type === 'WorkerStarting') this.liveWorkers.set(e.pid, refOf(e.pid));
    else if (GONE_EVENTS.has(e.type)) this.liveWorkers.delete(e.pid);
  }

  /** Every event seen so far, in arrival order (a copy). */
  events(): TargetLogEvent[] {
    return this.log.events();
  }

  /** Last output of the process (stdout + stderr). */
  tail(): string {
    return this.tailText;
  }

  running(): boolean {
    return this.exit === null;
  }

  /** The host itself or a worker it reported. */
  owns(pid: number): boolean {
    return pid === this.pid || this.log.reportedWorker(pid);
  }

  /** Resolves with the first event (from index `from` on) matching pred; rejects on timeout or exit. */
  waitForEvent(
    pred: (e: TargetLogEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<TargetLogEvent> {
    return this.log.waitFor(pred, timeoutMs, what, (message) => this.failure(`${this.o.name}: ${message}`), from);
  }

  private failure(message: string): TargetError {
    return new TargetError(
      'LAB_ERR_TARGET_START',
      `${message}; log ${this.o.logFile} ends with:\n${this.tailText.slice(-3000)}`,
    );
  }

  /** SIGTERM, SIGKILL after graceMs; then any worker or descendant still alive is killed. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.ending ??= this.end(async (tree) => {
      if (this.running()) {
        this.signalSelf('SIGTERM');
        if (!(await settlesWithin(this.exited, graceMs))) {
          this.o.log.warn({ target: this.o.name, graceMs }, 'target did not stop in time; killing it');
          for (const r of descendants(this.pid)) tree.push(r);
          this.signalSelf('SIGKILL');
        }
      }
    });
    return this.ending;
  }

  /** SIGKILL to the process and every worker and descendant of it. Idempotent (joins a stop() under way). */
  kill(): Promise<void> {
    if (this.ending) {
      // A graceful stop may be waiting out its grace period: cut it short.
      if (this.running()) this.signalSelf('SIGKILL');
      return this.ending;
    }
    this.ending = this.end(async () => {
      if (this.running()) this.signalSelf('SIGKILL');
    });
    return this.ending;
  }

  private async end(stopHost: (tree: ProcessRef[]) => Promise<void>): Promise<void> {
    // Taken before the host goes: once it is dead its children are re-parented and no longer found under it.
    const tree = this.running() ? descendants(this.pid) : [];
    try {
      await stopHost(tree);
      await this.exited;
      const leftovers = [...this.liveWorkers.values(), ...tree];
      const killed = killRefs(leftovers);
      if (killed.length > 0)
        this.o.log.warn({ target: this.o.name, pids: killed }, 'killed processes that outlived the target');
      const survivors = await waitGone(leftovers, 3000);
      if (survivors.length > 0)
        this.o.log.error({ target: this.o.name, pids: survivors.map((r) => r.pid) }, 'processes survived SIGKILL');
      this.liveWorkers.clear();
      // The pipes close when the last process holding them (workers inherit stdout) is gone.
      await settlesWithin(this.closed, 2000);
    } finally {
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      await new Promise<void>((resolve) => this.logStream.end(resolve));
    }
  }

  /** Until Node has reaped the child (its 'exit'), its PID cannot have been reused: signalling it is safe. */
  private signalSelf(signal: NodeJS.Signals): void {
    if (!this.running()) return;
    try {
      this.child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** True when p settles within ms; the timer is cleared either way (no stray handles). */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });
}

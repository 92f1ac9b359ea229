// A stand-in for WorkerProcess in the pool's unit tests (jest.mock('./worker-process') loads this module instead):
// no child process, no socket. The test drives its life — ready(), exit(), answerPing() — and reads what the pool
// asked of it (calls). Its fields and dispatch rule are the real class's, so the pool's policy (which worker
// serves, when to start, recycle or kill) runs unchanged on top of it.
import { EventEmitter } from 'node:events';
import { ServiceTime } from '../dispatch-policy';
import type { WorkerSpec, WorkerState } from '../worker-process';

let nextPid = 4_000_000;

export class WorkerProcess extends EventEmitter {
  /** Every fake created since the last reset, in start order (the test's handle on the pool's workers). */
  static all: WorkerProcess[] = [];

  readonly id: number;
  readonly pool: string;
  readonly mode = 'module' as const;
  state: WorkerState = 'Starting';
  readonly startedAt = Date.now();
  readyAt: number | null = null;
  pid = 0;
  requests = 0;
  inFlight = 0;
  lastActivity = Date.now();
  progressAt = 0;
  /** How long its requests take lately, and the share of a CPU it used (health.ts samples it; dispatch-policy.ts). */
  readonly service = new ServiceTime();
  cpuShare: number | null = null;
  recycleId: number | null = null;
  overlapReplacement = false;
  endReason: string | null = null;
  privateMemoryKB = 0;
  virtualMemoryKB = 0;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  suspected = false;
  killRequested = false;
  paused = false;
  /** What the pool asked: 'start', 'shutdown', 'kill <reason>', 'orphan', 'ping'. */
  readonly calls: string[] = [];
  pingOutstandingSince: number | null = null;
  private pendingPings: ((ok: boolean) => void)[] = [];

  constructor(readonly spec: WorkerSpec) {
    super();
    this.id = spec.id;
    this.pool = spec.pool;
    WorkerProcess.all.push(this);
  }

  static reset(): void {
    WorkerProcess.all = [];
  }

  get exited(): boolean {
    return this.state === 'Exited';
  }

  /** The real rule: Ready, not being ended, not suspected, no health ping overdue. */
  dispatchable(now: number, overdueMs: number): boolean {
    if (this.state !== 'Ready' || this.endReason !== null || this.suspected) return false;
    return this.pingOutstandingSince === null || now - this.pingOutstandingSince < overdueMs;
  }

  pingPendingMs(now: number): number | null {
    return this.pingOutstandingSince === null ? null : now - this.pingOutstandingSince;
  }

  start(): void {
    this.pid = nextPid++;
    this.calls.push('start');
  }

  /** Pending until the test calls answerPing (a hung worker never answers). */
  ping(_timeoutMs: number): Promise<boolean> {
    this.calls.push('ping');
    if (this.state === 'Exited') return Promise.resolve(false);
    this.pingOutstandingSince ??= Date.now();
    return new Promise((resolve) => this.pendingPings.push(resolve));
  }

  /** Settles every outstanding ping: true = answered, false = timed out. */
  answerPing(ok: boolean): void {
    this.pingOutstandingSince = null;
    for (const r of this.pendingPings.splice(0)) r(ok);
  }

  requestShutdown(): void {
    if (this.state !== 'Exited') this.calls.push('shutdown');
  }

  kill(reason: string): void {
    this.endReason ??= reason;
    this.killRequested = true;
    this.calls.push(`kill ${reason}`);
  }

  signal(sig: NodeJS.Signals): void {
    this.calls.push(`signal ${sig}`);
  }

  orphan(): void {
    this.endReason = 'orphaned';
    this.state = 'Orphaned';
    this.calls.push('orphan');
  }

  // ---- the test's side ----

  /** The worker reports ready (as after its ready message). */
  ready(): this {
    this.state = 'Ready';
    this.readyAt = Date.now();
    this.lastActivity = this.readyAt;
    this.emit('ready');
    return this;
  }

  /** The process exits (default: killed by SIGKILL). */
  exit(code: number | null = null, signal: NodeJS.Signals | null = 'SIGKILL'): void {
    this.state = 'Exited';
    this.exitCode = code;
    this.exitSignal = signal;
    this.emit('exit', code, signal);
  }
}

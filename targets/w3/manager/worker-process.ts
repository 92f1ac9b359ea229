// One worker process as the manager sees it: how it is started (module mode: worker-main with a control pipe on
// fd 3; command mode: any program listening on $PORT), how it reports ready, how it is pinged, drained and killed.
// Policy (when to start, recycle or kill) lives in the pool; this class only does and reports.
// Everything a worker says is untrusted: see control/control-protocol.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Pool as UpstreamPool } from 'undici';
import { compiled } from '../util/compiled-path';
import { freePort, probe } from './port-probe';
import { checkFromWorker, MAX_WORKER_LINE_BYTES, type ToWorker } from '../control/control-protocol';
import { LineChannel } from '../control/line-channel';
import { timerMs } from '../util/timer-limit';
import { ServiceTime } from './dispatch-policy';
import type { ApplicationConfig } from '../config/types';
import type { Logger } from '../util/logger';
import type { Duplex } from 'node:stream';
import type { UpstreamLimits } from './upstream-limits';

const LOG_LINES_PER_SECOND = 100;

export type WorkerState = 'Starting' | 'Ready' | 'Draining' | 'Orphaned' | 'Exited';

export interface WorkerSpec {
  pool: string;
  id: number;
  apps: ApplicationConfig[];
  /** Module mode: where the worker listens (inside the host's private runtime directory). */
  socketPath: string;
  /** How the listener reaches a module worker: HTTP, or frames (transport/worker-transport.ts). */
  transport?: 'http' | 'frames';
  /** The fault plugin's worker module, only when fault injection is enabled (fault-plugin/fault-plugin.ts). */
  faultPlugin: string | null;
  /** Set when a startup fault is armed for this worker (only with fault injection enabled). */
  startupFault: 'crash' | 'hang' | null;
  log: Logger;
  /** The listener's connection pool to this worker (upstream-limits.ts). */
  upstream: UpstreamLimits;
}

/** Events: 'ready', 'exit' (code, signal), 'unhealthy' (reason), 'malformed' (what was wrong, never the input). */
export class WorkerProcess extends EventEmitter {
  readonly id: number;
  readonly pool: string;
  readonly mode: 'module' | 'command';
  state: WorkerState = 'Starting';
  readonly startedAt = Date.now();
  readyAt: number | null = null;
  pid = 0;
  /** Requests completed by this worker (for periodicRestart.requests). */
  requests = 0;
  /** Requests dispatched to it that have not finished. */
  inFlight = 0;
  lastActivity = Date.now();
  /** Last time it finished a request, or became busy after being idle (AppPool: a worker making no progress). */
  progressAt = 0;
  /** How long its requests take lately, and the share of a CPU it used (health.ts samples it; dispatch-policy.ts). */
  readonly service = new ServiceTime();
  cpuShare: number | null = null;
  /** Recycle this worker belongs to as the replacement, if any. */
  recycleId: number | null = null;
  /** True while it is an overlapped recycle's replacement that is not ready yet. */
  overlapReplacement = false;
  /** Why the manager ended it (so 'exit' can tell a crash from an orderly exit). */
  endReason: string | null = null;
  upstream: UpstreamPool | null = null;
  privateMemoryKB = 0;
  virtualMemoryKB = 0;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** Its transport failed: no new requests until it answers a ping (or exits). */
  suspected = false;
  /** The manager sent SIGKILL (so a second kill or a drain is pointless). */
  killRequested = false;
  /** SIGSTOPped by the CPU throttle right now. */
  paused = false;
  /** Time spent SIGSTOPped by the manager before the current stop, and when that stop began. */
  private stoppedMs = 0;
  private stoppedSince: number | null = null;

  private child: ChildProcess | null = null;
  private control: LineChannel | null = null;
  /** The first malformed control message was seen: nothing more is read from this worker. */
  private untrusted = false;
  private logBudget = { windowStart: 0, used: 0, dropped: 0 };
  private socketPath: string;
  private port = 0;
  private readonly log: Logger;
  private pingSeq = 0;
  private pendingPings = new Map<number, () => void>();
  /** When the oldest unanswered ping was sent (null: none outstanding). */
  private pingOutstandingSince: number | null = null;
  private faultSeq = 0;
  private pendingFaults = new Map<number, (r: { ok: boolean; error?: string }) => void>();
  private readyPoll: NodeJS.Timeout | null = null;

  constructor(private readonly spec: WorkerSpec) {
    super();
    this.id = spec.id;
    this.pool = spec.pool;
    this.log = spec.log;
    const commandApp = spec.apps.find((a) => a.command);
    this.mode = commandApp ? 'command' : 'module';
    this.socketPath = spec.socketPath;
  }

  get exited(): boolean {
    return this.state === 'Exited';
  }

  /** Where the worker accepts HTTP connections (the listener's tunnels, e.g. WebSocket, connect there directly). */
  transportAddress(): { path: string } | { host: string; port: number } {
    return this.mode === 'module' ? { path: this.socketPath } : { host: '127.0.0.1', port: this.port };
  }

  /**
   * May the pool hand it a new request? Not while it is being ended, after its transport failed, or while a health
   * ping has gone unanswered for `overdueMs` (a hung worker takes no new requests: they wait in the pool queue, as
   * in IIS where a hung w3wp dequeues nothing, and go to the replacement if it is killed).
   */
  dispatchable(now: number, overdueMs: number): boolean {
    if (this.state !== 'Ready' || this.endReason !== null || this.suspected) return false;
    return this.pingOutstandingSince === null || now - this.pingOutstandingSince < overdueMs;
  }

  /** Age of the oldest unanswered health ping, or null (GET /pools shows it: a hung worker is visible early). */
  pingPendingMs(now: number): number | null {
    return this.pingOutstandingSince === null ? null : now - this.pingOutstandingSince;
  }

  start(): void {
    if (this.mode === 'module') this.startModule();
    else void this.startCommand();
  }

  private startModule(): void {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      W3_POOL: this.pool,
      W3_WORKER_ID: String(this.id),
      W3_SOCKET: this.socketPath,
      W3_TRANSPORT: this.spec.transport ?? 'http',
      W3_APPS: JSON.stringify(this.spec.apps.map((a) => ({ path: a.path, module: a.module }))),
      W3_CONTROL_FD: '3',
    };
    for (const a of this.spec.apps) Object.assign(env, a.env);
    // Fault code only when fault injection is on; nothing of it (nor a host secret) is inherited otherwise.
    for (const k of ['W3_FAULT_PLUGIN', 'W3_STARTUP_FAULT', 'W3_FAULT_TOKEN', 'W3LAB_STARTUP_FAULT']) delete env[k];
    if (this.spec.faultPlugin) env['W3_FAULT_PLUGIN'] = this.spec.faultPlugin;
    if (this.spec.faultPlugin && this.spec.startupFault) env['W3_STARTUP_FAULT'] = this.spec.startupFault;
    // No Node IPC channel (see control/line-channel.ts): the control pipe is fd 3, framed and bounded by us.
    delete env['NODE_CHANNEL_FD'];
    const child = spawn(process.execPath, [...process.execArgv, compiled('targets/w3/worker/worker-main')], {
      env,
      cwd: this.spec.apps[0]?.cwd,
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    this.attach(child);
    const pipe = child.stdio[3] as Duplex | null;
    if (!pipe) return;
    this.control = new LineChannel(pipe, {
      maxLineBytes: MAX_WORKER_LINE_BYTES,
      onMessage: (m) => this.onMessage(m),
      onViolation: (error) => this.onMalformed(error),
    });
  }

  private async startCommand(): Promise<void> {
    const app = this.spec.apps.find((a) => a.command)!;
    this.port = await freePort();
    const [cmd, ...args] = app.command!;
    const child = spawn(cmd!, args, {
      env: {
        ...withoutHostSecrets(process.env),
        ...app.env,
        PORT: String(this.port),
        W3_WORKER_ID: String(this.id),
        W3_POOL: this.pool,
      },
      cwd: app.cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Own process group, so a kill reaches the program's children too.
      detached: true,
    });
    this.attach(child);
    child.once('spawn', () => this.pollCommandReady(app));
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    this.pid = child.pid ?? 0;
    child.once('error', (err) => {
      this.log.error({ err: err.message }, 'worker process error');
      if (this.state !== 'Exited' && child.exitCode === null && !child.pid) this.onExit(null, null);
    });
    child.once('exit', (code, signal) => this.onExit(code, signal));
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'Exited') return;
    this.state = 'Exited';
    this.exitCode = code;
    this.exitSignal = signal;
    if (this.readyPoll) clearTimeout(this.readyPoll);
    for (const done of this.pendingPings.values()) done();
    this.pendingPings.clear();
    for (const done of this.pendingFaults.values()) done({ ok: false, error: 'worker exited' });
    this.pendingFaults.clear();
    this.upstream?.destroy().catch(() => undefined);
    // Our end of the control pipe: a paused channel (after a violation) would otherwise keep its fd open.
    this.control?.close();
    this.emit('exit', code, signal);
  }

  private onMalformed(error: string): void {
    if (this.untrusted || this.state === 'Exited') return;
    this.untrusted = true;
    if (this.state === 'Orphaned') return; // the manager no longer listens to it
    this.log.warn({ error }, 'malformed control message from worker');
    this.emit('malformed', error);
  }

  private onMessage(raw: unknown): void {
    if (this.untrusted || this.state === 'Orphaned' || this.state === 'Exited') return;
    const checked = checkFromWorker(raw);
    if (!checked.ok) return this.onMalformed(checked.error);
    const m = checked.msg;
    switch (m.type) {
      case 'ready':
        // The worker listens where the manager told it to; any other path (another worker's, the admin socket) is
        // a worker trying to redirect the listener's traffic.
        if (m.socket !== this.socketPath) return this.onMalformed('ready: not the socket it was given');
        this.becomeReady(`http://localhost`, m.socket);
        break;
      case 'pong': {
        const done = this.pendingPings.get(m.seq);
        if (done) {
          this.pendingPings.delete(m.seq);
          done();
        }
        break;
      }
      case 'unhealthy':
        this.emit('unhealthy', m.reason ?? 'reported by the application');
        break;
      case 'fault-ack': {
        const done = this.pendingFaults.get(m.id);
        this.pendingFaults.delete(m.id);
        done?.({ ok: m.ok, error: m.error });
        break;
      }
      case 'log':
        if (this.logAllowed()) this.log[m.level]({}, m.msg);
        break;
    }
  }

  /** A worker may log through the host, but not flood the host's log: LOG_LINES_PER_SECOND, the rest is counted. */
  private logAllowed(): boolean {
    const b = this.logBudget;
    const now = Date.now();
    if (now - b.windowStart >= 1000) {
      if (b.dropped > 0) this.log.warn({ dropped: b.dropped }, 'worker log lines dropped (over the rate limit)');
      Object.assign(b, { windowStart: now, used: 0, dropped: 0 });
    }
    if (b.used < LOG_LINES_PER_SECOND) {
      b.used++;
      return true;
    }
    b.dropped++;
    return false;
  }

  private becomeReady(origin: string, socketPath?: string): void {
    if (this.state !== 'Starting') return;
    this.upstream = new UpstreamPool(origin, {
      socketPath,
      ...this.spec.upstream,
      pipelining: 1,
      keepAliveTimeout: 600_000,
      keepAliveMaxTimeout: 600_000,
    });
    this.state = 'Ready';
    this.readyAt = Date.now();
    this.lastActivity = this.readyAt;
    this.emit('ready');
  }

  private pollCommandReady(app: ApplicationConfig): void {
    const attempt = (): void => {
      if (this.state !== 'Starting') return;
      probe(this.port, app.healthPath, 1000).then(
        () => this.becomeReady(`http://127.0.0.1:${this.port}`),
        () => {
          this.readyPoll = setTimeout(attempt, 25);
        },
      );
    };
    attempt();
  }

  /** Resolves true when the worker answered within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.state === 'Exited') return Promise.resolve(false);
    this.pingOutstandingSince ??= Date.now();
    const settle = (ok: boolean): boolean => {
      if (ok || this.pendingPings.size === 0) this.pingOutstandingSince = null;
      return ok;
    };
    if (this.mode === 'command') {
      const app = this.spec.apps.find((a) => a.command)!;
      return probe(this.port, app.healthPath, timeoutMs).then(
        () => settle(true),
        () => settle(false),
      );
    }
    return new Promise((resolve) => {
      const seq = ++this.pingSeq;
      // Time the manager itself kept the worker stopped (the CPU throttle) is not the worker's to answer for: the
      // deadline moves by it. Throttle pauses are bounded, so this ends.
      let held = this.heldMs();
      const onTimeout = (): void => {
        const more = this.heldMs() - held;
        if (more > 0 && this.state !== 'Exited') {
          held += more;
          timer = setTimeout(onTimeout, timerMs(more));
          return;
        }
        this.pendingPings.delete(seq);
        resolve(settle(false));
      };
      let timer = setTimeout(onTimeout, timerMs(timeoutMs));
      this.pendingPings.set(seq, () => {
        clearTimeout(timer);
        resolve(settle(this.state !== 'Exited'));
      });
      this.send({ type: 'ping', seq });
    });
  }

  /** Total time SIGSTOPped by the manager so far, the current stop included. */
  private heldMs(): number {
    return this.stoppedMs + (this.stoppedSince === null ? 0 : Date.now() - this.stoppedSince);
  }

  /** Ask the worker to finish and exit (module: shutdown message; command: SIGTERM). */
  requestShutdown(): void {
    if (this.state === 'Exited') return;
    if (this.mode === 'module') this.send({ type: 'shutdown' });
    else this.signal('SIGTERM');
  }

  injectFault(spec: unknown, timeoutMs = 5000): Promise<{ ok: boolean; error?: string }> {
    if (this.mode !== 'module')
      return Promise.resolve({ ok: false, error: 'command-mode workers host no fault agent' });
    if (this.state === 'Exited') return Promise.resolve({ ok: false, error: 'worker has exited' });
    return new Promise((resolve) => {
      const id = ++this.faultSeq;
      const timer = setTimeout(() => {
        this.pendingFaults.delete(id);
        resolve({ ok: false, error: 'worker did not acknowledge the fault (event loop blocked?)' });
      }, timerMs(timeoutMs));
      this.pendingFaults.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.send({ type: 'fault', id, spec });
    });
  }

  heal(): void {
    if (this.mode === 'module') this.send({ type: 'heal' });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.state === 'Exited' || !this.pid) return;
    if (sig === 'SIGSTOP' && !this.paused) {
      this.paused = true;
      this.stoppedSince = Date.now();
    }
    if (sig === 'SIGCONT' && this.paused) {
      this.paused = false;
      this.stoppedMs += Date.now() - (this.stoppedSince ?? Date.now());
      this.stoppedSince = null;
    }
    try {
      // Command workers run in their own process group: signal the whole group.
      process.kill(this.mode === 'command' ? -this.pid : this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  kill(reason: string): void {
    this.endReason ??= reason;
    this.killRequested = true;
    this.signal('SIGKILL');
  }

  private send(m: ToWorker): void {
    this.control?.send(m);
  }

  /**
   * Orphaning: stop serving and listening to it, but leave the process running (for a debugger or a dump). The
   * control channel stays open on purpose: closing it makes a module worker exit (it never outlives its host).
   * Requests in flight on it fail now (and are replayed or answered 502 by the listener). 'exit' still fires.
   */
  orphan(): void {
    if (this.state === 'Exited') return;
    this.endReason = 'orphaned';
    this.state = 'Orphaned';
    if (this.readyPoll) clearTimeout(this.readyPoll);
    if (this.paused) this.signal('SIGCONT');
    this.upstream?.destroy().catch(() => undefined);
    this.upstream = null;
  }
}

function withoutHostSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out['W3_FAULT_TOKEN'];
  return out;
}

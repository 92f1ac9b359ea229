// The in-worker fault agent: applies worker faults (faults/spec.ts) from inside the process that serves requests,
// and heals them. It owns no transport and no server: the host (w3's worker, or preload.ts in a foreign Node
// process) passes specs in, routes requests through wrapHandler(), and consults answersPings() before answering a
// health ping and honoursShutdown() before starting a graceful shutdown. That keeps the agent testable in-process
// against a plain http.Server.
//
// Timers the agent owns are unref'd (a fault must not keep a process alive) except a pending crash, which must
// still happen if nothing else holds the process up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkerFaultSpec } from '../spec';
import { seededRandom, type Random } from '../seeded-random';
import { busyWait, MAX_BLOCK_MS, startCpuSpinner } from './busy';
import { MemoryLeak } from './leak';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
type Spec<K extends WorkerFaultSpec['kind']> = Extract<WorkerFaultSpec, { kind: K }>;

export interface FaultAgentOptions {
  /** Where the agent reports what it does; hosts that may crash on purpose should log synchronously. */
  log?: (msg: string, extra?: object) => void;
  /** Clock for `since` timestamps (durations themselves use real timers). */
  now?: () => number;
  /** Random source for percent rolls; defaults to seededRandom(seed). */
  random?: Random;
  seed?: number;
  /** Called after the set of active faults changed (apply, heal, expiry); lets hosts mirror state. */
  onChange?: () => void;
}

export interface ActiveFault {
  id: number;
  spec: WorkerFaultSpec;
  since: number;
}

export interface ApplyOptions {
  /**
   * Faults that take the process over — crash, hang{block-loop}, cpu-spin — start only once this settles; the
   * others take effect at once. A host passes "my ack has left": an ack still queued in this process (the channel
   * backs up when the parent reads slowly) is never flushed by a blocked loop, nor by a process that died.
   */
  startAfter?: PromiseLike<unknown>;
}

export interface FaultAgent {
  apply(spec: WorkerFaultSpec, opts?: ApplyOptions): { id: number };
  /** Heals one fault, or all when `id` is omitted. Unknown or already healed ids are ignored. */
  heal(id?: number): void;
  active(): ActiveFault[];
  /** Wraps the app's request listener; implements slow, error and stall-requests. */
  wrapHandler(h: RequestHandler): RequestHandler;
  /** False while hang{ignore-pings} is active: the host must then leave health pings unanswered. */
  answersPings(): boolean;
  /** False while shutdown-hang is active: the host must then ignore graceful shutdown requests. */
  honoursShutdown(): boolean;
  /** Bytes currently retained by leak faults (evidence for the lab; 0 after heal). */
  leakedBytes(): number;
  /** Requests held by stall-requests, waiting for heal. */
  stalledRequests(): number;
}

interface Entry extends ActiveFault {
  /** Stops timers and frees resources; runs exactly once, when the fault leaves the active set. */
  release: () => void;
  leak?: MemoryLeak;
}

interface Held {
  handler: RequestHandler;
  req: IncomingMessage;
  res: ServerResponse;
}

const ERROR_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-w3lab-fault': 'error' };

export function createFaultAgent(opts: FaultAgentOptions = {}): FaultAgent {
  return new Agent(opts);
}

// The methods are arrow-function fields: hosts may hand them around (e.g. `agent.wrapHandler` as a callback).
class Agent implements FaultAgent {
  private readonly log: (msg: string, extra?: object) => void;
  private readonly now: () => number;
  private readonly random: Random;
  private readonly onChange: (() => void) | undefined;
  private readonly faults = new Map<number, Entry>();
  private held: Held[] = [];
  private nextId = 1;

  constructor(opts: FaultAgentOptions) {
    this.log = opts.log ?? (() => undefined);
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? seededRandom(opts.seed ?? 1);
    this.onChange = opts.onChange;
  }

  apply = (spec: WorkerFaultSpec, opts: ApplyOptions = {}): { id: number } => {
    const id = this.nextId++;
    const entry: Entry = { id, spec, since: this.now(), release: () => undefined };
    this.faults.set(id, entry);
    this.log('fault applied', { id, spec });
    switch (spec.kind) {
      case 'crash':
      case 'cpu-spin':
        this.takeOverAfter(entry, opts.startAfter, () => this.takeOver(entry));
        break;
      case 'hang':
        if (spec.mode === 'block-loop') this.takeOverAfter(entry, opts.startAfter, () => this.takeOver(entry));
        // ignore-pings and stall-requests are states read by answersPings() and wrapHandler().
        else this.expireAfter(entry, spec.durationMs, () => this.remove(id, 'expired'));
        break;
      case 'leak': {
        const leak = new MemoryLeak(spec);
        entry.leak = leak;
        entry.release = () => leak.release();
        leak.start();
        // After durationMs the leak stops growing but keeps its memory: only heal frees it.
        this.expireAfter(entry, spec.durationMs, () => leak.stopGrowing());
        break;
      }
      case 'slow':
      case 'error':
        this.expireAfter(entry, spec.durationMs, () => this.remove(id, 'expired'));
        break;
      case 'shutdown-hang':
        break;
    }
    this.changed();
    return { id };
  };

  heal = (id?: number): void => {
    if (id !== undefined) return this.remove(id, 'healed');
    for (const key of [...this.faults.keys()]) this.remove(key, 'healed');
  };

  active = (): ActiveFault[] => [...this.faults.values()].map(({ id, spec, since }) => ({ id, spec, since }));

  wrapHandler = (h: RequestHandler): RequestHandler => {
    return (req, res) => {
      if (this.faults.size === 0) return h(req, res);
      for (const f of this.specsOf('error')) {
        if (this.hit(f.percent)) return respondError(res, f.status);
      }
      if (this.hangActive('stall-requests')) {
        // Accepted and kept, never answered: the worker still answers pings, so only request timeouts see it.
        this.held.push({ handler: h, req, res });
        return;
      }
      let delay = 0;
      for (const f of this.specsOf('slow')) if (this.hit(f.percent)) delay = Math.max(delay, f.delayMs);
      // Requests already delayed finish their delay even if the fault is healed meanwhile (bounded by delayMs).
      if (delay > 0) setTimeout(() => h(req, res), delay);
      else h(req, res);
    };
  };

  answersPings = (): boolean => !this.hangActive('ignore-pings');

  honoursShutdown = (): boolean => this.specsOf('shutdown-hang').length === 0;

  leakedBytes = (): number => [...this.faults.values()].reduce((sum, f) => sum + (f.leak?.retainedBytes() ?? 0), 0);

  stalledRequests = (): number => this.held.length;

  private changed(): void {
    try {
      this.onChange?.();
    } catch (err) {
      this.log('fault agent onChange hook failed', { error: String(err) });
    }
  }

  private specsOf<K extends WorkerFaultSpec['kind']>(kind: K): Spec<K>[] {
    const out: Spec<K>[] = [];
    for (const f of this.faults.values()) if (f.spec.kind === kind) out.push(f.spec as Spec<K>);
    return out;
  }

  private hangActive(mode: Spec<'hang'>['mode']): boolean {
    return this.specsOf('hang').some((s) => s.mode === mode);
  }

  /** percent=100 never consumes a random number, so adding a certain fault does not shift other rolls. */
  private hit(percent: number): boolean {
    return percent >= 100 || (percent > 0 && this.random() * 100 < percent);
  }

  private remove(id: number, reason: 'healed' | 'expired' | 'fired'): void {
    const f = this.faults.get(id);
    if (!f) return;
    this.faults.delete(id);
    f.release();
    this.log('fault healed', { id, kind: f.spec.kind, reason });
    if (!this.hangActive('stall-requests')) this.releaseHeld();
    this.changed();
  }

  private releaseHeld(): void {
    if (this.held.length === 0) return;
    const batch = this.held;
    this.held = [];
    this.log('releasing stalled requests', { count: batch.length });
    for (const { handler, req, res } of batch) {
      // One turn each: an app that throws for one request must neither strand the rest nor throw into heal().
      setImmediate(() => {
        // A closed socket cannot receive an answer; the client side has already recorded the failure.
        if (res.writableEnded || req.socket.destroyed) return;
        handler(req, res);
      });
    }
  }

  /** Arms the self-heal timer of a timed fault (durationMs > 0) and chains its cleanup into release. */
  private expireAfter(entry: Entry, ms: number, onExpire: () => void): void {
    if (ms <= 0) return;
    const t = setTimeout(onExpire, ms);
    t.unref();
    const previous = entry.release;
    entry.release = () => {
      clearTimeout(t);
      previous();
    };
  }

  /** Runs `start` once `startAfter` settled (at once without one), unless the fault was healed meanwhile. */
  private takeOverAfter(entry: Entry, startAfter: PromiseLike<unknown> | undefined, start: () => void): void {
    if (!startAfter) return start();
    let healed = false;
    entry.release = () => void (healed = true);
    const go = (): void => {
      if (!healed) start();
    };
    startAfter.then(go, go);
  }

  /** Starts a fault that takes the process over; each sets entry.release to undo what it started. */
  private takeOver(entry: Entry): void {
    const { id, spec } = entry;
    if (spec.kind === 'crash') {
      // Deferred even with delayMs 0, so apply() returns before the process dies.
      const t = setTimeout(() => {
        this.remove(id, 'fired'); // only observable if the process survives (e.g. an app that swallows exceptions)
        crashNow(spec, this.log);
      }, spec.delayMs);
      entry.release = () => clearTimeout(t);
    } else if (spec.kind === 'hang') {
      // On the next turn, so apply() returns first. Nothing can heal a blocked loop from inside; it ends after
      // durationMs, or at MAX_BLOCK_MS for "forever", or when the process is killed.
      const ms = spec.durationMs > 0 ? Math.min(spec.durationMs, MAX_BLOCK_MS) : MAX_BLOCK_MS;
      const imm = setImmediate(() => {
        this.log('blocking the event loop', { id, ms });
        busyWait(ms);
        this.remove(id, 'expired');
      });
      entry.release = () => clearImmediate(imm);
    } else if (spec.kind === 'cpu-spin') {
      const spinner = startCpuSpinner(spec.dutyPercent);
      entry.release = () => spinner.stop();
      this.expireAfter(entry, spec.durationMs, () => this.remove(id, 'expired'));
    }
  }
}

function respondError(res: ServerResponse, status: number): void {
  const body = `w3lab injected fault: ${status}\n`;
  res.writeHead(status, { ...ERROR_HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function crashNow(spec: Spec<'crash'>, log: (msg: string, extra?: object) => void): void {
  log('crashing', { mode: spec.mode, exitCode: spec.exitCode, signal: spec.signal });
  switch (spec.mode) {
    case 'exit':
      process.exit(spec.exitCode);
    // falls through (never: process.exit does not return)
    case 'signal':
      process.kill(process.pid, spec.signal);
      return;
    case 'uncaught-exception':
      setImmediate(() => {
        throw new Error('w3lab fault: injected uncaught exception');
      });
      return;
    case 'unhandled-rejection':
      // Node 20 defaults to --unhandled-rejections=throw: this ends the process like an uncaught exception.
      process.nextTick(() => {
        void Promise.reject(new Error('w3lab fault: injected unhandled rejection'));
      });
      return;
    case 'abort':
      process.abort();
  }
}

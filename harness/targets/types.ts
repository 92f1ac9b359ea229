// The Target protocol: how the lab brings a server system up and what it may ask of it. Capabilities are optional
// and separate (like Jepsen's Kill / Pause protocols): a checker or fault that needs one asks for it and the run
// reports "unknown" or a clear error when the target lacks it. Harness code depends on these types only.
import type { W3Event } from '../../targets/w3/events/event-types';
import type { WorkerFaultSpec, StartupFaultSpec } from '../../faults/spec';

export type RuntimeKind = 'process' | 'container';

export interface TargetContext {
  runId: string;
  /** Folder of this run; targets write their logs and generated configs here. */
  runDir: string;
  runtime: RuntimeKind;
  /** Target-specific settings from the scenario (for w3: config overrides merged into the generated config). */
  settings: Record<string, unknown>;
  /** Fault injection must be enabled explicitly; the token protects the trigger. */
  faultInjection: { enabled: boolean; token: string };
  log: import('pino').Logger;
}

export interface WorkerInfo {
  pool: string;
  id: number;
  pid: number;
  state: string;
  requests?: number;
}

export interface Endpoint {
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
}

/** Capability: the target can recycle a pool (or all workers) on request. */
export interface CanRecycle {
  recycle(pool?: string): Promise<void>;
}
/** Capability: pool start/stop (admin). */
export interface CanControlPools {
  startPool(pool: string): Promise<void>;
  stopPool(pool: string): Promise<void>;
  pools(): Promise<unknown[]>;
}
/** Capability: list the worker processes. */
export interface CanListWorkers {
  workers(pool?: string): Promise<WorkerInfo[]>;
}
/** Capability: deliver a fault into a worker (in-worker agent). */
export interface CanInjectFault {
  injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void>;
  healFaults(worker: WorkerInfo): Promise<void>;
  /** Faults for workers that have not started yet (startup crash / hang). */
  setStartupFault?(pool: string, spec: StartupFaultSpec | null): Promise<void>;
}
/** Capability: send a signal to one of the target's processes by PID. */
export interface CanSignal {
  signal(pid: number, signal: NodeJS.Signals): Promise<void>;
}
/** Capability: the target's own event stream (w3's /events; peers emit what they observe). */
export interface HasEvents {
  /** All events so far (the runner polls/streams them into events.jsonl). */
  events(): W3Event[];
}

export interface StartedTarget
  extends Partial<CanRecycle & CanControlPools & CanListWorkers & CanInjectFault & CanSignal & HasEvents> {
  name: string;
  endpoint: Endpoint;
  /** Main process PID (host / primary), when there is one. */
  pid?: number;
  /** Graceful stop; idempotent. */
  stop(): Promise<void>;
  /** Forced stop; idempotent. */
  kill(): Promise<void>;
}

export interface Target {
  name: string;
  setup(ctx: TargetContext): Promise<StartedTarget>;
}

// The Target protocol: how the lab brings a server system up and what it may ask of it. Capabilities are optional
// and separate (like Jepsen's Kill / Pause protocols): a checker or fault that needs one asks for it and the run
// reports "unknown" or a clear error when the target lacks it. Harness code depends on these types only.
import type { LabEvent } from '../events';
import type { WorkerFaultSpec, StartupFaultSpec } from '../../faults/spec';
import type { Capability } from './capabilities';

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
  /** Private (resident, not shared) memory of the worker in KB, when the target measures it. */
  privateMemoryKB?: number;
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
/** Capability: reload the configuration of the process that owns client connections (nginx -s reload, ...). */
export interface CanReloadFront {
  frontReload(): Promise<void>;
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
/**
 * Capability (container runtime only): faults on the whole container. The process runtime has no equivalent, so
 * a scenario step that needs it fails there with a capability error.
 */
export interface CanControlContainer {
  /** Sends a signal to the container (through its init to the server): SIGTERM = graceful stop, SIGKILL = all dies. */
  containerKill(signal: NodeJS.Signals): Promise<void>;
  /** Freezes every process of the target (cgroup freezer): the whole target hangs, its sockets stay open. */
  containerPause(): Promise<void>;
  /** The heal of containerPause; idempotent, no error when not paused or when the container is gone. */
  containerUnpause(): Promise<void>;
  /** docker restart (SIGTERM, SIGKILL after the grace period, start again); resolves once the server is ready. */
  containerRestart(): Promise<{ durationMs: number }>;
}

/** What the lab observed of a worker the kernel OOM-killed (CanOomKill). */
export interface OomKill {
  pid: number;
  workerId?: number;
  replacementPid?: number;
  /** The memory cgroup's oom_kill counter after the kill. */
  oomKillCount: number;
  /** Proven a kernel OOM kill: the counter went up, the worker died of SIGKILL, and nobody else sent one. */
  kernelOomKill?: boolean;
  cgroup: string;
  /** Epoch ms: leak injected, crash seen, replacement ready. */
  injectedAt: number;
  crashedAt: number;
  replacedAt: number;
}

/**
 * Capability (container runtime with a memory quota): leaks memory in one worker until the kernel OOM-kills it, and
 * resolves once the manager has replaced it. A proven kill is recorded as a WorkerOomKilled event (source "lab").
 */
export interface CanOomKill {
  oomKillWorker(worker: WorkerInfo, leak: WorkerFaultSpec, opts?: { timeoutMs?: number }): Promise<OomKill>;
}

/**
 * Capability: the target's events in the lab's vocabulary (harness/events). The adapter maps what the target
 * reports (w3's event log, a peer's own output, process observation) into LabEvents; nothing downstream sees the
 * target's own event names.
 */
export interface HasEvents {
  /** All events so far, in arrival order (the runner streams them into events.jsonl). */
  events(): LabEvent[];
}

export interface StartedTarget extends Partial<
  CanRecycle &
    CanReloadFront &
    CanControlPools &
    CanListWorkers &
    CanInjectFault &
    CanSignal &
    HasEvents &
    CanControlContainer &
    CanOomKill
> {
  name: string;
  endpoint: Endpoint;
  /**
   * Main process PID (host / primary) on this machine, when there is one (not for containers: their PIDs are theirs).
   */
  pid?: number;
  /** Where it runs, for run.json (runtime, container id and image, ...). */
  runtimeDetails?: Record<string, unknown>;
  /** Last resort when the harness exits without cleaning up (a process 'exit' handler): synchronous, best effort. */
  killSync?(): void;
  /** Graceful stop; idempotent. */
  stop(): Promise<void>;
  /** Forced stop; idempotent. */
  kill(): Promise<void>;
}

/** One problem in a target's settings; `path` is dotted, relative to the settings ("config.pools.0.x", "workers"). */
export interface SettingsProblem {
  path: string;
  message: string;
}

/** What a target says about a scenario's settings before anything starts. */
export interface SettingsCheck {
  problems: SettingsProblem[];
  /** The pools (worker groups) it would run with these settings, when the settings are valid. */
  pools?: string[];
}

export interface Target {
  name: string;
  /**
   * Validates the scenario's settings for this target against the target's own rules (w3: its config schema, the
   * files it names) without starting anything, and names the pools they define. Preflight calls it so a typo is
   * an error before the run, not a failed start after it.
   */
  checkSettings?(settings: Record<string, unknown>): SettingsCheck;
  /**
   * What this target can do with these settings (the scenario's target settings), known before it starts; a
   * scenario requiring more is not supported (capabilities.ts). Absent = every capability (w3, the reference).
   */
  capabilities?(settings: Record<string, unknown>): readonly Capability[];
  setup(ctx: TargetContext): Promise<StartedTarget>;
}

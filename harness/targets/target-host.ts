// Where a target's main program runs — a local process or a container — behind one small interface, so each target
// adapter (w3, node-cluster) is written once for both runtimes: where its events come from, how a PID of it is
// signalled, how it is stopped, and (containers only) the container-level controls. The process side is here; the
// container side is container-host.ts.
import { sendSignal } from '../../faults/process/signals';
import type { EventProcess } from './event-process';
import type { TargetLogEvent } from './event-log';
import { TargetError } from './errors';
import type { CanControlContainer, OomKill, RuntimeKind } from './types';

/** Container-level controls a host offers when it is a container. */
export interface ContainerControls extends CanControlContainer {
  /** Leaks memory into the worker (injectLeak) under the memory quota; resolves once it was OOM-killed and replaced. */
  oomKill(worker: { pid: number; id?: number }, injectLeak: () => Promise<void>, timeoutMs?: number): Promise<OomKill>;
}

export interface TargetHost {
  readonly runtime: RuntimeKind;
  /** Main process PID on this machine (process runtime only: a container's PIDs are its own). */
  readonly pid?: number;
  events(): TargetLogEvent[];
  /** First event (from index `from`) matching pred; rejects on timeout or when the program ended, with its output. */
  waitForEvent(
    pred: (e: TargetLogEvent) => boolean,
    timeoutMs: number,
    what: string,
    from?: number,
  ): Promise<TargetLogEvent>;
  /** Signals the main program or a worker it reported, by the PID the target reports. */
  signal(pid: number, signal: NodeJS.Signals): Promise<void>;
  /** Graceful (SIGTERM, SIGKILL after graceMs); leaves nothing behind; idempotent. */
  stop(graceMs: number): Promise<void>;
  /** Forced; leaves nothing behind; idempotent. */
  kill(): Promise<void>;
  /** Synchronous last resort at harness exit. */
  killSync(): void;
  /** For run.json. */
  details(): Record<string, unknown>;
  readonly container?: ContainerControls;
}

/** A target running as a local process (event-process.ts). */
export class ProcessHost implements TargetHost {
  readonly runtime = 'process' as const;
  readonly pid: number;

  constructor(
    private readonly proc: EventProcess,
    private readonly name: string,
  ) {
    this.pid = proc.pid;
  }

  events(): TargetLogEvent[] {
    return this.proc.events();
  }

  waitForEvent(
    pred: (e: TargetLogEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<TargetLogEvent> {
    return this.proc.waitForEvent(pred, timeoutMs, what, from);
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    if (!this.proc.owns(pid))
      throw new TargetError('LAB_ERR_TARGET_CONTROL', `pid ${pid} is not a process of this ${this.name} target`);
    sendSignal(pid, signal);
  }

  stop(graceMs: number): Promise<void> {
    return this.proc.stop(graceMs);
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }

  /** SIGKILL to the main process and every worker it reported (exit handlers cannot wait for /proc walks). */
  killSync(): void {
    const pids = new Set<number>([this.pid]);
    // Workers, and helpers a peer driver runs beside them (HelperStarted: nginx, HAProxy, Gunicorn's master).
    for (const e of this.proc.events()) {
      if ((e.type === 'WorkerStarting' || e.type === 'HelperStarted') && typeof e.pid === 'number') pids.add(e.pid);
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  details(): Record<string, unknown> {
    return { runtime: 'process', pid: this.pid };
  }
}

// What the pool queues and dispatches: one client request waiting for (or running on) a worker. The listener
// implements it (it owns the HTTP side); the pool only decides where and when a job runs.
import type { WorkerProcess } from './worker-process';

/** Why the pool could not serve a job; maps to an HTTPERR reason and a 503 or TCP reset. */
export type RejectReason = 'QueueFull' | 'AppOffline' | 'Disabled' | 'AppShutdown' | 'Timer_AppPool';

export interface PoolJob {
  /** When it was handed to a worker (for the progress watchdog). */
  dispatchedAt: number;
  /** True once the worker sent the first response byte. */
  responseStarted: boolean;
  /** The client went away (AppPool.cancel); the pool never dispatches it. */
  cancelled: boolean;
  /** A worker to skip (its transport just failed) until it proves alive or exits. */
  avoid: WorkerProcess | null;
  /** A worker this job would rather run on (its client connection is already open there): connection affinity. */
  prefer?: WorkerProcess | null;
  /** When the job's connection came to `prefer` (set by the pool when it dispatches elsewhere than `prefer`). */
  preferSince?: number;
  run(worker: WorkerProcess): void;
  reject(reason: RejectReason, tcpReset: boolean): void;
}

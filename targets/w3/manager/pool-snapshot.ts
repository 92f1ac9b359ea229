// What GET /pools shows of a pool (the admin API's contract, see README): state, stop reason, queue, rapid-fail count
// and the workers — orphans included, marked Orphaned. Extra per-worker fields beyond the contract: mode, readyAt,
// virtual memory, the age of an unanswered ping (a hung worker is visible before it is killed), and the suspected /
// paused flags (transport failure under probe; SIGSTOPped by the CPU throttle).
import type { AppPool } from './app-pool';

export interface WorkerSnapshot {
  id: number;
  pid: number;
  state: string;
  mode: 'module' | 'command';
  startedAt: string;
  readyAt: string | null;
  requests: number;
  inFlight: number;
  privateMemoryKB: number;
  virtualMemoryKB: number;
  pingPendingMs: number | null;
  suspected?: true;
  paused?: true;
}

export interface PoolSnapshot {
  name: string;
  state: 'Started' | 'Stopped';
  stopReason?: string;
  queue: { length: number; limit: number };
  failures: { count: number; windowMs: number };
  workers: WorkerSnapshot[];
}

export function poolSnapshot(pool: AppPool): PoolSnapshot {
  const now = Date.now();
  return {
    name: pool.name,
    state: pool.state,
    ...(pool.stopReason ? { stopReason: pool.stopReason } : {}),
    queue: { length: pool.queue.length, limit: pool.config.queueLength },
    failures: { count: pool.rapidFail.count(), windowMs: pool.rapidFail.windowMs },
    workers: [...pool.workers, ...pool.orphans.list].map((w) => ({
      id: w.id,
      pid: w.pid,
      state: w.state,
      mode: w.mode,
      startedAt: new Date(w.startedAt).toISOString(),
      readyAt: w.readyAt ? new Date(w.readyAt).toISOString() : null,
      requests: w.requests,
      inFlight: w.inFlight,
      privateMemoryKB: w.privateMemoryKB,
      virtualMemoryKB: w.virtualMemoryKB,
      pingPendingMs: w.pingPendingMs(now),
      ...(w.suspected ? { suspected: true as const } : {}),
      ...(w.paused ? { paused: true as const } : {}),
    })),
  };
}

// Recycling a pool's workers. Overlapped (default): start the replacement, wait until it is ready, then route new
// requests to it and let the old worker drain and exit (killed at shutdownTimeLimit). If the replacement fails to
// start, the old worker keeps serving (event 5093). With disallowOverlappingRotation the old worker drains and
// exits first; requests wait in the pool queue; then the replacement starts.
// shutdownTimeLimit is measured from the moment a worker stops receiving requests (drain start): w3's reading of
// "after it initiated a recycle", chosen so a slow replacement start cannot eat the old worker's drain time.
import { RECYCLE_EVENT_ID, type RecycleReason } from '../events/event-types';
import type { WorkerProcess } from './worker-process';
import type { AppPool } from './app-pool';

interface RecycleRecord {
  id: number;
  reason: RecycleReason;
  started: number;
  old: WorkerProcess;
  replacement: WorkerProcess | null;
  newReadyAt: number | null;
  overlapped: boolean;
}

let recycleSeq = 0;

export class Recycler {
  private readonly active = new Map<number, RecycleRecord>();
  /** Old worker → its recycle. */
  private readonly byOld = new Map<WorkerProcess, RecycleRecord>();
  private readonly shutdownTimers = new Map<WorkerProcess, NodeJS.Timeout>();
  /** Workers whose replacement failed: no new attempt before this time (avoids a start storm). */
  private readonly retryAfter = new WeakMap<WorkerProcess, number>();

  constructor(private readonly pool: AppPool) {}

  /** Non-overlapped recycles whose old worker has not exited yet (their replacement starts after it). */
  pendingReplacements(): number {
    let n = 0;
    for (const rec of this.byOld.values()) if (!rec.overlapped) n++;
    return n;
  }

  recycleAll(reason: RecycleReason): number[] {
    const ids: number[] = [];
    for (const w of [...this.pool.workers]) {
      const id = this.recycleWorker(w, reason);
      if (id !== null) ids.push(id);
    }
    return ids;
  }

  /** Starts a recycle of one worker; returns its id, or null when the worker is not recyclable now. */
  recycleWorker(old: WorkerProcess, reason: RecycleReason, detail?: string): number | null {
    const pool = this.pool;
    if (old.state !== 'Ready' || this.byOld.has(old) || pool.state !== 'Started') return null;
    if ((this.retryAfter.get(old) ?? 0) > Date.now()) return null;
    const overlapped = !pool.config.recycling.disallowOverlappingRotation;
    const rec: RecycleRecord = { id: ++recycleSeq, reason, started: Date.now(), old, replacement: null, newReadyAt: null, overlapped };
    this.active.set(rec.id, rec);
    this.byOld.set(old, rec);
    pool.ctx.events.emit({
      type: 'RecycleStarted',
      eventId: RECYCLE_EVENT_ID[reason],
      pool: pool.name,
      workerId: old.id,
      pid: old.pid,
      recycleId: rec.id,
      reason,
      overlapped,
      ...(detail ? { detail } : {}),
    });
    if (overlapped) rec.replacement = pool.startWorker(rec.id, true);
    else this.drain(old, 'recycle');
    return rec.id;
  }

  onWorkerReady(w: WorkerProcess): void {
    if (w.recycleId === null) return;
    const rec = this.active.get(w.recycleId);
    w.recycleId = null; // from now on it is an ordinary live worker
    w.overlapReplacement = false;
    if (!rec) return;
    rec.newReadyAt = Date.now();
    if (rec.overlapped) {
      // New requests go to the replacement from this moment; the old one only finishes what it has.
      this.drain(rec.old, 'recycle');
    } else {
      this.complete(rec);
    }
  }

  onWorkerExit(w: WorkerProcess): void {
    const t = this.shutdownTimers.get(w);
    if (t) clearTimeout(t);
    this.shutdownTimers.delete(w);
    const pool = this.pool;
    // A replacement that died before it was ready: the overlap failed, the old worker keeps serving.
    if (w.recycleId !== null) {
      const rec = this.active.get(w.recycleId);
      if (rec && rec.overlapped) {
        pool.ctx.events.emit({ type: 'RecycleOverlapFailed', pool: pool.name, recycleId: rec.id, workerId: rec.old.id, pid: rec.old.pid, reason: rec.reason });
        this.active.delete(rec.id);
        this.byOld.delete(rec.old);
        this.retryAfter.set(rec.old, Date.now() + Math.max(1000, pool.config.processModel.startupTimeLimit));
      }
      return;
    }
    const rec = this.byOld.get(w);
    if (!rec) return;
    this.byOld.delete(w);
    if (rec.overlapped) return this.complete(rec, w);
    // Non-overlapped: the old one is gone; start the replacement now (it serves the requests that queued).
    if (pool.state === 'Started') {
      rec.replacement = pool.startWorker(rec.id);
    } else {
      this.complete(rec, w);
    }
  }

  private complete(rec: RecycleRecord, oldExited?: WorkerProcess): void {
    this.active.delete(rec.id);
    const now = Date.now();
    this.pool.ctx.events.emit({
      type: 'RecycleCompleted',
      pool: this.pool.name,
      recycleId: rec.id,
      reason: rec.reason,
      workerId: rec.old.id,
      oldPid: rec.old.pid,
      newWorkerId: rec.replacement?.id,
      newPid: rec.replacement?.pid,
      overlapped: rec.overlapped,
      durationMs: now - rec.started,
      readyMs: rec.newReadyAt ? rec.newReadyAt - rec.started : null,
      oldExitMs: oldExited ? now - rec.started : null,
    });
  }

  /** Stop routing to `w`, let it finish its in-flight requests, then ask it to exit; kill at shutdownTimeLimit. */
  drain(w: WorkerProcess, why: string): void {
    if (w.exited || this.shutdownTimers.has(w)) return;
    w.endReason ??= why;
    const wasStarting = w.state === 'Starting';
    if (w.state !== 'Orphaned') w.state = 'Draining';
    const pool = this.pool;
    pool.ctx.events.emit({ type: 'WorkerDraining', pool: pool.name, workerId: w.id, pid: w.pid, reason: why, inFlight: w.inFlight });
    const limit = pool.config.processModel.shutdownTimeLimit;
    this.shutdownTimers.set(
      w,
      setTimeout(() => {
        if (w.exited) return;
        pool.ctx.events.emit({ type: 'ShutdownTimeout', pool: pool.name, workerId: w.id, pid: w.pid, inFlight: w.inFlight, limitMs: limit });
        w.endReason = 'shutdown-timeout';
        w.kill('shutdown-timeout');
        // IIS 6 counts a shutdown-limit kill as a rapid-fail failure; w3 does too (except while the host stops).
        if (why !== 'host-stop') pool.countFailure('shutdown-timeout');
      }, limit),
    );
    if (wasStarting) w.kill(why);
    else if (w.inFlight === 0) w.requestShutdown();
  }
}

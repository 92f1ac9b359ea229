// Recycling a pool's workers. Overlapped (default): start the replacement, wait until it is ready, then route new
// requests to it and let the old worker drain and exit (killed at shutdownTimeLimit). If the replacement fails to
// start, the old worker keeps serving (event 5093). With disallowOverlappingRotation the old worker drains and
// exits first; requests wait in the pool queue; then the replacement starts.
// shutdownTimeLimit is measured from the moment a worker stops receiving requests (drain start): w3's reading of
// "after it initiated a recycle", chosen so a slow replacement start cannot eat the old worker's drain time.
// Web gardens: time- and request-based recycles are staggered (as IIS does) — at most one runs at a time, and two
// time-based ones start at least periodicRestart.time / maxProcesses apart, so workers started together drift apart
// instead of all restarting at once. Memory, schedule, admin, config and unhealthy recycles are not staggered.
// A pool stop (admin, rapid-fail, host stop, pool removal) during a recycle cancels it: RecycleCompleted with
// `cancelled: true`, never a 5093 (the overlap did not fail; the pool went away).
import { RECYCLE_EVENT_ID, type RecycleReason } from '../events/event-types';
import type { WorkerProcess } from './worker-process';
import { timerMs } from '../util/timer-limit';
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

/** Why the manager ends workers when a pool or the host stops (a replacement ended so was not a failed overlap). */
const STOPPING = new Set(['pool-stop', 'rapid-fail', 'host-stop', 'pool-removed']);

export class Recycler {
  private readonly active = new Map<number, RecycleRecord>();
  /** Old worker → its recycle. */
  private readonly byOld = new Map<WorkerProcess, RecycleRecord>();
  private readonly shutdownTimers = new Map<WorkerProcess, NodeJS.Timeout>();
  /** Workers whose replacement failed: no new attempt before this time (avoids a start storm). */
  private readonly retryAfter = new WeakMap<WorkerProcess, number>();
  /** When the last time-based recycle started (garden stagger). */
  private lastTimeRecycle = 0;

  constructor(private readonly pool: AppPool) {}

  /** Non-overlapped recycles whose old worker has not exited yet (their replacement starts after it). */
  pendingReplacements(): number {
    let n = 0;
    for (const rec of this.byOld.values()) if (!rec.overlapped) n++;
    return n;
  }

  /**
   * True while `w` is an overlapped recycle's replacement, not ready yet, and the worker it replaces still serves: the
   * two hold one worker's place. Once the old one is ending or gone (crashed, killed, orphaned, drained) the
   * replacement stands in for it, and the pool must not start another worker for that place.
   */
  startingBesideOld(w: WorkerProcess): boolean {
    if (!w.overlapReplacement || w.recycleId === null) return false;
    return this.active.get(w.recycleId)?.old.endReason === null;
  }

  recycleAll(reason: RecycleReason): number[] {
    const ids: number[] = [];
    for (const w of [...this.pool.workers]) {
      const id = this.recycleWorker(w, reason);
      if (id !== null) ids.push(id);
    }
    return ids;
  }

  /**
   * Starts a recycle of one worker; returns its id, or null when the worker is not recyclable now. `measured`:
   * what a memory recycle saw (privateMemoryKB or memoryKB, and the limitKB it passed), carried on RecycleStarted.
   */
  recycleWorker(
    old: WorkerProcess,
    reason: RecycleReason,
    detail?: string,
    measured?: Record<string, number>,
  ): number | null {
    const pool = this.pool;
    if (old.state !== 'Ready' || this.byOld.has(old) || pool.state !== 'Started') return null;
    if ((this.retryAfter.get(old) ?? 0) > Date.now()) return null;
    if (!this.staggerAllows(reason)) return null;
    if (reason === 'Time') this.lastTimeRecycle = Date.now();
    const overlapped = !pool.config.recycling.disallowOverlappingRotation;
    const rec: RecycleRecord = {
      id: ++recycleSeq,
      reason,
      started: Date.now(),
      old,
      replacement: null,
      newReadyAt: null,
      overlapped,
    };
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
      ...measured,
    });
    if (overlapped) rec.replacement = pool.startWorker(rec.id, true);
    else this.drain(old, 'recycle');
    return rec.id;
  }

  private staggerAllows(reason: RecycleReason): boolean {
    const pool = this.pool;
    const max = pool.config.processModel.maxProcesses;
    if (max <= 1 || (reason !== 'Time' && reason !== 'Requests')) return true;
    for (const rec of this.active.values()) if (rec.reason === 'Time' || rec.reason === 'Requests') return false;
    return reason !== 'Time' || Date.now() - this.lastTimeRecycle >= pool.config.recycling.periodicRestart.time / max;
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
      if (!rec) return;
      this.byOld.delete(rec.old);
      if (STOPPING.has(w.endReason ?? '')) return this.complete(rec, undefined, { cancelled: true });
      if (!rec.overlapped) {
        // The old worker is gone already; the failed start counted as a failure and demand starts the next one.
        return this.complete(rec, undefined, { replacementFailed: true });
      }
      pool.ctx.events.emit({
        type: 'RecycleOverlapFailed',
        pool: pool.name,
        recycleId: rec.id,
        workerId: rec.old.id,
        pid: rec.old.pid,
        reason: rec.reason,
      });
      this.active.delete(rec.id);
      this.retryAfter.set(rec.old, Date.now() + Math.max(1000, pool.config.processModel.startupTimeLimit));
      return;
    }
    const rec = this.byOld.get(w);
    if (!rec) return;
    this.byOld.delete(w);
    if (rec.overlapped) {
      // Stopped (pool or host) before its replacement was ready: nothing was handed over.
      const cancelled = rec.newReadyAt === null && STOPPING.has(w.endReason ?? '');
      return this.complete(rec, w, cancelled ? { cancelled: true } : {});
    }
    // Non-overlapped: the old one is gone; start the replacement now (it serves the requests that queued).
    if (pool.state === 'Started') {
      rec.replacement = pool.startWorker(rec.id);
    } else {
      this.complete(rec, w, { cancelled: true });
    }
  }

  private complete(
    rec: RecycleRecord,
    oldExited?: WorkerProcess,
    outcome: { cancelled?: true; replacementFailed?: true } = {},
  ): void {
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
      ...outcome,
    });
  }

  /** Stop routing to `w`, let it finish its in-flight requests, then ask it to exit; kill at shutdownTimeLimit. */
  drain(w: WorkerProcess, why: string): void {
    if (w.exited || this.shutdownTimers.has(w)) return;
    w.endReason ??= why;
    const wasStarting = w.state === 'Starting';
    if (w.state !== 'Orphaned') w.state = 'Draining';
    const pool = this.pool;
    pool.ctx.events.emit({
      type: 'WorkerDraining',
      pool: pool.name,
      workerId: w.id,
      pid: w.pid,
      reason: why,
      inFlight: w.inFlight,
    });
    const limit = pool.config.processModel.shutdownTimeLimit;
    this.shutdownTimers.set(
      w,
      setTimeout(() => {
        if (w.exited) return;
        pool.ctx.events.emit({
          type: 'ShutdownTimeout',
          pool: pool.name,
          workerId: w.id,
          pid: w.pid,
          inFlight: w.inFlight,
          limitMs: limit,
        });
        w.endReason = 'shutdown-timeout';
        w.kill('shutdown-timeout');
        // IIS 6 counts a shutdown-limit kill as a rapid-fail failure; w3 does too, except when the pool is going
        // away anyway (host stop, pool removed by a reload).
        if (why !== 'host-stop' && why !== 'pool-removed') pool.countFailure('shutdown-timeout');
      }, timerMs(limit)),
    );
    if (wasStarting) w.kill(why);
    else if (w.inFlight === 0) w.requestShutdown();
  }
}

// What the pm2 peer's driver knows of PM2's cluster workers, and the lab events it makes of it (driver-kit emit).
// Sources, all PM2's own: the `cluster` module of the driver (PM2's God runs in it, so every worker PM2 forks is a
// cluster worker here, carrying the `pm2_env` PM2 gave it), and PM2's log lines, which God writes through the
// driver's console (`logLine`, tapped synchronously so a line is seen before what it announces happens).
//
// Recycles come in old/new pairs keyed by PM2's process id (pm_id): a reload, or PM2's max_memory_restart (which
// is a reload of one pm_id), moves the old worker to the key `_old_<pm_id>` and forks the replacement with the same
// pm_id; PM2 stops the old one once the new one listens, or after listen_timeout even if it never does.
//   reload requested (beginReload)              → RecycleStarted reason OnDemand per worker
//   "Process N restarted because it exceeds
//    --max-memory-restart value (current_memory=M max_memory_limit=L [octets])"
//                                               → RecycleStarted reason PrivateMemory, with what PM2 measured
//   fork with a pending pm_id                   → WorkerStarting with that recycleId; 'listening' → WorkerReady
//   "Stopping app:NAME id:_old_N"               → WorkerDraining of the parked worker
//   exit of a parked worker                     → WorkerExited (recycle) or WorkerKilled (SIGKILL after kill_timeout)
//   once the replacement is ready and the old gone → RecycleCompleted (overlapped: ready before the old exit)
// Any other exit is a crash (WorkerCrashed), unless the lab is stopping everything.
'use strict';
const { recycleCompletedFields } = require('../common/driver-kit');

const MEMORY_RESTART =
  /Process (\d+) restarted because it exceeds --max-memory-restart value \(current_memory=(\d+) max_memory_limit=(\d+)/;
const STOPPING = /^Stopping app:(\S+) id:(_old_)?(\d+)$/;

class Pm2Observer {
  /** @param {{ kit, now?: () => number }} o */
  constructor(o) {
    this.kit = o.kit;
    this.now = o.now ?? Date.now;
    this.live = new Map(); // pid → worker record
    this.recycles = new Map();
    this.pending = new Map(); // pm_id → recycleId waiting for its replacement
    this.recycleSeq = 0;
    this.stopping = false;
  }

  emit(type, fields) {
    this.kit.emit(type, fields);
  }

  /** A worker PM2 forked (cluster 'fork'); `worker.pm2_env.pm_id` is PM2's id at fork time. */
  forked(worker) {
    const pmId = worker.pm2_env ? String(worker.pm2_env.pm_id) : undefined;
    const w = { worker, pid: worker.process.pid, id: worker.id, pmId, state: 'Starting', startedAt: this.now() };
    const recycleId = pmId !== undefined ? this.pending.get(pmId) : undefined;
    if (recycleId !== undefined) {
      this.pending.delete(pmId);
      w.recycleId = recycleId;
      this.recycles.get(recycleId).newPid = w.pid;
    }
    this.live.set(w.pid, w);
    this.emit('WorkerStarting', { workerId: w.id, pid: w.pid, ...(recycleId !== undefined ? { recycleId } : {}) });
    return w;
  }

  listening(pid) {
    const w = this.live.get(pid);
    if (!w || w.state !== 'Starting') return;
    w.state = 'Ready';
    const at = this.now();
    const recycle = w.recycleId !== undefined ? { recycleId: w.recycleId } : {};
    this.emit('WorkerReady', { workerId: w.id, pid, startupMs: at - w.startedAt, ...recycle });
    const r = w.recycleId !== undefined ? this.recycles.get(w.recycleId) : undefined;
    if (r) {
      r.newReadyAt = at;
      r.newWorkerId = w.id;
      this.complete(r);
    }
  }

  /** PM2 parked this worker for a reload: its pm2_env.pm_id now reads `_old_<id>`. */
  static parked(w) {
    return String(w.worker.pm2_env?.pm_id ?? '').startsWith('_old_');
  }

  exited(pid, code, signal) {
    const w = this.live.get(pid);
    if (!w) return null;
    this.live.delete(pid);
    const base = { workerId: w.id, pid, exitCode: code, signal };
    const parked = Pm2Observer.parked(w);
    if (parked && signal === 'SIGKILL') this.emit('WorkerKilled', { ...base, reason: 'shutdown-timeout' });
    else if (parked) this.emit('WorkerExited', { ...base, reason: 'recycle' });
    else if (this.stopping) this.emit('WorkerExited', { ...base, reason: 'stop' });
    else {
      const reason = w.state === 'Starting' ? 'startup-crash' : 'crash';
      this.emit('WorkerCrashed', { ...base, eventId: 5009, reason });
    }
    const old = w.recycleOf !== undefined ? this.recycles.get(w.recycleOf) : undefined;
    if (old) {
      old.oldExitAt = this.now();
      this.complete(old);
    }
    // A replacement that died before it was ready: PM2 starts the pm_id again, and that start takes over.
    const rep = w.recycleId !== undefined ? this.recycles.get(w.recycleId) : undefined;
    if (rep && rep.newReadyAt === undefined && !this.stopping && w.pmId !== undefined) this.pending.set(w.pmId, rep.id);
    return w;
  }

  /** The lab asked for `pm2 reload`: one recycle per worker PM2 will replace. */
  beginReload() {
    const ids = [];
    for (const w of this.live.values()) {
      const replacing = Pm2Observer.parked(w) || this.pending.has(w.pmId) || w.recycleOf !== undefined;
      if (replacing || w.pmId === undefined) continue;
      ids.push(this.startRecycle(w, 'OnDemand', 5079).id);
    }
    return ids;
  }

  startRecycle(w, reason, eventId, extra = {}) {
    const r = { id: ++this.recycleSeq, reason, oldPid: w.pid, workerId: w.id, startedAt: this.now() };
    this.recycles.set(r.id, r);
    this.pending.set(w.pmId, r.id);
    w.recycleOf = r.id;
    const fields = { eventId, workerId: w.id, pid: w.pid, recycleId: r.id, reason, overlapped: true, ...extra };
    this.emit('RecycleStarted', fields);
    return r;
  }

  /** One line PM2's God logged. */
  logLine(text) {
    const mem = MEMORY_RESTART.exec(text);
    if (mem) {
      const w = this.current(mem[1]);
      if (w && w.recycleOf === undefined) {
        const kb = (bytes) => Math.round(Number(bytes) / 1024);
        const measured = { privateMemoryKB: kb(mem[2]), limitKB: kb(mem[3]), measuredBy: 'pm2 (rss)' };
        this.startRecycle(w, 'PrivateMemory', 5117, measured);
      }
      return;
    }
    const stop = STOPPING.exec(text.trim());
    if (stop && stop[2]) {
      const old = (x) => x.pmId === stop[3] && Pm2Observer.parked(x) && x.state !== 'Draining';
      const w = [...this.live.values()].find(old);
      if (w) {
        w.state = 'Draining';
        this.emit('WorkerDraining', { workerId: w.id, pid: w.pid, reason: 'recycle' });
      }
    }
  }

  /** The worker currently serving as pm_id (not a parked one). */
  current(pmId) {
    return [...this.live.values()].find((w) => w.pmId === String(pmId) && !Pm2Observer.parked(w));
  }

  complete(r) {
    if (r.done || r.newReadyAt === undefined || r.oldExitAt === undefined) return;
    r.done = true;
    this.emit('RecycleCompleted', recycleCompletedFields(r));
  }

  workers(pool) {
    const state = (w) => (Pm2Observer.parked(w) && w.state === 'Ready' ? 'Parked' : w.state);
    const info = (w) => ({ pool, id: w.id, pid: w.pid, state: state(w), startedAt: w.startedAt });
    return [...this.live.values()].map(info);
  }

  readyCount() {
    return [...this.live.values()].filter((w) => w.state === 'Ready' && !Pm2Observer.parked(w)).length;
  }
}

module.exports = { Pm2Observer };

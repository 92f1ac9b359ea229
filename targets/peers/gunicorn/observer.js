// What the gunicorn peer's driver knows of Gunicorn's workers, built from its error-log lines (config.js
// parseLogLine) and turned into the lab's events (driver-kit emit):
//   Booting worker                 → WorkerStarting (the replacement of a pending recycle carries its recycleId)
//   w3lab: worker ready            → WorkerReady (the lab's hook: Gunicorn prints nothing when a worker can serve)
//   WORKER TIMEOUT (pid:N)         → PingFailed: Gunicorn's heartbeat timeout is its hang detection
//   Autorestarting worker …        → RecycleStarted reason Requests (max_requests) + WorkerDraining
//   w3lab: worker gone             → WorkerKilled (after a timeout, or SIGKILLed while draining), WorkerExited
//                                    (draining: recycle, max_requests, stop) or WorkerCrashed (anything else)
// A HUP reload (beginReload) is one recycle per worker of the old generation: RecycleStarted + WorkerDraining for
// each at once (Gunicorn starts the new generation and stops the old one in the same pass, without waiting for
// readiness), the next workers booted are their replacements in order, and RecycleCompleted follows once a pair's
// replacement is ready and the old worker gone. Its `overlapped` says whether the replacement was ready first.
'use strict';
const os = require('node:os');
const { recycleCompletedFields } = require('../common/driver-kit');

const SIGNAL_NAMES = Object.fromEntries(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

class GunicornObserver {
  /** @param {{ kit, timeoutS: number, now?: () => number }} o */
  constructor(o) {
    this.kit = o.kit;
    this.timeoutMs = o.timeoutS * 1000;
    this.now = o.now ?? Date.now;
    this.live = new Map(); // pid → worker
    this.recycles = new Map(); // recycleId → recycle
    this.pending = []; // recycleIds waiting for their replacement to boot
    this.seq = 0;
    this.recycleSeq = 0;
    this.masterPid = null;
    this.halt = null;
    this.stopping = false;
  }

  emit(type, fields) {
    this.kit.emit(type, fields);
  }

  onLine(p) {
    if (!p) return;
    switch (p.kind) {
      case 'listening':
        this.masterPid = p.masterPid;
        return;
      case 'booting':
        return this.booting(p.pid);
      case 'ready':
        return this.ready(p.pid, p.control);
      case 'timeout':
        return this.timedOut(p.pid);
      case 'signaled':
        return this.with(p.pid, (w) => (w.signal = SIGNAL_NAMES[p.signo] ?? `signal ${p.signo}`));
      case 'exiting':
        return this.with(p.pid, (w) => (w.exitedOwnWay = true));
      case 'worker-exception':
        return this.with(p.pid, (w) => (w.exception = true));
      case 'max-requests':
        return this.maxRequests(p.pid);
      case 'gone':
        return this.gone(p.pid);
      case 'reason':
        this.halt = p.reason;
        return;
      default:
    }
  }

  with(pid, fn) {
    const w = this.live.get(pid);
    if (w) fn(w);
  }

  booting(pid) {
    if (this.live.has(pid)) return;
    const recycleId = this.pending.shift();
    const w = { pid, id: ++this.seq, state: 'Starting', startedAt: this.now(), recycleId, control: null };
    this.live.set(pid, w);
    if (recycleId !== undefined) this.recycles.get(recycleId).newPid = pid;
    this.emit('WorkerStarting', { workerId: w.id, pid, ...(recycleId !== undefined ? { recycleId } : {}) });
  }

  ready(pid, control) {
    const w = this.live.get(pid);
    if (!w || w.state !== 'Starting') return;
    w.state = 'Ready';
    w.control = control ?? null;
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

  timedOut(pid) {
    const w = this.live.get(pid);
    if (!w || w.timedOut) return;
    w.timedOut = true;
    const fields = { eventId: 5010, workerId: w.id, pid, reason: 'heartbeat-timeout', limitMs: this.timeoutMs };
    this.emit('PingFailed', fields);
  }

  /** The old generation of a HUP reload; call just before sending SIGHUP. */
  beginReload() {
    const old = [...this.live.values()].filter((w) => w.state !== 'Draining');
    const ids = [];
    for (const w of old) {
      const r = this.startRecycle(w, 'OnDemand', 5079, true);
      this.drain(w, 'recycle');
      this.pending.push(r.id);
      ids.push(r.id);
    }
    return { recycleIds: ids, oldPids: old.map((w) => w.pid) };
  }

  maxRequests(pid) {
    const w = this.live.get(pid);
    if (!w || w.state === 'Draining') return;
    const r = this.startRecycle(w, 'Requests', 5075, false);
    this.drain(w, 'max-requests');
    this.pending.push(r.id);
  }

  startRecycle(w, reason, eventId, overlapped) {
    const r = { id: ++this.recycleSeq, reason, oldPid: w.pid, workerId: w.id, startedAt: this.now() };
    this.recycles.set(r.id, r);
    w.recycleOf = r.id;
    this.emit('RecycleStarted', { eventId, workerId: w.id, pid: w.pid, recycleId: r.id, reason, overlapped });
    return r;
  }

  drain(w, reason) {
    w.state = 'Draining';
    w.drainReason = reason;
    this.emit('WorkerDraining', { workerId: w.id, pid: w.pid, reason });
  }

  /** At the end of the run: every worker left is stopped on purpose. */
  stopAll() {
    this.stopping = true;
    for (const w of this.live.values()) if (w.state !== 'Draining') this.drain(w, 'stop');
  }

  gone(pid) {
    const w = this.live.get(pid);
    if (!w) return;
    this.live.delete(pid);
    const base = { workerId: w.id, pid, exitCode: null, signal: w.signal ?? null };
    if (w.timedOut)
      this.emit('WorkerKilled', { ...base, reason: 'ping' }); // no heartbeat within Gunicorn's timeout
    else if (w.state === 'Draining' && w.signal === 'SIGKILL') {
      this.emit('WorkerKilled', { ...base, reason: 'shutdown-timeout' });
    } else if (w.state === 'Draining') this.emit('WorkerExited', { ...base, reason: w.drainReason });
    else {
      this.emit('WorkerCrashed', {
        ...base,
        eventId: 5009,
        reason: w.state === 'Starting' ? 'startup-crash' : 'crash',
        ...(w.exception ? { exception: true } : {}),
      });
    }
    const old = w.recycleOf !== undefined ? this.recycles.get(w.recycleOf) : undefined;
    if (old) {
      old.oldExitAt = this.now();
      this.complete(old);
    }
    // A replacement that died before it was ready hands its recycle to the next worker Gunicorn boots.
    const rep = w.recycleId !== undefined ? this.recycles.get(w.recycleId) : undefined;
    if (rep && rep.newReadyAt === undefined && !this.stopping) this.pending.unshift(rep.id);
  }

  complete(r) {
    if (r.done || r.newReadyAt === undefined || r.oldExitAt === undefined) return;
    r.done = true;
    this.emit('RecycleCompleted', recycleCompletedFields(r));
  }

  get(pid) {
    return this.live.get(pid);
  }

  workers(pool) {
    return [...this.live.values()].map((w) => ({ pool, id: w.id, pid: w.pid, state: w.state, startedAt: w.startedAt }));
  }

  readyCount() {
    return [...this.live.values()].filter((w) => w.state === 'Ready').length;
  }
}

module.exports = { GunicornObserver };

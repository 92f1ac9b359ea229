// The backends behind a front proxy (nginx, HAProxy), supervised the way a service manager does it (one unit per
// backend, Restart=always with a short delay, stop = SIGTERM then SIGKILL after a time limit): N slots, each with a
// fixed port the proxy's configuration names. A crashed backend is started again on its port after
// RESTART_DELAY_MS; a rolling restart goes slot by slot — stop the old backend, start a new one on the same port,
// wait until it listens, then the next slot. While a slot restarts, only the proxy can hide it (by retrying on the
// other backends): that is the behaviour under test.
//
// Events (driver-kit emit): WorkerStarting / WorkerReady / WorkerCrashed / WorkerExited / WorkerDraining /
// ShutdownTimeout + WorkerKilled, RecycleStarted / RecycleCompleted per slot (overlapped: false — the old backend
// is gone before the new one binds the port), FaultInjected / FaultHealed.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');

const ACK_TIMEOUT_MS = 5000;
const STOP_LIMIT_MS = 2000;

class BackendPool {
  /**
   * @param {object} o { kit, ports: number[], host, app, preload?: string (fault agent, when faults are enabled),
   *   restartDelayMs, shutdownTimeoutMs, onAllReady?() }
   */
  constructor(o) {
    this.o = o;
    this.slots = o.ports.map((port, i) => ({ slot: i + 1, port, proc: null }));
    this.startupFault = null;
    this.stopping = false;
    this.rolling = null;
    this.rollAgain = false;
    this.recycleSeq = 0;
    this.refSeq = 0;
    this.acks = new Map();
  }

  start() {
    for (const s of this.slots) this.spawn(s);
  }

  spawn(s, recycleId) {
    const { kit } = this.o;
    const env = { ...process.env, PORT: String(s.port), HOST: this.o.host, APP: this.o.app, W3LAB_STARTUP_FAULT: '' };
    if (this.startupFault) {
      env.W3LAB_STARTUP_FAULT = this.startupFault.mode;
      if (this.startupFault.remaining > 0 && --this.startupFault.remaining === 0) this.startupFault = null;
    }
    const child = fork(path.join(__dirname, 'backend.js'), [], {
      env,
      execArgv: this.o.preload ? ['--require', this.o.preload] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const w = { child, pid: child.pid, slot: s.slot, state: 'Starting', startedAt: Date.now(), recycleId };
    s.proc = w;
    kit.emit('WorkerStarting', { workerId: s.slot, pid: w.pid, port: s.port, recycleId });
    child.on('error', () => undefined); // IPC to a dying backend may fail; 'exit' tells the story
    child.on('message', (m) => this.onMessage(w, m));
    child.once('exit', (code, signal) => this.onExit(s, w, code, signal));
    return w;
  }

  onMessage(w, m) {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'w3lab:listening' && w.state === 'Starting') {
      w.state = 'Ready';
      this.o.kit.emit('WorkerReady', {
        workerId: w.slot,
        pid: w.pid,
        recycleId: w.recycleId,
        startupMs: Date.now() - w.startedAt,
      });
      w.onReady?.();
      if (this.o.onAllReady && this.slots.every((s) => s.proc && s.proc.state === 'Ready')) {
        const cb = this.o.onAllReady;
        this.o.onAllReady = null;
        cb();
      }
    } else if (m.type === 'w3lab:fault-ack' && this.acks.has(m.ref)) {
      const a = this.acks.get(m.ref);
      const { type: _t, ref: _r, ...ack } = m;
      a.done(m.ok ? 200 : 409, { pid: w.pid, workerId: w.slot, ...ack });
    }
  }

  onExit(s, w, code, signal) {
    clearTimeout(w.killTimer);
    const base = { workerId: w.slot, pid: w.pid, exitCode: code, signal };
    if (w.forced) this.o.kit.emit('WorkerKilled', { ...base, reason: 'shutdown-timeout' });
    else if (w.state === 'Draining') this.o.kit.emit('WorkerExited', { ...base, reason: w.endReason });
    else
      this.o.kit.emit('WorkerCrashed', {
        ...base,
        eventId: 5009,
        reason: w.state === 'Starting' ? 'startup-crash' : 'crash',
      });
    for (const [ref, a] of this.acks)
      if (a.pid === w.pid) a.done(502, { error: `backend ${w.pid} exited before answering` }, ref);
    if (s.proc === w) s.proc = null;
    w.onExit?.();
    if (this.stopping) return this.checkStopped();
    if (w.state !== 'Draining') setTimeout(() => !this.stopping && !s.proc && this.spawn(s), this.o.restartDelayMs);
  }

  /** SIGTERM, SIGKILL after the shutdown time limit (or limitMs); resolves when the backend is gone. */
  stopOne(w, reason, limitMs = this.o.shutdownTimeoutMs) {
    return new Promise((resolve) => {
      const prev = w.onExit;
      w.onExit = () => {
        prev?.();
        resolve();
      };
      if (w.state === 'Draining') return;
      w.state = 'Draining';
      w.endReason = reason;
      this.o.kit.emit('WorkerDraining', { workerId: w.slot, pid: w.pid, reason });
      try {
        w.child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
      if (limitMs > 0) {
        w.killTimer = setTimeout(() => {
          this.o.kit.emit('ShutdownTimeout', { eventId: 5013, workerId: w.slot, pid: w.pid, limitMs });
          w.forced = true;
          w.child.kill('SIGKILL');
        }, limitMs);
      }
    });
  }

  /** Rolling restart of every slot; a request while one runs queues one more round. */
  recycle() {
    if (this.stopping) return { started: false, reason: 'stopping' };
    if (this.rolling) {
      this.rollAgain = true;
      return { started: false, queued: true };
    }
    this.rolling = this.roll().finally(() => (this.rolling = null));
    return { started: true };
  }

  async roll() {
    do {
      this.rollAgain = false;
      for (const s of this.slots) {
        if (this.stopping) return;
        const old = s.proc;
        if (old && old.state === 'Ready') await this.restartSlot(s, old);
      }
    } while (this.rollAgain && !this.stopping);
  }

  async restartSlot(s, old) {
    const { kit } = this.o;
    const recycleId = ++this.recycleSeq;
    const started = Date.now();
    kit.emit('RecycleStarted', {
      eventId: 5079,
      workerId: s.slot,
      pid: old.pid,
      recycleId,
      reason: 'OnDemand',
      overlapped: false,
    });
    await this.stopOne(old, 'recycle');
    if (this.stopping) return;
    if (s.proc) return; // a crash restart got there first (cannot happen while Draining, but keep the slot single)
    const rep = this.spawn(s, recycleId);
    const ready = await new Promise((resolve) => {
      rep.onReady = () => resolve(true);
      rep.onExit = () => resolve(false);
    });
    if (!ready) {
      kit.emit('RecycleOverlapFailed', {
        eventId: 5093,
        recycleId,
        workerId: s.slot,
        pid: old.pid,
        reason: 'OnDemand',
      });
      return;
    }
    kit.emit('RecycleCompleted', {
      recycleId,
      reason: 'OnDemand',
      workerId: s.slot,
      oldPid: old.pid,
      newWorkerId: s.slot,
      newPid: rep.pid,
      overlapped: false,
      durationMs: Date.now() - started,
      readyMs: Date.now() - started,
    });
  }

  workers() {
    return this.slots
      .filter((s) => s.proc)
      .map((s) => ({
        pool: this.o.kit.pool,
        id: s.slot,
        pid: s.proc.pid,
        state: s.proc.state,
        port: s.port,
        startedAt: s.proc.startedAt,
      }));
  }

  ask(pid, msg) {
    if (!this.o.preload) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
    const s = this.slots.find((x) => x.proc && x.proc.pid === pid);
    if (!s)
      return {
        status: 404,
        body: { error: `no live backend with pid ${pid}`, workers: this.workers().map((w) => w.pid) },
      };
    const ref = `b${++this.refSeq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => done(504, { error: `backend ${pid} did not answer within ${ACK_TIMEOUT_MS} ms` }),
        ACK_TIMEOUT_MS,
      );
      const done = (status, body) => {
        clearTimeout(timer);
        this.acks.delete(ref);
        resolve({ status, body });
      };
      this.acks.set(ref, { pid, done });
      try {
        s.proc.child.send({ ...msg, ref });
      } catch (err) {
        done(502, { error: `cannot reach backend ${pid}: ${err.message}` });
      }
    });
  }

  injectFault(pid, spec) {
    const s = this.slots.find((x) => x.proc && x.proc.pid === pid);
    if (this.o.preload && s) this.o.kit.emit('FaultInjected', { workerId: s.slot, pid, fault: spec });
    return this.ask(pid, { type: 'w3lab:fault', spec });
  }

  async healFaults(pid) {
    const out = await this.ask(pid, { type: 'w3lab:heal' });
    if (out.status === 200) this.o.kit.emit('FaultHealed', { workerId: out.body.workerId, pid });
    return out;
  }

  setStartupFault(body) {
    if (body === null) {
      this.startupFault = null;
      this.o.kit.emit('FaultHealed', { fault: 'startup' });
      return { status: 200, body: { startupFault: null } };
    }
    const mode = body && body.mode;
    const count = body && body.count !== undefined ? body.count : 0;
    if (mode !== 'crash' && mode !== 'hang')
      return { status: 400, body: { error: 'mode: expected "crash" or "hang"' } };
    if (!Number.isInteger(count) || count < 0)
      return { status: 400, body: { error: 'count: expected an integer >= 0' } };
    if (!this.o.preload) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
    this.startupFault = { mode, remaining: count };
    this.o.kit.emit('FaultInjected', { fault: { kind: 'startup', mode, count } });
    return { status: 200, body: { startupFault: { mode, count } } };
  }

  /**
   * Stops every backend at the end of a run: SIGTERM, SIGKILL after at most STOP_LIMIT_MS (the end of a run is not
   * under test, and a backend hung on purpose would otherwise hold it for the whole shutdown time limit).
   */
  stop() {
    this.stopping = true;
    const live = this.slots.map((s) => s.proc).filter(Boolean);
    return Promise.all(
      live.map((w) => this.stopOne(w, 'stop', Math.min(STOP_LIMIT_MS, this.o.shutdownTimeoutMs || STOP_LIMIT_MS))),
    );
  }

  checkStopped() {
    /* stop() resolves through each backend's onExit */
  }

  /** Last resort (the driver is exiting): SIGKILL whatever still runs. */
  killAll() {
    for (const s of this.slots) if (s.proc) s.proc.child.kill('SIGKILL');
  }
}

module.exports = { BackendPool };

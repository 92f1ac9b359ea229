// node-cluster peer, primary side: a typical Node `cluster` setup as found in production code and tutorials —
// fork WORKERS workers (worker.js) that each `listen(PORT)`; re-fork a worker when one dies (no rapid-fail
// protection, no health pings: cluster has none); on SIGUSR2 a rolling restart (fork a replacement, and when it is
// listening `worker.disconnect()` the old one, SIGKILL after SHUTDOWN_TIMEOUT_MS — what DIY scripts and PM2's
// reload do); on SIGTERM/SIGINT disconnect every worker and exit.
//
// Lab additions, none of which changes how requests are served: every state change is printed on stdout as a JSON
// line `{"event":{t,type,pool,...}}` using w3's event vocabulary (HostStarted, WorkerStarting/Ready/Crashed/Exited/
// Killed, RecycleStarted/Completed, ...), so the same checkers can read it; a small control endpoint
// (control-server.js) lists workers, relays fault specs to the in-worker agent over cluster IPC, triggers the rolling
// restart and arms startup faults for the next forks. Protocol and environment: README.md beside this file.
'use strict';
const cluster = require('node:cluster');
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const { startControlServer } = require('./control-server');

const env = process.env;
const POOL = env.POOL || 'app';
const HOST = env.HOST || '127.0.0.1';
const WORKERS = intEnv('WORKERS', 1, 1);
const APP = path.resolve(env.APP || path.join(__dirname, '..', '..', 'apps', 'lab-app.js'));
const SHUTDOWN_TIMEOUT_MS = intEnv('SHUTDOWN_TIMEOUT_MS', 5000, 0); // 0 = wait forever, as plain disconnect() does
const RESTART_DELAY_MS = intEnv('RESTART_DELAY_MS', 0, 0);
const FAULTS = env.W3LAB_FAULTS === '1';
const PRELOAD = env.W3LAB_PRELOAD || path.join(__dirname, '..', '..', '..', 'dist', 'faults', 'agent', 'preload.js');
const ACK_TIMEOUT_MS = 5000;

const live = new Map(); // cluster worker id → worker record
const acks = new Map(); // ref → { pid, done(status, body) }
let port = 0;
let control = null;
let startupFault = null; // { mode, remaining } — remaining 0 = every fork until cleared
let stopping = false;
let announced = false;
let recycleSeq = 0;
let refSeq = 0;
let rolling = false;
let rollAgain = false;
let finalExitCode = 0;

function intEnv(name, dflt, min) {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function fail(msg) {
  process.stderr.write(`node-cluster primary: ${msg}\n`);
  process.exit(78); // EX_CONFIG
}

/** process.stdout is synchronous for pipes and files on Linux, so the last events survive a kill. */
function emit(type, fields = {}) {
  process.stdout.write(JSON.stringify({ event: { t: Date.now(), type, pool: POOL, ...fields } }) + '\n');
}

function fork(recycleId, replaces) {
  const extra = { PORT: String(port), HOST, APP, W3LAB_STARTUP_FAULT: '' };
  if (startupFault) {
    extra.W3LAB_STARTUP_FAULT = startupFault.mode;
    if (startupFault.remaining > 0 && --startupFault.remaining === 0) startupFault = null;
  }
  const worker = cluster.fork(extra);
  const w = {
    worker,
    id: worker.id,
    pid: worker.process.pid,
    state: 'Starting',
    startedAt: Date.now(),
    recycleId,
    replaces,
  };
  live.set(w.id, w);
  emit('WorkerStarting', { workerId: w.id, pid: w.pid, recycleId: recycleId ?? undefined });
  worker.on('error', () => undefined); // IPC to a dying worker may fail; the 'exit' handler tells the story
  worker.on('message', (m) => onMessage(m));
  worker.once('listening', () => {
    if (w.state !== 'Starting') return;
    w.state = 'Ready';
    emit('WorkerReady', {
      workerId: w.id,
      pid: w.pid,
      recycleId: recycleId ?? undefined,
      startupMs: Date.now() - w.startedAt,
    });
    if (!announced && [...live.values()].filter((x) => x.state === 'Ready').length >= WORKERS) announce();
    w.onReady?.();
  });
  worker.once('exit', (code, signal) => onExit(w, code, signal));
  return w;
}

function onExit(w, code, signal) {
  live.delete(w.id);
  clearTimeout(w.killTimer);
  const base = { workerId: w.id, pid: w.pid, exitCode: code, signal };
  if (w.forced) emit('WorkerKilled', { ...base, reason: 'shutdown-timeout' });
  else if (w.worker.exitedAfterDisconnect) emit('WorkerExited', { ...base, reason: w.endReason || 'disconnect' });
  else emit('WorkerCrashed', { ...base, eventId: 5009, reason: w.state === 'Starting' ? 'startup-crash' : 'crash' });
  for (const [ref, a] of acks)
    if (a.pid === w.pid) a.done(502, { error: `worker ${w.pid} exited before answering` }, ref);
  w.onExit?.();
  if (stopping) return finishStopIfDone();
  if (!announced && w.state === 'Starting' && !w.worker.exitedAfterDisconnect) {
    // Before the first start completed there is nothing to keep serving: a broken app would crash-loop forever.
    process.stderr.write(
      `node-cluster primary: worker ${w.pid} died before listening (code ${code}, signal ${signal}); giving up\n`,
    );
    return shutdown('startup-failed', 1);
  }
  if (RESTART_DELAY_MS > 0) setTimeout(ensureWorkers, RESTART_DELAY_MS);
  else ensureWorkers();
}

/** Keeps WORKERS serving workers: draining ones and replacements whose old worker still runs do not count. */
function ensureWorkers() {
  if (stopping) return;
  const pendingReplacement = (w) => w.state === 'Starting' && w.replaces && live.has(w.replaces.id);
  const serving = [...live.values()].filter((w) => w.state !== 'Draining' && !pendingReplacement(w)).length;
  for (let i = serving; i < WORKERS; i++) fork(null, null);
}

/** The cluster way to stop a worker gracefully: close its servers, wait for its connections, then it exits. */
function drain(w, reason) {
  if (w.state === 'Draining') return;
  w.state = 'Draining';
  w.endReason = reason;
  emit('WorkerDraining', { workerId: w.id, pid: w.pid, reason });
  try {
    w.worker.disconnect();
  } catch {
    w.worker.process.kill('SIGTERM'); // IPC already gone
  }
  if (SHUTDOWN_TIMEOUT_MS > 0) {
    w.killTimer = setTimeout(() => {
      emit('ShutdownTimeout', { eventId: 5013, workerId: w.id, pid: w.pid, limitMs: SHUTDOWN_TIMEOUT_MS });
      w.forced = true;
      w.worker.process.kill('SIGKILL');
    }, SHUTDOWN_TIMEOUT_MS);
  }
}

function recycle() {
  if (stopping) return { started: false, reason: 'stopping' };
  if (rolling) {
    rollAgain = true;
    return { started: false, queued: true };
  }
  void roll();
  return { started: true };
}

/** Rolling restart: one worker at a time, the next one once the previous replacement is listening. */
async function roll() {
  rolling = true;
  try {
    do {
      rollAgain = false;
      for (const old of [...live.values()].filter((w) => w.state === 'Ready')) {
        if (stopping) return;
        if (live.has(old.id) && old.state === 'Ready') await replace(old);
      }
    } while (rollAgain && !stopping);
  } finally {
    rolling = false;
  }
}

function replace(old) {
  return new Promise((resolve) => {
    const recycleId = ++recycleSeq;
    const started = Date.now();
    let readyAt = null;
    let oldGone = false;
    emit('RecycleStarted', {
      eventId: 5079,
      workerId: old.id,
      pid: old.pid,
      recycleId,
      reason: 'OnDemand',
      overlapped: true,
    });
    const rep = fork(recycleId, old);
    const complete = () =>
      emit('RecycleCompleted', {
        recycleId,
        reason: 'OnDemand',
        workerId: old.id,
        oldPid: old.pid,
        newWorkerId: rep.id,
        newPid: rep.pid,
        overlapped: true,
        durationMs: Date.now() - started,
        readyMs: readyAt === null ? null : readyAt - started,
        oldExitMs: Date.now() - started,
      });
    old.onExit = () => {
      oldGone = true;
      if (readyAt !== null) complete();
    };
    rep.onReady = () => {
      readyAt = Date.now();
      if (oldGone) complete();
      else drain(old, 'recycle');
      resolve();
    };
    rep.onExit = () => {
      if (readyAt !== null) return;
      // The replacement died before listening: the old worker keeps serving (if it still runs).
      emit('RecycleOverlapFailed', { eventId: 5093, recycleId, workerId: old.id, pid: old.pid, reason: 'OnDemand' });
      old.onExit = undefined;
      resolve();
    };
  });
}

function onMessage(m) {
  if (!m || m.type !== 'w3lab:fault-ack' || !acks.has(m.ref)) return;
  const a = acks.get(m.ref);
  const { type: _t, ref: _r, ...ack } = m;
  a.done(m.ok ? 200 : 409, { pid: a.pid, workerId: a.workerId, ...ack }, m.ref);
}

function askWorker(pid, msg) {
  if (!FAULTS)
    return { status: 403, body: { error: 'fault injection is not enabled (start the primary with W3LAB_FAULTS=1)' } };
  const w = [...live.values()].find((x) => x.pid === pid);
  if (!w)
    return {
      status: 404,
      body: { error: `no live worker with pid ${pid}`, workers: [...live.values()].map((x) => x.pid) },
    };
  const ref = `c${++refSeq}`;
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => done(504, { error: `worker ${pid} did not answer within ${ACK_TIMEOUT_MS} ms` }),
      ACK_TIMEOUT_MS,
    );
    const done = (status, body) => {
      clearTimeout(timer);
      acks.delete(ref);
      resolve({ status, body });
    };
    acks.set(ref, { pid, workerId: w.id, done });
    try {
      w.worker.send({ ...msg, ref });
    } catch (err) {
      done(502, { error: `cannot reach worker ${pid}: ${err.message}` });
    }
  });
}

const primary = {
  workers: () =>
    [...live.values()].map((w) => ({ pool: POOL, id: w.id, pid: w.pid, state: w.state, startedAt: w.startedAt })),
  injectFault(pid, spec) {
    const w = [...live.values()].find((x) => x.pid === pid);
    if (FAULTS && w) emit('FaultInjected', { workerId: w.id, pid, fault: spec });
    return askWorker(pid, { type: 'w3lab:fault', spec });
  },
  async healFaults(pid) {
    const out = await askWorker(pid, { type: 'w3lab:heal' });
    if (out.status === 200) emit('FaultHealed', { workerId: out.body.workerId, pid });
    return out;
  },
  recycle,
  setStartupFault(body) {
    if (body === null) {
      startupFault = null;
      emit('FaultHealed', { fault: 'startup' });
      return { status: 200, body: { startupFault: null } };
    }
    const mode = body && body.mode;
    const count = body && body.count !== undefined ? body.count : 0;
    if (mode !== 'crash' && mode !== 'hang')
      return { status: 400, body: { error: 'mode: expected "crash" or "hang"' } };
    if (!Number.isInteger(count) || count < 0)
      return { status: 400, body: { error: 'count: expected an integer >= 0' } };
    if (!FAULTS)
      return { status: 403, body: { error: 'fault injection is not enabled (start the primary with W3LAB_FAULTS=1)' } };
    startupFault = { mode, remaining: count };
    emit('FaultInjected', { fault: { kind: 'startup', mode, count } });
    return { status: 200, body: { startupFault: { mode, count } } };
  },
};

function announce() {
  announced = true;
  const c = control.address();
  emit('HostStarted', {
    listen: { host: HOST, port },
    control: typeof c === 'string' ? { socket: c } : { host: c.address, port: c.port },
    workers: WORKERS,
    faultInjection: FAULTS,
  });
}

function shutdown(reason, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  finalExitCode = exitCode;
  emit('HostStopping', { reason });
  for (const w of live.values()) drain(w, 'stop');
  finishStopIfDone();
}

function finishStopIfDone() {
  if (live.size > 0) return;
  if (control) control.closeAllConnections();
  process.exit(finalExitCode);
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function main() {
  if (!cluster.isPrimary) fail('primary.js must not run as a cluster worker');
  if (!fs.existsSync(APP)) fail(`APP ${APP} does not exist`);
  if (FAULTS && !fs.existsSync(PRELOAD))
    fail(`W3LAB_FAULTS=1 but the fault agent ${PRELOAD} is missing: run \`npm run build\``);
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGUSR2', () => recycle());
  // Started by the lab with an IPC channel: never outlive it.
  if (process.send) process.once('disconnect', () => shutdown('parent-disconnected'));
  // listen(0) in workers would share one random port only while a worker holds it: after the last one dies the
  // replacement would get another port. A fixed port (chosen here when PORT is unset) is what real setups use.
  port = Number(env.PORT) > 0 ? Number(env.PORT) : await freePort(HOST);
  control = await startControlServer(primary, {
    host: '127.0.0.1',
    port: intEnv('CONTROL_PORT', 0, 0),
    ...(env.CONTROL_SOCKET ? { socket: env.CONTROL_SOCKET } : {}),
    token: env.CONTROL_TOKEN || undefined,
  });
  cluster.setupPrimary({ exec: path.join(__dirname, 'worker.js'), execArgv: FAULTS ? ['--require', PRELOAD] : [] });
  ensureWorkers();
}

main().catch((err) => fail(err.stack || String(err)));

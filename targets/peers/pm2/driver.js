// The pm2 peer: PM2 (npm `pm2`) running the app in cluster mode with N instances. PM2's God runs inside this
// driver in PM2's no-daemon mode (as `pm2-runtime` runs it), with a private PM2_HOME in the run folder, so no PM2
// daemon can outlive the run; `pm2` CLI commands with that PM2_HOME still reach it over its RPC socket.
// recycle = pm2.reload (PM2's graceful reload), memory recycle = max_memory_restart, rapid-fail analogue =
// min_uptime + max_restarts (status errored → PoolStopped). Workers are observed where PM2 forks them — the
// `cluster` module of this process, which is PM2's cluster primary — and PM2's own log lines (God logs through this
// process's console) say what each recycle is; observer.js turns both into events with old/new worker pairs.
// Faults reach the agent in a worker over that worker's IPC channel (the one PM2's sendDataToProcessId uses).
// Ready = every instance listening. Settings: W3LAB_PEER_SETTINGS (JSON).
'use strict';
const cluster = require('node:cluster');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { makeKit, waitForPort, freePort } = require('../common/driver-kit');
const { startControlServer } = require('../node-cluster/control-server');
const { Pm2Observer } = require('./observer');

const kit = makeKit('pm2');
const s = JSON.parse(process.env.W3LAB_PEER_SETTINGS || '{}');
const APP_NAME = 'app';
const ACK_TIMEOUT_MS = 5000;
const faults = process.env.W3LAB_FAULTS === '1';
const preload = process.env.W3LAB_PRELOAD;
const observer = new Pm2Observer({ kit });
const live = observer.live; // pid → { worker, pid, id, pmId, state, ... }
const acks = new Map();
let refSeq = 0;
let startupFault = null;
let stopping = false;
let pm2 = null;

function track(worker) {
  const w = observer.forked(worker);
  if (startupFault && startupFault.remaining > 0 && --startupFault.remaining === 0) clearStartupFault();
  worker.on('listening', () => observer.listening(w.pid));
  worker.on('message', (m) => {
    if (m && m.type === 'w3lab:fault-ack' && acks.has(m.ref)) {
      const { type: _t, ref: _r, ...ack } = m;
      acks.get(m.ref)(m.ok ? 200 : 409, { pid: w.pid, workerId: worker.id, ...ack });
    }
  });
  worker.on('exit', (code, signal) => {
    observer.exited(w.pid, code, signal);
    for (const [ref, done] of acks) {
      if (done.pid === w.pid) done(502, { error: `worker ${w.pid} exited before answering` }, ref);
    }
  });
}

/** PM2's God logs through this process's console: read each line on its way out (synchronously, in order). */
function tapConsole() {
  for (const k of ['log', 'info', 'warn', 'error']) {
    const pm2Console = console[k];
    console[k] = function tapped(...args) {
      try {
        observer.logLine(util.format(...args));
      } catch (err) {
        process.stderr.write(`pm2 driver: reading a PM2 log line failed: ${err.stack || err}\n`);
      }
      return pm2Console.apply(console, args);
    };
  }
}

function clearStartupFault() {
  startupFault = null;
  delete process.env.W3LAB_STARTUP_FAULT;
}

function ask(pid, msg) {
  if (!faults) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
  const w = live.get(pid);
  if (!w) return { status: 404, body: { error: `no live worker with pid ${pid}`, workers: [...live.keys()] } };
  const ref = `p${++refSeq}`;
  return new Promise((resolve) => {
    const late = { error: `worker ${pid} did not answer within ${ACK_TIMEOUT_MS} ms` };
    const timer = setTimeout(() => done(504, late), ACK_TIMEOUT_MS);
    const done = (status, body) => {
      clearTimeout(timer);
      acks.delete(ref);
      resolve({ status, body });
    };
    done.pid = pid;
    acks.set(ref, done);
    try {
      w.worker.send({ ...msg, ref });
    } catch (err) {
      done(502, { error: `cannot reach worker ${pid}: ${err.message}` });
    }
  });
}

const call = (fn, ...args) =>
  new Promise((resolve, reject) => pm2[fn](...args, (err, out) => (err ? reject(err) : resolve(out))));

/** PM2's graceful reload of the app (observer.js pairs each old worker with its replacement). */
async function reload(recycleIds) {
  try {
    await call('reload', APP_NAME);
  } catch (err) {
    // PM2 refuses a reload of a pm_id whose previous reload has not finished; the old workers keep serving.
    process.stderr.write(`pm2 reload failed: ${err.message}\n`);
    for (const id of recycleIds) {
      const r = observer.recycles.get(id);
      if (r && r.newPid === undefined) {
        for (const [pmId, rid] of observer.pending) if (rid === id) observer.pending.delete(pmId);
        const old = live.get(r.oldPid);
        if (old) delete old.recycleOf;
        kit.emit('RecycleOverlapFailed', {
          eventId: 5093,
          recycleId: id,
          reason: 'OnDemand',
          workerId: r.workerId,
          pid: r.oldPid,
          error: err.message,
        });
      }
    }
  }
}

const primary = {
  workers: () => observer.workers(kit.pool),
  injectFault(pid, spec) {
    if (faults && live.has(pid)) kit.emit('FaultInjected', { workerId: live.get(pid).worker.id, pid, fault: spec });
    return ask(pid, { type: 'w3lab:fault', spec });
  },
  async healFaults(pid) {
    const out = await ask(pid, { type: 'w3lab:heal' });
    if (out.status === 200) kit.emit('FaultHealed', { pid });
    return out;
  },
  recycle() {
    if (stopping) return { started: false, reason: 'stopping' };
    const recycleIds = observer.beginReload();
    void reload(recycleIds);
    return { started: true, recycleIds };
  },
  setStartupFault(body) {
    if (body === null) {
      clearStartupFault();
      kit.emit('FaultHealed', { fault: 'startup' });
      return { status: 200, body: { startupFault: null } };
    }
    const mode = body && body.mode;
    const count = body && body.count !== undefined ? body.count : 0;
    if (mode !== 'crash' && mode !== 'hang') {
      return { status: 400, body: { error: 'mode: expected "crash" or "hang"' } };
    }
    if (!faults) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
    // PM2 forks workers with this process's environment: the next forks inherit the fault.
    startupFault = { mode, remaining: count };
    process.env.W3LAB_STARTUP_FAULT = mode;
    process.env.W3LAB_STARTUP_FAULT_SCOPE = 'cluster-workers';
    kit.emit('FaultInjected', { fault: { kind: 'startup', mode, count } });
    return { status: 200, body: { startupFault: { mode, count } } };
  },
};

async function main() {
  const home = s.pm2Home;
  fs.mkdirSync(home, { recursive: true });
  process.env.PM2_HOME = home;
  process.env.PM2_WORKER_INTERVAL = String(s.workerIntervalMs); // how often PM2 checks max_memory_restart
  const PM2 = require('pm2').custom;
  pm2 = new PM2({ pm2_home: home, daemon_mode: false });
  cluster.on('fork', track);
  const port = s.port > 0 ? s.port : await freePort('127.0.0.1');
  await call('connect', true);
  tapConsole();
  const app = {
    name: APP_NAME,
    script: path.join(__dirname, 'app.js'),
    exec_mode: 'cluster',
    instances: s.instances,
    node_args: faults ? ['--require', preload] : [],
    kill_timeout: s.killTimeoutMs,
    listen_timeout: s.listenTimeoutMs,
    min_uptime: s.minUptimeMs,
    max_restarts: s.maxRestarts,
    autorestart: true,
    merge_logs: true,
    out_file: path.join(home, 'app-out.log'),
    error_file: path.join(home, 'app-err.log'),
    env: { PORT: String(port), HOST: '127.0.0.1', APP: s.app },
    ...(s.maxMemoryRestart ? { max_memory_restart: s.maxMemoryRestart } : {}),
  };
  const bus = await call('launchBus');
  bus.on('process:event', (p) => {
    if (p.event !== 'restart overlimit') return;
    const { pm_id: pmId, restart_time: restarts } = p.process;
    kit.emit('PoolStopped', { eventId: 5002, reason: 'RapidFail', pmId, restarts });
  });
  await call('start', app);
  await waitForPort(port, '127.0.0.1', s.startTimeoutMs);
  await untilAllReady(s.instances, s.startTimeoutMs);
  const token = process.env.CONTROL_TOKEN || undefined;
  const control = await startControlServer(primary, { host: '127.0.0.1', port: 0, token });
  const c = control.address();
  kit.emit('HostStarted', {
    listen: { host: '127.0.0.1', port },
    control: { host: c.address, port: c.port },
    workers: s.instances,
    pm2Home: home,
    faultInjection: faults,
  });
}

function untilAllReady(n, ms) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = setInterval(() => {
      if (observer.readyCount() >= n) {
        clearInterval(tick);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(tick);
        reject(new Error(`timed out after ${ms} ms waiting for ${n} PM2 instance(s) to listen`));
      }
    }, 25);
  });
}

async function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  observer.stopping = true;
  kit.emit('HostStopping', { reason });
  const force = setTimeout(() => {
    for (const w of live.values()) w.worker.process.kill('SIGKILL');
    process.exit(0);
  }, 5000);
  try {
    await call('killDaemon');
  } catch {
    /* God is in this process: it may already be gone */
  }
  clearTimeout(force);
  for (const w of live.values()) w.worker.process.kill('SIGKILL');
  process.exit(0);
}

kit.onStop((why) => void shutdown(why));
process.on('exit', () => {
  for (const w of live.values()) w.worker.process.kill('SIGKILL');
});
main().catch((err) => {
  process.stderr.write(`pm2 driver: ${err.stack || err}\n`);
  process.exit(1);
});

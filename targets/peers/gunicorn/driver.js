// The gunicorn peer: Gunicorn (Debian's python3-gunicorn, run as `python3 -m gunicorn`) serving the lab's WSGI app
// (lab_app.py) with a config generated into the run folder (config.js). Gunicorn's master runs in the foreground
// as this driver's child, its error log on stderr: the driver reads it (observer.js) for workers and events, lists
// the master's live children from /proc, and drives the workers' fault agents (faults/wsgi, installed by the
// config's hooks) over their control channels. recycle = SIGHUP to the master (Gunicorn's graceful reload).
// Settings: W3LAB_PEER_SETTINGS (JSON, validated by the lab's adapter, harness/targets/gunicorn-target.ts).
//
// Readiness: the configured number of workers ready and the port accepting → HostStarted. The master is announced
// as HelperStarted so a lab that must kill everything at once knows it. When the master ends on its own (Gunicorn
// halts when a worker fails to boot), the driver reports PoolStopped and stays up for the lab to stop it.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { makeKit, freePort, eachLine, waitForPort } = require('../common/driver-kit');
const { startControlServer } = require('../node-cluster/control-server');
const { gunicornConfig, parseLogLine } = require('./config');
const { GunicornObserver } = require('./observer');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ACK_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 5000;

const kit = makeKit('gunicorn');
let s;
try {
  s = JSON.parse(process.env.W3LAB_PEER_SETTINGS || '');
} catch {
  kit.fail('W3LAB_PEER_SETTINGS is not JSON');
}
const faults = process.env.W3LAB_FAULTS === '1';
const token = process.env.CONTROL_TOKEN || '';
const prefix = path.join(path.resolve(s.runDir), 'gunicorn');
const startupFile = path.join(prefix, 'startup-fault.json');
const observer = new GunicornObserver({ kit, timeoutS: s.timeoutS });
let master = null;
let masterExit = null;
let masterDone = false;
let configFile = null;
let stopping = false;

function startMaster(port) {
  fs.mkdirSync(prefix, { recursive: true });
  configFile = path.join(prefix, 'gunicorn.conf.py');
  fs.writeFileSync(
    configFile,
    gunicornConfig({
      faultsDir: path.join(ROOT, 'faults', 'wsgi'),
      appDir: s.appDir,
      host: '127.0.0.1',
      port,
      workers: s.workers,
      workerClass: s.workerClass,
      threads: s.threads,
      timeoutS: s.timeoutS,
      gracefulTimeoutS: s.gracefulTimeoutS,
      keepaliveS: s.keepaliveS,
      maxRequests: s.maxRequests,
      maxRequestsJitter: s.maxRequestsJitter,
      pidfile: path.join(prefix, 'gunicorn.pid'),
      accessLog: path.join(prefix, 'access.log'),
      wsgiApp: s.wsgiApp,
    }),
  );
  const env = {
    ...process.env,
    W3LAB_FAULTS: faults ? '1' : '0',
    W3LAB_FAULT_TOKEN: token,
    W3LAB_STARTUP_FAULT_FILE: startupFile,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  };
  const stdio = ['ignore', 'pipe', 'pipe'];
  master = spawn(s.python, ['-m', 'gunicorn', '-c', configFile], { cwd: prefix, env, stdio });
  master.on('error', (err) => kit.fail(`cannot start ${s.python} -m gunicorn: ${err.message}`));
  masterExit = new Promise((resolve) =>
    master.once('exit', (code, signal) => {
      masterDone = true;
      resolve({ code, signal });
    }),
  );
  void masterExit.then(({ code, signal }) => {
    if (stopping) return;
    process.stderr.write(`gunicorn master exited (code ${code}, signal ${signal})\n`);
    const detail = observer.halt ?? `master exited (code ${code}, signal ${signal})`;
    kit.emit('PoolStopped', { eventId: 5002, reason: 'halted', detail });
  });
  kit.emit('HelperStarted', { pid: master.pid, what: 'gunicorn master' });
  const onLine = (line) => {
    process.stdout.write(`[gunicorn] ${line}\n`);
    observer.onLine(parseLogLine(line));
  };
  eachLine(master.stdout, onLine);
  eachLine(master.stderr, onLine);
}

/** The master's live children (process observation), so a worker whose exit line is still on its way is not offered. */
function masterChildren() {
  const out = new Set();
  if (!master || masterDone) return out;
  try {
    for (const t of fs.readdirSync(`/proc/${master.pid}/task`)) {
      const text = fs.readFileSync(`/proc/${master.pid}/task/${t}/children`, 'utf8').trim();
      for (const c of text.split(/\s+/)) if (c) out.add(Number(c));
    }
  } catch {
    /* the master is gone */
  }
  return out;
}

/** One JSON line to a worker's fault channel, one JSON line back. */
function ask(pid, msg) {
  if (!faults) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
  const w = observer.get(pid);
  if (!w) {
    const workers = observer.workers(kit.pool).map((x) => x.pid);
    return { status: 404, body: { error: `no live worker with pid ${pid}`, workers } };
  }
  if (!w.control) return { status: 409, body: { error: `worker ${pid} is not ready (no fault channel yet)` } };
  return new Promise((resolve) => {
    const sock = net.connect(w.control.port, w.control.host);
    let data = '';
    const done = (status, body) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ status, body });
    };
    const late = { error: `worker ${pid} did not answer within ${ACK_TIMEOUT_MS} ms` };
    const timer = setTimeout(() => done(504, late), ACK_TIMEOUT_MS);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ token, ...msg }) + '\n'));
    sock.on('data', (c) => {
      data += c;
      const i = data.indexOf('\n');
      if (i < 0) return;
      let reply;
      try {
        reply = JSON.parse(data.slice(0, i));
      } catch {
        return done(502, { error: `worker ${pid} answered something that is not JSON` });
      }
      const { ok, ...rest } = reply;
      done(ok ? 200 : rest.status === 403 ? 403 : 409, { pid, workerId: w.id, ok, ...rest });
    });
    sock.on('error', (err) => done(502, { error: `cannot reach worker ${pid}: ${err.message}` }));
    sock.on('close', () => done(502, { error: `worker ${pid} closed its fault channel without answering` }));
  });
}

const primary = {
  workers() {
    const alive = masterChildren();
    return observer.workers(kit.pool).filter((w) => alive.has(w.pid));
  },
  async injectFault(pid, spec) {
    const out = await ask(pid, { op: 'fault', spec });
    if (out.status === 200) kit.emit('FaultInjected', { workerId: out.body.workerId, pid, fault: spec });
    return out;
  },
  async healFaults(pid) {
    const out = await ask(pid, { op: 'heal' });
    if (out.status === 200) kit.emit('FaultHealed', { workerId: out.body.workerId, pid });
    return out;
  },
  recycle() {
    if (!master || masterDone || stopping) return { started: false, reason: 'the gunicorn master is not running' };
    const r = observer.beginReload();
    master.kill('SIGHUP');
    return { started: true, ...r };
  },
  setStartupFault(body) {
    if (body === null) {
      fs.rmSync(startupFile, { force: true });
      kit.emit('FaultHealed', { fault: 'startup' });
      return { status: 200, body: { startupFault: null } };
    }
    const mode = body && body.mode;
    const count = body && body.count !== undefined ? body.count : 0;
    const bad = (error) => ({ status: 400, body: { error } });
    if (mode !== 'crash' && mode !== 'hang') return bad('mode: expected "crash" or "hang"');
    if (!Number.isInteger(count) || count < 0) return bad('count: expected an integer >= 0');
    if (!faults) return { status: 403, body: { error: 'fault injection is not enabled for this run' } };
    fs.writeFileSync(startupFile, JSON.stringify({ mode, remaining: count }));
    kit.emit('FaultInjected', { fault: { kind: 'startup', mode, count } });
    return { status: 200, body: { startupFault: { mode, count } } };
  },
};

async function main() {
  const port = s.port > 0 ? s.port : await freePort('127.0.0.1');
  startMaster(port);
  await withDeadline(untilReady(), s.startTimeoutMs, `${s.workers} gunicorn worker(s) to be ready`);
  await withDeadline(waitForPort(port, '127.0.0.1', s.startTimeoutMs), s.startTimeoutMs + 1000, 'gunicorn to listen');
  const control = await startControlServer(primary, { host: '127.0.0.1', port: 0, token: token || undefined });
  const c = control.address();
  kit.emit('HostStarted', {
    listen: { host: '127.0.0.1', port },
    control: { host: c.address, port: c.port },
    workers: s.workers,
    masterPid: master.pid,
    workerClass: s.workerClass,
    faultInjection: faults,
  });
}

function untilReady() {
  return new Promise((resolve, reject) => {
    const tick = setInterval(() => {
      if (observer.readyCount() >= s.workers) {
        clearInterval(tick);
        resolve();
      } else if (masterDone) {
        clearInterval(tick);
        reject(new Error(`the gunicorn master exited during startup${observer.halt ? `: ${observer.halt}` : ''}`));
      }
    }, 25);
  });
}

function withDeadline(promise, ms, what) {
  let t;
  const late = () => new Error(`timed out after ${ms} ms waiting for ${what}`);
  const timeout = new Promise((_, reject) => (t = setTimeout(() => reject(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

/**
 * Every process that is still ours: the master, its children, and workers we saw that a killed master left behind —
 * those only while their command line or environment still names this run (a pid may have been reused since).
 */
function killEverything() {
  const pids = new Set([...observer.live.keys(), ...masterChildren()]);
  if (master && !masterDone) pids.add(master.pid);
  for (const pid of pids) {
    if (!isOurs(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function isOurs(pid) {
  const has = (file, text) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').includes(text);
    } catch {
      return false;
    }
  };
  // The environment too: with python3-setproctitle installed, Gunicorn rewrites its command lines.
  return configFile !== null && (has('cmdline', configFile) || has('environ', startupFile));
}

async function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  kit.emit('HostStopping', { reason });
  observer.stopAll();
  if (master && !masterDone) {
    // Quick shutdown (SIGINT): the end of a run is not under test, and a worker hung on purpose would otherwise
    // hold Gunicorn's graceful stop for the whole graceful_timeout.
    master.kill('SIGINT');
    const t = setTimeout(killEverything, STOP_GRACE_MS);
    await masterExit;
    clearTimeout(t);
  }
  killEverything(); // workers a SIGKILLed master left behind
  process.exit(0);
}

kit.onStop((why) => void shutdown(why));
process.on('exit', killEverything);
main().catch((err) => {
  process.stderr.write(`gunicorn driver: ${err.message}\n`);
  killEverything();
  process.exit(1);
});

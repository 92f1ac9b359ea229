// The driver of a front proxy peer (nginx, HAProxy): N Node backends (backend-pool.js) and the proxy in front of
// them, started in the foreground as this driver's child with a configuration generated into the run folder. The
// proxy-specific part (`front`: config, command line, output parsing, reload, stop) comes from
// targets/peers/<peer>/front.js; everything else — ports, readiness, the control endpoint, events, the end — is
// here. Settings arrive as JSON in W3LAB_PEER_SETTINGS (the lab's adapter validated them).
//
// Readiness: every backend listens and the proxy accepts connections → HostStarted {listen, control, frontPid}.
// The proxy is announced as HelperStarted {pid}, so a lab that has to kill everything at once knows it too.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { makeKit, freePort, eachLine, tailFile, waitForPort } = require('./driver-kit');
const { BackendPool } = require('./backend-pool');
const { startControlServer } = require('../node-cluster/control-server');

const FRONT_STOP_GRACE_MS = 3000;

async function runFrontDriver(front) {
  const kit = makeKit(front.name);
  const { s, prefix, faults, preload } = readSettings(kit, front);
  const host = '127.0.0.1';
  const port = s.port > 0 ? s.port : await freePort(host);
  const backendPorts = [];
  for (let i = 0; i < s.backends; i++) backendPorts.push(await freePort(host));

  // The proxy child and how it ended, shared by start, shutdown and the exit handler.
  const st = { stopping: false, child: null, exit: null, exited: null, stopTail: null };
  let markReady;
  const allReady = new Promise((resolve) => (markReady = resolve));
  const pool = new BackendPool({
    kit,
    ports: backendPorts,
    host,
    app: s.app,
    preload,
    restartDelayMs: s.restartDelayMs,
    shutdownTimeoutMs: s.shutdownTimeoutMs,
    onAllReady: () => markReady(),
  });
  const ctx = { kit, settings: s, prefix, host, port, backendPorts, pool, child: () => st.child };

  const shutdown = async (reason, code = 0) => {
    if (st.stopping) return;
    st.stopping = true;
    kit.emit('HostStopping', { reason });
    if (st.child && !st.exit) {
      front.stop(ctx, st.child);
      const t = setTimeout(() => st.child.kill('SIGKILL'), FRONT_STOP_GRACE_MS);
      await st.exited;
      clearTimeout(t);
    }
    await pool.stop();
    st.stopTail?.();
    process.exit(code);
  };
  kit.onStop((why) => void shutdown(why));
  process.on('exit', () => {
    pool.killAll();
    if (st.child && !st.exit) st.child.kill('SIGKILL');
  });

  pool.start();
  await withDeadline(allReady, s.startTimeoutMs, 'the backends to listen');
  const configFile = front.writeConfig(ctx);
  startFront(front, ctx, st, configFile, shutdown);
  await withDeadline(waitForPort(port, host, s.startTimeoutMs), s.startTimeoutMs + 1000, `${front.name} to listen`);

  const primary = controlPrimary(front, ctx, configFile);
  const control = await startControlServer(primary, { host, port: 0, token: process.env.CONTROL_TOKEN || undefined });
  const c = control.address();
  kit.emit('HostStarted', {
    listen: { host, port },
    control: { host: c.address, port: c.port },
    workers: s.backends,
    frontPid: st.child.pid,
    backendPorts,
    faultInjection: faults,
  });
}

/** The settings the lab's adapter validated, the run folder for this peer, and the fault agent when asked for. */
function readSettings(kit, front) {
  let s;
  try {
    s = JSON.parse(process.env.W3LAB_PEER_SETTINGS || '');
  } catch {
    kit.fail('W3LAB_PEER_SETTINGS is not JSON');
  }
  const prefix = path.join(path.resolve(s.runDir), front.name);
  fs.mkdirSync(prefix, { recursive: true });
  const faults = process.env.W3LAB_FAULTS === '1';
  const preload = faults ? process.env.W3LAB_PRELOAD : undefined;
  if (faults && !(preload && fs.existsSync(preload))) {
    kit.fail(`W3LAB_FAULTS=1 but the fault agent ${preload} is missing: run \`npm run build\``);
  }
  return { s, prefix, faults, preload };
}

/** Spawns the proxy in the foreground; an exit nobody asked for ends the driver. */
function startFront(front, ctx, st, configFile, shutdown) {
  const { kit, prefix } = ctx;
  const { cmd, args } = front.command(ctx, configFile);
  const child = (st.child = spawn(cmd, args, { cwd: prefix, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.on('error', (err) => kit.fail(`cannot start ${cmd}: ${err.message}`));
  st.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      st.exit = { code, signal };
      resolve();
      if (!st.stopping) {
        process.stderr.write(`${front.name} exited unexpectedly (code ${code}, signal ${signal})\n`);
        void shutdown(`${front.name}-exited`, 1);
      }
    }),
  );
  kit.emit('HelperStarted', { pid: child.pid, what: front.name });
  // Request log lines go to their own file (evidence, but one per request); the rest to the driver's output.
  const requestLog = fs.createWriteStream(path.join(prefix, 'requests.log'), { flags: 'a' });
  const onLine = (line) => {
    if (front.isRequestLine(line)) requestLog.write(line + '\n');
    else process.stdout.write(`[${front.name}] ${line}\n`);
    front.onLine(ctx, line);
  };
  eachLine(child.stdout, onLine);
  eachLine(child.stderr, onLine);
  if (front.requestLogFile) st.stopTail = tailFile(front.requestLogFile(ctx), (line) => front.onLine(ctx, line));
}

/** What the control endpoint can do: the backends' workers and faults, and the proxy's own reload. */
function controlPrimary(front, ctx, configFile) {
  const { kit, pool } = ctx;
  return {
    workers: () => pool.workers(),
    injectFault: (pid, spec) => pool.injectFault(pid, spec),
    healFaults: (pid) => pool.healFaults(pid),
    recycle: () => pool.recycle(),
    setStartupFault: (body) => pool.setStartupFault(body),
    frontReload: async () => {
      const began = Date.now();
      await front.reload(ctx, configFile);
      kit.emit('ConfigReloaded', { what: `${front.name} reload`, durationMs: Date.now() - began });
      return { status: 200, body: { reloaded: true, durationMs: Date.now() - began } };
    },
  };
}

function withDeadline(promise, ms, what) {
  let t;
  const timeout = new Promise(
    (_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

module.exports = { runFrontDriver };

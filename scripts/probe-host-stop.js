#!/usr/bin/env node
// probe-host-stop.js [W3LAB_BIN]: does a packing web garden keep its connections on its first worker when the host
// process itself is not scheduled for a while? Starts `w3lab serve` (default: this checkout's bin/w3lab.js, built)
// with one pool packing on two workers and the integration tests' probe app, runs CONNS keep-alive connections that
// each send `/slow?ms=5` requests one after another (a light load the first worker keeps up with), and every
// PERIOD_MS stops the host (SIGSTOP) for STOP_MS while its workers keep running, then lets it go on (SIGCONT): the
// workers' answers wait unread, as on a machine so busy the host is descheduled. Prints, per worker, the requests
// answered in all and those dispatched in the second after each stop (the window in which a host that blamed its
// own lateness on the first worker moved connections to the second), and where the new connections opened during
// each stop went. Env: CONNS (4), STOPS (8), STOP_MS (300),
// PERIOD_MS (2000). A measurement to run by hand, not a test: on a loaded machine a worker can really stall.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = process.argv[2] ?? path.join(root, 'bin', 'w3lab.js');
const env = (name, dflt) => Number(process.env[name] ?? dflt);
const CONNS = env('CONNS', 4);
const STOPS = env('STOPS', 8);
const STOP_MS = env('STOP_MS', 300);
const PERIOD_MS = env('PERIOD_MS', 2000);
const app = path.join(root, 'targets', 'w3', 'integration-manager', 'fixtures', 'probe-app.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(port, agent) {
  const sent = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/slow?ms=5', agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ sent, pid: Number(res.headers['x-w3-worker-pid'] ?? 0), status: res.statusCode }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-host-stop-'));
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { socket: path.join(dir, 'admin.sock') },
    pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { maxProcesses: 2, webGardenDispatch: 'pack' } }],
    applications: [{ path: '/', pool: 'app', module: app }],
  };
  fs.writeFileSync(path.join(dir, 'w3.json'), JSON.stringify(config));
  const host = spawn(process.execPath, [bin, 'serve', '--config', path.join(dir, 'w3.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Set();
  host.stdout.on('data', (c) => {
    out += c;
    for (const m of String(c).matchAll(/"type":"WorkerReady"[^\n]*?"pid":(\d+)/g)) ready.add(Number(m[1]));
  });
  host.stderr.on('data', (c) => (out += c));
  try {
    const deadline = Date.now() + 60_000;
    let port = 0;
    while ((!port || ready.size < 2) && Date.now() < deadline) {
      port = Number(/w3 listening on http:\/\/[^:\s]+:(\d+)/.exec(out)?.[1] ?? 0);
      await sleep(50);
    }
    if (!port || ready.size < 2) throw new Error(`host not up with two ready workers:\n${out.slice(-2000)}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS });
    const replies = [];
    let running = true;
    const loops = Array.from({ length: CONNS }, async () => {
      while (running) replies.push(await get(port, agent));
    });
    await sleep(1000);
    const stops = [];
    const during = [];
    for (let i = 0; i < STOPS; i++) {
      host.kill('SIGSTOP');
      const at = Date.now();
      await sleep(STOP_MS / 2);
      // New connections whose requests the host reads when it runs again, with the workers' waiting answers.
      for (let k = 0; k < 2; k++) during.push(get(port, false));
      await sleep(STOP_MS / 2);
      host.kill('SIGCONT');
      stops.push(at);
      await sleep(PERIOD_MS - STOP_MS);
    }
    running = false;
    await Promise.all(loops);
    const sentDuring = await Promise.all(during);
    agent.destroy();
    const pids = [...new Set(replies.map((r) => r.pid))].sort((a, b) => a - b);
    const after = replies.filter((r) => stops.some((s) => r.sent >= s && r.sent < s + STOP_MS + 1000));
    const count = (rs, pid) => rs.filter((r) => r.pid === pid).length;
    const first = replies[0]?.pid;
    for (const pid of pids) {
      const role = pid === first ? 'first worker' : 'other worker';
      console.log(
        `${role} ${pid}: ${count(replies, pid)} of ${replies.length} requests, ` +
          `${count(after, pid)} of ${after.length} sent within 1 s after a stop, ` +
          `${count(sentDuring, pid)} of ${sentDuring.length} new connections opened during a stop`,
      );
    }
    const bad = replies.filter((r) => r.status !== 200).length;
    if (bad) console.log(`${bad} answers not 200`);
  } finally {
    host.kill('SIGCONT');
    host.kill('SIGTERM');
    await new Promise((r) => (host.exitCode !== null ? r() : host.once('exit', r)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});

// Shared pieces of the lab's peer drivers (targets/peers/<peer>/driver.js): the JSON event line on stdout that the
// lab reads (`{"event":{t,type,pool,...}}`, the vocabulary the node-cluster primary uses too), integer settings from
// the environment, free ports, line-splitting of a child's output, and never outliving the lab (the lab starts
// every driver with an IPC channel; when it closes, the driver shuts its peer down).
'use strict';
const fs = require('node:fs');
const net = require('node:net');

function makeKit(name, env = process.env) {
  const pool = env.POOL || 'app';
  return {
    pool,
    /** process.stdout is synchronous for pipes and files on Linux, so the last events survive a kill. */
    emit(type, fields = {}) {
      process.stdout.write(JSON.stringify({ event: { t: Date.now(), type, pool, source: name, ...fields } }) + '\n');
    },
    intEnv(key, dflt, min) {
      const raw = env[key];
      if (raw === undefined || raw === '') return dflt;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) this.fail(`${key} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
      return n;
    },
    fail(msg) {
      process.stderr.write(`${name} driver: ${msg}\n`);
      process.exit(78); // EX_CONFIG
    },
    /** Calls `shutdown(reason)` on SIGTERM/SIGINT and when the lab's IPC channel closes. */
    onStop(shutdown) {
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      if (process.send) process.once('disconnect', () => shutdown('parent-disconnected'));
    },
  };
}

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Calls onLine(line) for every complete line of a readable stream (a child's stdout / stderr, a log file tail). */
function eachLine(stream, onLine) {
  let partial = '';
  stream.on('data', (chunk) => {
    partial += chunk.toString('utf8');
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      try {
        onLine(line);
      } catch (err) {
        process.stderr.write(`line handler failed: ${err.stack || err}\n`);
      }
    }
  });
}

/**
 * Follows a growing file (a proxy's access log: nginx cannot write to a socket-backed stdout) and calls
 * onLine(line) for each complete line; polls every intervalMs. Returns stop(), which reads what is left first.
 */
function tailFile(file, onLine, intervalMs = 100) {
  fs.closeSync(fs.openSync(file, 'a'));
  const fd = fs.openSync(file, 'r');
  let pos = 0;
  let partial = '';
  const buf = Buffer.alloc(64 * 1024);
  const drain = () => {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) return;
      pos += n;
      partial += buf.toString('utf8', 0, n);
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i);
        partial = partial.slice(i + 1);
        try {
          onLine(line);
        } catch (err) {
          process.stderr.write(`line handler failed: ${err.stack || err}\n`);
        }
      }
    }
  };
  const timer = setInterval(drain, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    drain();
    fs.closeSync(fd);
  };
}

/** Resolves once something accepts TCP connections on host:port (or rejects after timeoutMs). */
function waitForPort(port, host, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * The RecycleCompleted fields of a peer's recycle record once both ends are known (replacement ready, old worker
 * gone): overlapped when the replacement was ready before the old worker exited.
 */
function recycleCompletedFields(r) {
  return {
    recycleId: r.id,
    reason: r.reason,
    workerId: r.workerId,
    oldPid: r.oldPid,
    newWorkerId: r.newWorkerId,
    newPid: r.newPid,
    overlapped: r.newReadyAt < r.oldExitAt,
    durationMs: Math.max(r.newReadyAt, r.oldExitAt) - r.startedAt,
    readyMs: r.newReadyAt - r.startedAt,
    oldExitMs: r.oldExitAt - r.startedAt,
  };
}

module.exports = { makeKit, freePort, eachLine, tailFile, waitForPort, recycleCompletedFields };

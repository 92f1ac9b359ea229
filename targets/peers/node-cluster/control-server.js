// node-cluster peer: the lab's control endpoint on the primary (HTTP/JSON on 127.0.0.1, or on a Unix socket). A
// real cluster setup has no such thing; it exists so the lab can ask the primary what it would otherwise learn from
// its own state (which workers exist) and hand it what a production setup would trigger by signal or deployment (a
// rolling restart, a broken next release = startup fault). Routes:
//   GET    /health                  → { status, pid }
//   GET    /workers                 → [{ pool, id, pid, state, startedAt }]
//   POST   /workers/:pid/faults     body = fault spec → the worker agent's ack (200 ok, 409 rejected, 504 no answer)
//   DELETE /workers/:pid/faults     heals every fault in that worker
//   POST   /recycle                 rolling restart (same as SIGUSR2) → 202
//   POST   /startup-fault           { mode: crash|hang, count } → the next `count` forks (0 = all) get it
//   DELETE /startup-fault
//   POST   /front-reload            reload of the process that owns client connections (nginx, HAProxy) → 200
// Fault routes need the X-W3-Fault-Token header when CONTROL_TOKEN is set.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const crypto = require('node:crypto');

const MAX_BODY = 64 * 1024;

/**
 * @param {object} primary  { workers(), injectFault(pid, spec), healFaults(pid), recycle(), setStartupFault(spec|null),
 *                           frontReload?() } — the other peer drivers (targets/peers/*) implement the same shape
 * @param {{ host: string, port: number, socket?: string, token?: string }} opts  socket: a Unix socket path to listen
 *   on instead of host:port
 * @returns {Promise<http.Server>}
 */
function startControlServer(primary, opts) {
  const routes = [
    ['GET', /^\/health$/, false, () => ({ status: 200, body: { status: 'ok', pid: process.pid } })],
    ['GET', /^\/workers$/, false, () => ({ status: 200, body: primary.workers() })],
    ['POST', /^\/workers\/(\d+)\/faults$/, true, (m, body) => primary.injectFault(Number(m[1]), body)],
    ['DELETE', /^\/workers\/(\d+)\/faults$/, true, (m) => primary.healFaults(Number(m[1]))],
    ['POST', /^\/recycle$/, false, () => ({ status: 202, body: primary.recycle() })],
    ['POST', /^\/startup-fault$/, true, (_m, body) => primary.setStartupFault(body)],
    ['DELETE', /^\/startup-fault$/, true, () => primary.setStartupFault(null)],
    [
      'POST',
      /^\/front-reload$/,
      false,
      () =>
        primary.frontReload
          ? primary.frontReload()
          : { status: 404, body: { error: 'this peer has no front to reload' } },
    ],
  ];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://control');
    const matching = routes.filter((r) => r[1].test(url.pathname));
    const route = matching.find((r) => r[0] === req.method);
    if (!route) {
      const status = matching.length ? 405 : 404;
      return send(res, status, { error: `no route ${req.method} ${url.pathname}` });
    }
    const [, re, needsToken, handler] = route;
    if (needsToken && opts.token && !tokenMatches(req.headers['x-w3-fault-token'], opts.token)) {
      return send(res, 403, { error: 'missing or wrong fault token' });
    }
    readJson(req)
      .then((body) => handler(re.exec(url.pathname), body))
      .then((out) => send(res, out.status, out.body))
      .catch((err) => send(res, err.status || 500, { error: err.message }));
  });
  if (opts.socket) return listenOnSocket(server, opts.socket);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

/**
 * Listens on a Unix socket. A socket already there is taken over only when nothing answers on it (left by a primary
 * that was killed, e.g. before a container restart); a live one, or a file that is no socket, is an error.
 */
async function listenOnSocket(server, socketPath) {
  const listen = () =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.removeListener('error', reject);
        resolve(server);
      });
    });
  try {
    return await listen();
  } catch (err) {
    if (err.code !== 'EADDRINUSE' || !isSocket(socketPath) || (await socketAnswers(socketPath))) throw err;
    fs.rmSync(socketPath, { force: true });
    return listen();
  }
}

function isSocket(p) {
  try {
    return fs.lstatSync(p).isSocket();
  } catch {
    return false;
  }
}

function socketAnswers(socketPath) {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(Object.assign(new Error('request body is not JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  if (res.headersSent) return;
  const data = JSON.stringify(body === undefined ? null : body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function tokenMatches(given, expected) {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

module.exports = { startControlServer };

// A plain Node backend, as people run them behind nginx or HAProxy: load the app module (a Node request listener)
// and `http.createServer(app).listen(PORT, HOST)`. On SIGTERM it drains the way a careful service behind a proxy
// does: stop listening, close idle keep-alive connections, and answer whatever still arrives on an open connection
// with `Connection: close`, then exit once the last connection is gone. (A bare server.close() lingers behind a proxy
// that keeps upstream connections alive: each idle one waits out Node's 5 s keep-alive timeout.) The fault agent,
// when the lab enables it, arrives with `--require` (the preload) and takes faults over the supervisor's IPC channel.
//
// Lab addition: a `{type:'w3lab:listening'}` message to the supervisor once it listens — its readiness report,
// what a systemd service sends with sd_notify(READY=1).
'use strict';
const http = require('node:http');

const mod = require(process.env.APP);
const app = typeof mod === 'function' ? mod : mod && typeof mod.default === 'function' ? mod.default : null;
if (!app) {
  process.stderr.write(`backend: ${process.env.APP} does not export a request listener\n`);
  process.exit(1);
}

const server = http.createServer(app);
(http.__w3labServers ||= []).push(server); // lets a wrapper (pm2/app.js) close it on its own signal
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1', () => {
  if (process.send) process.send({ type: 'w3lab:listening', port: server.address().port });
});
let draining = false;
server.prependListener('request', (_req, res) => {
  if (draining) res.setHeader('Connection', 'close');
});
process.on('SIGTERM', () => {
  draining = true;
  server.close(() => process.exit(0));
  // A response that began before the signal keeps its connection alive; close each connection once it goes idle
  // rather than after the server's 5 s keep-alive timeout.
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 50).unref();
});
// Supervised over IPC: when the supervisor is gone, so is this backend (no orphans).
process.on('disconnect', () => process.exit(0));

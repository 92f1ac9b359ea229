// A plain Node backend, as people run them behind nginx or HAProxy: load the app module (a Node request listener)
// and `http.createServer(app).listen(PORT, HOST)`. On SIGTERM it stops the way most such services do: close the
// server (idle keep-alive connections are closed, in-flight requests finish), then exit. The fault agent, when the
// lab enables it, arrives with `--require` (the preload) and takes faults over the IPC channel of the supervisor.
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
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Supervised over IPC: when the supervisor is gone, so is this backend (no orphans).
process.on('disconnect', () => process.exit(0));

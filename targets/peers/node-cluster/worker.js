// node-cluster peer, worker side: what a typical Node `cluster` worker does — load the app module (a Node request
// listener, e.g. an Express app) and `http.createServer(app).listen(PORT)`. The accepted connections live in this
// process, as in real cluster setups. The fault agent, when enabled, arrives through execArgv (--require preload).
//
// The only lab addition is the X-Worker-Pid response header (the preload sets the same header; without it the lab
// could not attribute responses to workers).
'use strict';
const http = require('node:http');

const mod = require(process.env.APP);
const app = typeof mod === 'function' ? mod : mod && typeof mod.default === 'function' ? mod.default : null;
if (!app) {
  process.stderr.write(`node-cluster worker: ${process.env.APP} does not export a request listener\n`);
  process.exit(1);
}

const server = http.createServer((req, res) => {
  res.setHeader('X-Worker-Pid', String(process.pid));
  app(req, res);
});
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');

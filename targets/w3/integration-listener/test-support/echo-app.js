// echo-app: the application behind the isolation, protocol and robustness tests. Every request it runs is appended
// to RECORD_FILE (one JSON line: pool, method, url, the X-Case and X-Marker headers) before it answers, so a test
// can prove what reached which pool — and what never should have. Routes:
//   GET  /short-body       Content-Length 100, sends 10 bytes and ends (a response that never completes)
//   GET  /conn-named       a response whose Connection header names X-Secret (must not reach the client)
//   GET  /no-length        a chunked response without Content-Length (an HTTP/1.0 client's response closes)
//   GET  /exit-mid         the worker exits after half of a 1 MB response
//   GET  /big?bytes=N      N bytes with Content-Length, streamed with backpressure
//   POST /no-read          answers 200 without reading the body
//   GET  .../slow?ms=N     answers after N ms (under any prefix)
//   anything else          JSON: what the app received (pool, method, url, headers, body bytes, client address)
// A module exporting `upgrade` also gets WebSocket upgrades: with WS_ECHO=1 they are answered by a `ws` server
// that echoes every message prefixed with the pool name.
'use strict';
const fs = require('node:fs');

const pool = process.env.W3_POOL || '?';
const recordFile = process.env.RECORD_FILE;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function record(req) {
  if (!recordFile) return;
  const line = { pool, method: req.method, url: req.url, case: req.headers['x-case'], marker: req.headers['x-marker'] };
  fs.appendFileSync(recordFile, JSON.stringify(line) + '\n');
}

function handler(req, res) {
  record(req);
  const url = req.url || '/';
  if (url.startsWith('/short-body')) {
    res.writeHead(200, { 'Content-Length': 100 });
    res.write('0123456789');
    // Node (without strictContentLength) lets the response end here; the listener waits for 90 more bytes.
    res.end();
    return;
  }
  if (url.startsWith('/conn-named')) {
    res.writeHead(200, { Connection: 'X-Secret', 'X-Secret': 'internal', 'X-Public': 'yes', 'Content-Length': 2 });
    return res.end('ok');
  }
  if (url.startsWith('/no-length')) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('part one;');
    return setTimeout(() => res.end('part two\n'), 20);
  }
  if (url.startsWith('/exit-mid')) {
    res.writeHead(200, { 'Content-Length': 1024 * 1024 });
    res.write(Buffer.alloc(512 * 1024, 'y'), () => process.exit(3));
    return;
  }
  if (url.startsWith('/big')) {
    const total = Number(new URL(url, 'http://x').searchParams.get('bytes') || 1024);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': total });
    let left = total;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        const ok = res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
        if (left === 0) return res.end();
        if (!ok) return res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (left = 0));
    return pump();
  }
  if (/\/slow(\?|$)/.test(url)) {
    const ms = Number(new URL(url, 'http://x').searchParams.get('ms') || 1000);
    return setTimeout(() => res.end('slow\n'), ms);
  }
  if (url.startsWith('/no-read')) {
    res.writeHead(200, { 'Content-Length': 3 });
    return res.end('ok\n');
  }
  let bytes = 0;
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => {
    const body = JSON.stringify({
      pool,
      method: req.method,
      url,
      headers: req.headers,
      bytes,
      remoteAddress: req.socket.remoteAddress,
      remotePort: req.socket.remotePort,
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
}

module.exports = handler;

if (process.env.WS_ECHO === '1') {
  const { WebSocketServer } = require('ws');
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws, req) => {
    ws.send(`hello from ${pool} ${req.socket.remoteAddress}`);
    ws.on('message', (m) => ws.send(`${pool}: ${m}`));
  });
  module.exports.upgrade = (req, socket, head) => {
    record(req);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
}

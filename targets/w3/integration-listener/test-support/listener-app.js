// listener-app: the application behind the listener integration tests. Routes:
//   GET  /big?bytes=N   N bytes with Content-Length, streamed in 64 KB chunks with backpressure (send-rate tests)
//   POST /echo          answers with the body's byte count once the whole body arrived (entity-body tests)
//   POST /crash         the worker kills itself mid-request (Connection_Abandoned_By_ReqQueue)
//   GET  /crash-once/T  the first request for token T kills its worker (a marker file in CRASH_DIR), later ones
//                       answer "survived T"
//   GET  /exit-small    writes the head and 3 of 100 bytes, then exits in the same tick (nothing leaves)
//   GET  /cache/...     Cache-Control: public, max-age=60 and a body naming the worker pid
//   GET  /cache-chunked/...  the same, chunked (no Content-Length), written in two pieces
//   GET  /cache-size/N/...   N bytes, Cache-Control: public, max-age=60 (maxCacheSize tests)
//   GET  /cache-exit/...     Cache-Control: public, max-age=60, then the worker exits after half of the body
//   GET  /private/...   Cache-Control: private, max-age=60 (never cached)
//   anything else       "hello" with X-App-Pid
// START_MS (env) delays the module load, so a replacement worker takes that long to become ready.
'use strict';
const startMs = Number(process.env.START_MS || 0);
if (startMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, startMs);
const CHUNK = Buffer.alloc(64 * 1024, 'x');
module.exports = (req, res) => {
  const url = req.url || '/';
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
  if (url.startsWith('/echo')) {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => {
      const body = `${n}\n`;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  if (url.startsWith('/crash-once/')) {
    const marker = require('node:path').join(process.env.CRASH_DIR || require('node:os').tmpdir(), url.slice(12));
    if (!require('node:fs').existsSync(marker)) {
      require('node:fs').writeFileSync(marker, '');
      process.kill(process.pid, 'SIGKILL');
      return;
    }
    const body = `survived ${url.slice(12)}\n`;
    res.writeHead(200, { 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (url.startsWith('/exit-small')) {
    res.writeHead(200, { 'Content-Length': 100 });
    res.write('abc');
    process.exit(3);
  }
  if (url.startsWith('/crash')) {
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  if (url.startsWith('/cache-chunked')) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'public, max-age=60' });
    res.write(`${url} `);
    setImmediate(() => res.end(`from ${process.pid}\n`));
    return;
  }
  if (url.startsWith('/cache-size/')) {
    const body = Buffer.alloc(Number(url.split('/')[2]), 'c');
    res.writeHead(200, { 'Cache-Control': 'public, max-age=60', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  if (url.startsWith('/cache-exit')) {
    res.writeHead(200, { 'Cache-Control': 'public, max-age=60', 'Content-Length': 64 * 1024 });
    res.write(CHUNK.subarray(0, 32 * 1024), () => process.exit(3));
    return;
  }
  if (url.startsWith('/cache') || url.startsWith('/private')) {
    const body = Buffer.from(`${url} from ${process.pid}\n`);
    const cc = url.startsWith('/cache') ? 'public, max-age=60' : 'private, max-age=60';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': cc, 'Content-Length': body.length });
    res.end(body);
    return;
  }
  const body = Buffer.from('hello\n');
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length, 'X-App-Pid': String(process.pid) });
  res.end(body);
};

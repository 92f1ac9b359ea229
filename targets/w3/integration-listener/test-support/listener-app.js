// listener-app: the application behind the listener integration tests. Routes:
//   GET  /big?bytes=N   N bytes with Content-Length, streamed in 64 KB chunks with backpressure (send-rate tests)
//   POST /echo          answers with the body's byte count once the whole body arrived (entity-body tests)
//   POST /crash         the worker kills itself mid-request (Connection_Abandoned_By_ReqQueue)
//   GET  /cache/...     Cache-Control: public, max-age=60 and a body naming the worker pid
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
  if (url.startsWith('/crash')) {
    process.kill(process.pid, 'SIGKILL');
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

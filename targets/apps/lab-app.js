// lab-app: the application the lab's scenarios run. Routes:
//   GET  /            hello
//   GET  /slow?ms=N   answers after N ms (in-flight requests during recycles)
//   POST /echo        echoes the body
//   GET  /cacheable   a response marked Cache-Control: public, max-age=60 (response cache)
//   GET  /pid         the worker's pid
// It answers with the pid of the process that served it (X-App-Pid), so the lab can tell workers apart.
'use strict';
const hello = Buffer.from('hello\n');
module.exports = (req, res) => {
  const url = req.url || '/';
  if (url.startsWith('/slow')) {
    const ms = Math.min(60000, Number(new URL(url, 'http://x').searchParams.get('ms') || 200));
    const t = setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-App-Pid': String(process.pid) });
      res.end(`slept ${ms}\n`);
    }, ms);
    res.on('close', () => clearTimeout(t));
    return;
  }
  if (url.startsWith('/echo')) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': body.length,
        'X-App-Pid': String(process.pid),
      });
      res.end(body);
    });
    return;
  }
  if (url.startsWith('/cacheable')) {
    const body = Buffer.from(`cached at ${new Date().toISOString()} by ${process.pid}\n`);
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Cache-Control': 'public, max-age=60',
      'Content-Length': body.length,
    });
    res.end(body);
    return;
  }
  if (url.startsWith('/pid')) {
    res.end(String(process.pid));
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': hello.length,
    'X-App-Pid': String(process.pid),
  });
  res.end(hello);
};

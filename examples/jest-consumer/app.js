// The application under test: a plain Node request listener, as w3 hosts it in each worker process.
// GET /work?ms=N answers after N ms (so requests are in flight when a worker dies); anything else says hello.
'use strict';
module.exports = (req, res) => {
  const url = new URL(req.url || '/', 'http://app');
  if (url.pathname === '/work') {
    const ms = Math.min(5000, Number(url.searchParams.get('ms') || 20));
    const t = setTimeout(() => res.end(`worked ${ms} ms in ${process.pid}\n`), ms);
    res.on('close', () => clearTimeout(t));
    return;
  }
  res.end('hello\n');
};

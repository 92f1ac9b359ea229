// hello: the smallest app — a plain Node request listener answering "hello" (used by benchmarks and most scenarios).
'use strict';
const body = Buffer.from('hello\n');
module.exports = (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
};

// raw-response-app: a command-mode application that writes raw (and partly invalid) HTTP responses, to test what
// the listener does with a worker's malformed answer. Listens on 127.0.0.1:$PORT. By path:
//   /bad-header-value   a header value with a control character     /dup-length   two different Content-Lengths
//   /bad-header-name    a header name with a space                    /te-and-cl    Transfer-Encoding + Content-Length
//   anything else       200 "ok" (readiness)
'use strict';
const net = require('node:net');
const RESPONSES = {
  '/bad-header-value': 'HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok',
  '/bad-header-name': 'HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok',
  '/dup-length': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
  '/te-and-cl': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n',
};
net
  .createServer((s) => {
    let buf = '';
    s.on('data', (c) => {
      buf += c.toString('latin1');
      let end;
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        const path = buf.slice(0, buf.indexOf('\r\n')).split(' ')[1] || '/';
        buf = buf.slice(end + 4);
        s.write(RESPONSES[path] || 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    s.on('error', () => undefined);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');

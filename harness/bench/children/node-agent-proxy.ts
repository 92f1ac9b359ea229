// Child process: the alternative listener→worker transport measured beside w3's undici Pool — a minimal Node-core
// reverse proxy (http.createServer in front, http.request with a keep-alive http.Agent behind) forwarding over a
// Unix socket to a worker process, the same hop shape as w3 but with node:http as the client. It deliberately has
// no routing, queueing or retry, so its number is an upper bound for "what would node:http as the transport cost".
// Prints `{"listening":{"port":N}}` when ready.
// Usage: node node-agent-proxy.js --upstream-socket PATH [--port N]
import http from 'node:http';
import { parseArgs } from 'node:util';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded either way.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({ options: { 'upstream-socket': { type: 'string' }, port: { type: 'string' } } });
  const socketPath = values['upstream-socket'];
  if (!socketPath) throw new Error('usage: node-agent-proxy --upstream-socket PATH [--port N]');
  // Unbounded sockets like w3's undici Pool (connections: null): one upstream connection per concurrent request.
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000, maxSockets: Infinity, maxFreeSockets: 1024 });

  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { socketPath, agent, method: req.method, path: req.url, headers: endToEnd(req.headers) },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, endToEnd(ures.headers));
        ures.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Length': 0 });
        res.end();
      } else res.destroy();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(Number(values.port ?? 0), '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    process.stdout.write(JSON.stringify({ listening: { port }, pid: process.pid }) + '\n');
  });
  const shutdown = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    agent.destroy();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();

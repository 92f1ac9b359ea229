// Child process: the "bare Node" baseline — `http.createServer(require(app))` and nothing else, on a TCP port or a
// Unix socket (then usually with --keep-alive-timeout-ms 0, the timer settings of a w3 worker, as the upstream of a
// proxy that pools its connections). Prints one JSON line `{"listening":{...}}` once it accepts connections.
// Usage: node bare-node-server.js --app FILE (--port N | --socket PATH) [--keep-alive-timeout-ms N]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

function main(): void {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      socket: { type: 'string' },
      'keep-alive-timeout-ms': { type: 'string' },
    },
  });
  if (!values.app || (values.port === undefined) === (values.socket === undefined)) {
    throw new Error('usage: bare-node-server --app FILE (--port N | --socket PATH) [--keep-alive-timeout-ms N]');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app under test, named at run time
  const app = require(path.resolve(values.app)) as http.RequestListener;
  const server = http.createServer(app);
  const keepAlive = Number(values['keep-alive-timeout-ms'] ?? 120_000);
  server.keepAliveTimeout = keepAlive;
  if (keepAlive === 0) {
    // Upstream of a proxy that pools its connections: never time them out from this side (as a w3 worker does).
    server.headersTimeout = 0;
    server.requestTimeout = 0;
  }
  const announce = (): void => {
    const addr = server.address();
    const listening = typeof addr === 'string' ? { socket: addr } : { port: addr?.port ?? 0 };
    process.stdout.write(JSON.stringify({ listening, pid: process.pid }) + '\n');
  };
  if (values.socket) {
    try {
      fs.unlinkSync(values.socket);
    } catch {
      /* not there */
    }
    server.listen(values.socket, announce);
  } else {
    server.listen(Number(values.port), '127.0.0.1', announce);
  }
  const shutdown = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();

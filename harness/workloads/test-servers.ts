// Misbehaving HTTP servers for the workload tests, each on 127.0.0.1 port 0 and counting what it did, so tests can
// reconcile the client's history with the server's ground truth. Used by tests only.
import * as http from 'node:http';
import * as net from 'node:net';

export type Action = 'ok' | 'fin' | 'rst' | 'hang' | 'close-announced' | 'chunked' | { status: number };

export interface TestServer {
  url: string;
  port: number;
  /** Requests received and what was done with each. */
  received: number;
  did: Record<string, number>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0; close() drops the open connections first (dropConnections), then closes. */
async function listenOnLoopback(
  server: net.Server,
  state: Pick<TestServer, 'received' | 'did'>,
  dropConnections: () => void,
): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    get received() {
      return state.received;
    },
    get did() {
      return state.did;
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropConnections();
        server.close(() => resolve());
      }),
  };
}

/** An http.Server whose `decide(n, req)` (n = 1-based request number) picks what to do with each request. */
export async function startTestServer(decide: (n: number, req: http.IncomingMessage) => Action): Promise<TestServer> {
  const state = { received: 0, did: {} as Record<string, number> };
  const server = http.createServer((req, res) => {
    state.received += 1;
    const action = decide(state.received, req);
    const name = typeof action === 'string' ? action : `status-${action.status}`;
    state.did[name] = (state.did[name] ?? 0) + 1;
    res.setHeader('x-w3-worker-pid', String(process.pid));
    if (typeof action !== 'string') {
      res.statusCode = action.status;
      res.end('status');
      return;
    }
    switch (action) {
      case 'ok':
        res.end('hello');
        return;
      case 'chunked':
        res.write('hel');
        setImmediate(() => res.end('lo'));
        return;
      case 'close-announced':
        res.setHeader('connection', 'close');
        res.end('bye');
        return;
      case 'fin':
        req.socket.end(); // FIN without a response
        return;
      case 'rst':
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        return;
    }
  });
  server.keepAliveTimeout = 60_000;
  return listenOnLoopback(server, state, () => server.closeAllConnections());
}

/**
 * A raw server that answers the first request on each connection with a keep-alive response and FINs on the second
 * without answering: every reuse of a connection meets a "stale" socket.
 */
export async function startOneShotKeepAliveServer(): Promise<TestServer> {
  const state = { received: 0, did: {} as Record<string, number> };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let onThisSocket = 0;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        buf = buf.slice(i + 4);
        state.received += 1;
        onThisSocket += 1;
        if (onThisSocket === 1) {
          state.did.ok = (state.did.ok ?? 0) + 1;
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        } else {
          state.did.fin = (state.did.fin ?? 0) + 1;
          s.end();
          return;
        }
      }
    });
  });
  return listenOnLoopback(server, state, () => {
    for (const s of sockets) s.destroy();
  });
}

/** A port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

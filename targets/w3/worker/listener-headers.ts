// What the listener tells a module worker about each request, in headers only it can set (it drops a client's
// own): the application it routed the request to (X-W3-Application, so the worker never re-routes a path the
// listener canonicalised — `/x/../admin` reaches the `/admin` application here too), and the client's address
// (X-W3-Client-Address / X-W3-Client-Port). The listener reaches the worker over a private Unix socket, so
// `req.socket.remoteAddress` would be undefined; here the address becomes `req.socket.remoteAddress`,
// `remotePort` and `remoteFamily` (what Express's `req.ip` and most loggers read). All three headers are removed
// from the request the application sees. Each worker connection carries one request at a time, so setting the
// address on the socket per request is exact.
import net from 'node:net';
import type { IncomingMessage } from 'node:http';

const ADDRESS = 'x-w3-client-address';
const PORT = 'x-w3-client-port';
const APPLICATION = 'x-w3-application';

/** Removes the listener's headers from `req`, applies the client address; returns the routed application path. */
export function takeListenerHeaders(req: IncomingMessage): string | undefined {
  const h = req.headers;
  const address = h[ADDRESS];
  const app = h[APPLICATION];
  if (address === undefined && app === undefined) return undefined;
  const port = Number(h[PORT]);
  delete h[ADDRESS];
  delete h[PORT];
  delete h[APPLICATION];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const n = raw[i]!.length;
    if (n !== ADDRESS.length && n !== PORT.length && n !== APPLICATION.length) continue;
    const lk = raw[i]!.toLowerCase();
    if (lk === ADDRESS || lk === PORT || lk === APPLICATION) raw.splice(i, 2);
  }
  if (typeof address === 'string') {
    const s = req.socket;
    define(s, 'remoteAddress', address);
    define(s, 'remotePort', Number.isInteger(port) ? port : undefined);
    define(s, 'remoteFamily', net.isIPv6(address) ? 'IPv6' : 'IPv4');
  }
  return typeof app === 'string' ? app : undefined;
}

function define(s: net.Socket, key: string, value: unknown): void {
  Object.defineProperty(s, key, { value, configurable: true, writable: true, enumerable: false });
}

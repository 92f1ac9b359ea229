// Header hygiene between the client and the worker, both ways (RFC 9110 §7.6.1): hop-by-hop headers describe one
// connection, not the message, so they never cross the listener — the fixed set below, and every header a
// `Connection:` field names. What the worker receives is rebuilt here: the client's end-to-end headers, the Host
// the request is for, the forwarding headers (forwarding.ts), the client address and the routed application.
import type { IncomingMessage } from 'node:http';
import type { AcceptedHead } from './request-limits';
import {
  addForwardingHeaders,
  plainAddress,
  CLIENT_ADDRESS_HEADER,
  CLIENT_PORT_HEADER,
  FORWARDING_HEADERS,
  type ForwardingPolicy,
} from './forwarding';

/** Headers only the listener may send to a worker (a client's own are dropped). */
const LISTENER_HEADERS = new Set([CLIENT_ADDRESS_HEADER, CLIENT_PORT_HEADER, 'x-w3-application']);

export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'expect',
  'http2-settings',
]);

/**
 * The header names a `Connection` value lists besides `close` / `keep-alive` (lower-cased), or null when there are
 * none — the common case, which costs one comparison.
 */
export function connectionNamed(value: string | undefined): Set<string> | null {
  if (value === undefined || value.length === 0) return null;
  if (value.length === 10 || value.length === 5) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close') return null;
  }
  let named: Set<string> | null = null;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'close' || t === 'keep-alive') continue;
    (named ??= new Set()).add(t);
  }
  return named;
}

/**
 * Flat [name, value, ...] list for the worker. `application`: the path of the application the request was routed
 * to (X-W3-Application: the worker dispatches on it instead of routing again). `upgrade`: keep `Upgrade` (tunnels).
 */
export function upstreamHeaders(
  req: IncomingMessage,
  head: AcceptedHead,
  fwd: ForwardingPolicy,
  application: string,
  upgrade = false,
): string[] {
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  const socket = req.socket;
  const peer = plainAddress(socket.remoteAddress ?? '');
  const trusted = fwd.isTrusted(peer);
  let prior: Map<string, string> | null = null;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lk = k.toLowerCase();
    if (HOP_BY_HOP.has(lk) && !(upgrade && lk === 'upgrade')) continue;
    if (lk === 'host' || LISTENER_HEADERS.has(lk)) continue;
    if (named !== null && named.has(lk) && !(upgrade && lk === 'upgrade')) continue;
    if (FORWARDING_HEADERS.has(lk)) {
      if (!trusted) continue;
      if (fwd.addHeaders && lk !== 'x-forwarded-host' && lk !== 'x-real-ip') {
        // Combined with the peer below; repeated fields are one comma-separated list.
        prior ??= new Map();
        const before = prior.get(lk);
        prior.set(lk, before === undefined ? raw[i + 1]! : `${before}, ${raw[i + 1]!}`);
        continue;
      }
    }
    out.push(k, raw[i + 1]!);
  }
  // `close` too: a worker that declines the upgrade answers as usual and then closes, so the tunnel ends with that
  // response and cannot carry a second, unchecked request; one that accepts switches protocols regardless.
  if (upgrade) out.push('Connection', 'upgrade, close');
  // HTTP/1.0 without Host: the request is for this listener's address (HTTP.SYS fills the host of its cooked URL
  // from the local address the same way); the worker must not be handed a made-up name.
  const host = head.host ?? localAuthority(socket.localAddress, socket.localPort);
  out.push('Host', host);
  if (fwd.addHeaders) addForwardingHeaders(out, peer, host, prior);
  out.push('X-W3-Client-Address', peer, 'X-W3-Client-Port', String(socket.remotePort ?? ''));
  out.push('X-W3-Application', application);
  return out;
}

function localAuthority(address: string | undefined, port: number | undefined): string {
  const a = plainAddress(address ?? '127.0.0.1');
  return `${a.includes(':') ? `[${a}]` : a}:${port ?? 0}`;
}

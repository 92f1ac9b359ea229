// Who the client is, as the worker learns it. The listener terminates the client's connection, so without help an
// application sees only the listener. Three things carry the client across:
//  - `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` (RFC 7239), added to every request
//    (`forwarding.addHeaders`);
//  - trust: these headers (and `X-Forwarded-Host`, `X-Real-IP`) as sent by the client are kept only when the peer
//    is a trusted proxy (`forwarding.trustedProxies`, addresses or CIDR ranges); from anyone else they are dropped,
//    so a client cannot pass itself off as another address. A trusted proxy's values are extended with the peer;
//  - the peer address itself, always, in `X-W3-Client-Address` / `X-W3-Client-Port` (a client's own are dropped):
//    module-mode workers turn them into `req.socket.remoteAddress` / `remotePort` and remove them, command-mode
//    applications may read them.
import net from 'node:net';
import type { ForwardingConfig } from '../config/types';

export const CLIENT_ADDRESS_HEADER = 'x-w3-client-address';
export const CLIENT_PORT_HEADER = 'x-w3-client-port';

/** Lower-cased names of the client-supplied headers that only a trusted peer may set. */
export const FORWARDING_HEADERS = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
]);

export class ForwardingPolicy {
  readonly addHeaders: boolean;
  private readonly trusted: net.BlockList | null;

  constructor(config: ForwardingConfig) {
    this.addHeaders = config.addHeaders;
    this.trusted = config.trustedProxies.length > 0 ? blockList(config.trustedProxies) : null;
  }

  isTrusted(address: string | undefined): boolean {
    if (!this.trusted || !address) return false;
    const plain = plainAddress(address);
    return this.trusted.check(plain, net.isIPv6(plain) ? 'ipv6' : 'ipv4');
  }
}

/** Throws on an entry that is neither an address nor a CIDR range (the config schema checks first). */
export function blockList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const slash = e.indexOf('/');
    const addr = slash === -1 ? e : e.slice(0, slash);
    const family = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (!net.isIP(addr)) throw new Error(`not an IP address or CIDR range: "${e}"`);
    if (slash === -1) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(e.slice(slash + 1)), family);
  }
  return list;
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * Appends the forwarding headers for a request from `peer` to `out`. `prior` holds the client's own values of
 * FORWARDING_HEADERS (only passed when the peer is trusted).
 */
export function addForwardingHeaders(
  out: string[],
  peer: string,
  host: string | undefined,
  prior: Map<string, string> | null,
): void {
  const xff = prior?.get('x-forwarded-for');
  out.push('X-Forwarded-For', xff ? `${xff}, ${peer}` : peer);
  out.push('X-Forwarded-Proto', prior?.get('x-forwarded-proto') ?? 'http');
  const node = net.isIPv6(peer) ? `"[${peer}]"` : peer;
  let fwd = `for=${node};proto=http`;
  if (host) fwd += `;host=${quoteIfNeeded(host)}`;
  const before = prior?.get('forwarded');
  out.push('Forwarded', before ? `${before}, ${fwd}` : fwd);
}

function quoteIfNeeded(v: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

import type { IncomingMessage } from 'node:http';
import { connectionNamed, upstreamHeaders } from './hop-headers';
import { ForwardingPolicy } from './forwarding';

function req(raw: [string, string][], remoteAddress = '203.0.113.7'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw)
    headers[k.toLowerCase()] = headers[k.toLowerCase()] ? `${headers[k.toLowerCase()]}, ${v}` : v;
  return {
    rawHeaders: raw.flat(),
    headers,
    socket: { remoteAddress, remotePort: 4242, localAddress: '127.0.0.1', localPort: 8080 },
  } as unknown as IncomingMessage;
}
const head = (host: string | undefined) => ({ target: { path: '/', upstream: '/', authority: null }, host });
const asMap = (flat: string[]) => {
  const m: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) (m[flat[i]!.toLowerCase()] ??= []).push(flat[i + 1]!);
  return m;
};

describe('connectionNamed', () => {
  it('is null for the usual values and lists the others', () => {
    expect(connectionNamed(undefined)).toBeNull();
    expect(connectionNamed('keep-alive')).toBeNull();
    expect(connectionNamed('Close')).toBeNull();
    expect([...connectionNamed('keep-alive, X-Secret ,Foo')!]).toEqual(['x-secret', 'foo']);
  });
});

describe('upstreamHeaders', () => {
  const untrusted = new ForwardingPolicy({ addHeaders: true, trustedProxies: [] });
  const trusted = new ForwardingPolicy({ addHeaders: true, trustedProxies: ['203.0.113.0/24'] });

  it('strips hop-by-hop headers and every header Connection names', () => {
    const out = asMap(
      upstreamHeaders(
        req([
          ['Host', 'a'],
          ['Connection', 'keep-alive, X-Internal'],
          ['X-Internal', 'leak'],
          ['Keep-Alive', '5'],
          ['TE', 'trailers'],
          ['Upgrade', 'h2c'],
          ['X-Keep', '1'],
        ]),
        head('a'),
        untrusted,
        '/',
      ),
    );
    expect(out['x-internal']).toBeUndefined();
    expect(out['connection'] ?? out['keep-alive'] ?? out['te'] ?? out['upgrade']).toBeUndefined();
    expect(out['x-keep']).toEqual(['1']);
    expect(out['host']).toEqual(['a']);
  });

  it("drops an untrusted client's forwarding headers and adds its own", () => {
    const out = asMap(
      upstreamHeaders(
        req(
          [
            ['Host', 'a'],
            ['X-Forwarded-For', '10.0.0.1'],
            ['Forwarded', 'for=10.0.0.1'],
            ['X-Real-IP', '10.0.0.1'],
            ['X-Forwarded-Proto', 'https'],
            ['X-W3-Client-Address', '1.1.1.1'],
          ],
          '198.51.100.9',
        ),
        head('a'),
        untrusted,
        '/',
      ),
    );
    expect(out['x-forwarded-for']).toEqual(['198.51.100.9']);
    expect(out['x-forwarded-proto']).toEqual(['http']);
    expect(out['forwarded']).toEqual(['for=198.51.100.9;proto=http;host=a']);
    expect(out['x-real-ip']).toBeUndefined();
    expect(out['x-w3-client-address']).toEqual(['198.51.100.9']);
    expect(out['x-w3-client-port']).toEqual(['4242']);
    expect(out['x-w3-application']).toEqual(['/']);
  });

  it("extends a trusted proxy's forwarding headers", () => {
    const out = asMap(
      upstreamHeaders(
        req([
          ['Host', 'a'],
          ['X-Forwarded-For', '10.0.0.1'],
          ['X-Forwarded-For', '10.0.0.2'],
          ['X-Forwarded-Proto', 'https'],
          ['Forwarded', 'for=10.0.0.1'],
          ['X-Real-IP', '10.0.0.1'],
        ]),
        head('a'),
        trusted,
        '/',
      ),
    );
    expect(out['x-forwarded-for']).toEqual(['10.0.0.1, 10.0.0.2, 203.0.113.7']);
    expect(out['x-forwarded-proto']).toEqual(['https']);
    expect(out['forwarded']).toEqual(['for=10.0.0.1, for=203.0.113.7;proto=http;host=a']);
    expect(out['x-real-ip']).toEqual(['10.0.0.1']);
  });

  it('quotes IPv6 in Forwarded and maps IPv4-mapped addresses', () => {
    expect(asMap(upstreamHeaders(req([['Host', 'a']], '::1'), head('a'), untrusted, '/'))['forwarded']).toEqual([
      'for="[::1]";proto=http;host=a',
    ]);
    expect(
      asMap(upstreamHeaders(req([['Host', 'a']], '::ffff:10.1.2.3'), head('a'), untrusted, '/'))['x-forwarded-for'],
    ).toEqual(['10.1.2.3']);
  });

  it('an HTTP/1.0 request without Host is for the local address', () => {
    expect(asMap(upstreamHeaders(req([]), head(undefined), untrusted, '/'))['host']).toEqual(['127.0.0.1:8080']);
  });

  it('adds nothing with addHeaders false, but still drops untrusted values', () => {
    const off = new ForwardingPolicy({ addHeaders: false, trustedProxies: [] });
    const out = asMap(
      upstreamHeaders(
        req([
          ['Host', 'a'],
          ['X-Forwarded-For', '10.0.0.1'],
        ]),
        head('a'),
        off,
        '/',
      ),
    );
    expect(out['x-forwarded-for'] ?? out['forwarded']).toBeUndefined();
    expect(out['x-w3-client-address']).toEqual(['203.0.113.7']);
  });

  it('keeps Upgrade for a tunnel and asks the worker to close after a refusal', () => {
    const out = asMap(
      upstreamHeaders(
        req([
          ['Host', 'a'],
          ['Connection', 'Upgrade'],
          ['Upgrade', 'websocket'],
        ]),
        head('a'),
        untrusted,
        '/',
        true,
      ),
    );
    expect(out['upgrade']).toEqual(['websocket']);
    expect(out['connection']).toEqual(['upgrade, close']);
  });
});

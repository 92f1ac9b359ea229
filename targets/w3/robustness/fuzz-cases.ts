// The seeded HTTP fuzzer's cases: malformed or hostile requests in classes, each followed on the same connection
// by a pipelined marker request (`X-Marker: <id>`, `Connection: close`) that must never run after an error
// response. Cases whose path names an application carry the pool it must reach (`expectPool`): the path is
// built from a logical path by spellings that keep its meaning (escapes, case, dot segments, `\`, `//`). Request
// bodies of ambiguous framing hide a `/smuggled` request that must never run. Same seed, same cases.

export interface FuzzCase {
  id: number;
  cls: string;
  bytes: Buffer;
  /** The pool a request of this case may reach (others: none, or either for plain paths). */
  expectPool?: 'main' | 'adm';
}

/** mulberry32: small, fast, good enough to spread cases; seeded so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function marker(id: number): string {
  return `GET /marker HTTP/1.1\r\nHost: t\r\nX-Marker: ${id}\r\nConnection: close\r\n\r\n`;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

function req(id: number, method: string, target: string, headers: string[], body = '', version = 'HTTP/1.1'): string {
  const fields = headers.map((h) => h + '\r\n').join('');
  return `${method} ${target} ${version}\r\nHost: t\r\nX-Case: ${id}\r\n${fields}\r\n${body}`;
}

/** Spellings of a logical path that keep its canonical meaning. */
function spell(r: Rand, logical: string): string {
  let p = logical;
  const n = int(r, 1, 3);
  for (let i = 0; i < n; i++) {
    switch (int(r, 0, 7)) {
      case 0: // escape one letter
        p = p.replace(/[a-z]/, (c) => '%' + c.charCodeAt(0).toString(16));
        break;
      case 1: // case of the first segment
        p = p.replace(/^\/[a-z]+/, (s) => s.toUpperCase());
        break;
      case 2:
        p = '/./' + p.slice(1);
        break;
      case 3:
        p = `/zz${int(r, 0, 9)}/..` + p;
        break;
      case 4:
        p = p.replace(/\//g, (s, off: number) => (off > 0 && r() < 0.5 ? '\\' : s));
        break;
      case 5:
        p = '/' + p;
        break;
      case 6: // escaped dot segment
        p = `/q/%2e%2e` + p;
        break;
      default: // escaped separator (not the leading one)
        p = p.replace(/([^/])\/([^/]*)$/, '$1%2f$2');
    }
  }
  return p;
}

const SMUGGLE = 'GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n';

type Gen = (r: Rand, id: number) => { text: string; expectPool?: 'main' | 'adm' };

export const CLASSES: Record<string, Gen> = {
  'request-line': (r, id) => {
    const forms = [
      `${pick(r, ['get', 'G ET', 'GET\t', 'GE\x7fT', 'X'.repeat(int(r, 1, 300))])} /a HTTP/1.1`,
      `GET  /a HTTP/1.1`,
      `GET /a  HTTP/1.1`,
      `GET /a`,
      `GET`,
      ` GET /a HTTP/1.1`,
      `GET /a HTTP/1.1 extra`,
      `GET /a b HTTP/1.1`,
    ];
    return { text: `${pick(r, forms)}\r\nHost: t\r\nX-Case: ${id}\r\n\r\n` };
  },
  version: (r, id) => ({
    text: req(
      id,
      'GET',
      '/v',
      [],
      '',
      pick(r, [
        'HTTP/2.0',
        'HTTP/0.9',
        'HTTP/1.2',
        'HTTP/1.10',
        'HTTP/3',
        'HTTPS/1.1',
        'http/1.1',
        'HTTP/1.',
        'HTTP/01.1',
      ]),
    ),
  }),
  headers: (r, id) => {
    const bad = pick(r, [
      'NoColon',
      'Bad Name: x',
      'Bad\tName: x',
      ': empty-name',
      'X-A : space-before-colon',
      'X-\x01: ctl',
      'X-Long: ' + 'v'.repeat(int(r, 15_000, 20_000)),
      'X(y): z',
      'X-Quote": y',
    ]);
    const many = r() < 0.2 ? Array.from({ length: int(r, 100, 400) }, (_, i) => `X-H${i}: ${'h'.repeat(60)}`) : [];
    return { text: req(id, 'GET', '/h', [bad, ...many]) };
  },
  'cr-lf': (r, id) => {
    const base = req(id, 'GET', '/crlf', ['X-A: 1']);
    const v = int(r, 0, 4);
    if (v === 0) return { text: base.replace(/\r\n/g, '\n') };
    if (v === 1) return { text: base.replace('\r\nX-A', '\rX-A') };
    if (v === 2) return { text: base.replace('X-A: 1', 'X-A: 1\rX-B: 2') };
    if (v === 3) return { text: base.replace('X-A: 1', 'X-A: 1\nX-B: 2') };
    return { text: '\r\n\r\n' + base };
  },
  nul: (r, id) => {
    const where = int(r, 0, 3);
    if (where === 0) return { text: req(id, 'GET', '/n\x00ul', []) };
    if (where === 1) return { text: req(id, 'GET', '/n', ['X-N\x00: 1']) };
    if (where === 2) return { text: req(id, 'GET', '/n', ['X-N: a\x00b']) };
    return { text: req(id, 'POST', '/n', ['Content-Length: 3'], 'a\x00b') };
  },
  'obs-fold': (r, id) => ({
    text: req(id, 'GET', '/fold', ['X-Folded: a', pick(r, [' continued', '\tcontinued', '  '])]),
  }),
  'cl-te': (r, id) => {
    const hs = pick(r, [
      ['Content-Length: 4', 'Transfer-Encoding: chunked'],
      ['Transfer-Encoding: chunked', 'Content-Length: 40'],
      ['Content-Length: 4', 'Content-Length: 40'],
      ['Content-Length: 4', 'Content-Length: 4'],
      ['Content-Length: -1'],
      ['Content-Length: 4x'],
      ['Content-Length: 99999999999999999999'],
      ['Content-Length: 4, 40'],
      ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'],
      ['Transfer-Encoding: xchunked'],
      ['Transfer-Encoding: chunked, identity'],
      ['Transfer-Encoding : chunked'],
      ['Transfer-Encoding: \x0bchunked'],
    ]);
    const body = `0\r\n\r\n${SMUGGLE}`;
    return { text: req(id, 'POST', '/clte', hs, body) };
  },
  chunks: (r, id) => {
    const body = pick(r, [
      'ffffffffffffffffffff\r\nx\r\n0\r\n\r\n',
      'ffffffff\r\nabc',
      '1g\r\nx\r\n0\r\n\r\n',
      '3\r\nabcdef\r\n0\r\n\r\n',
      '3;ext=1\r\nabc\r\n0\r\n\r\n',
      '3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n',
      '-1\r\nx\r\n',
      '3\r\nabc',
      ' 3\r\nabc\r\n0\r\n\r\n',
      '3\nabc\n0\n\n',
    ]);
    return { text: req(id, 'POST', '/chunks', ['Transfer-Encoding: chunked'], body) };
  },
  'behind-bad': (r, id) => ({
    text: pick(r, [
      req(id, 'GET', '/%zz', []),
      req(id, 'GET', '/ok', []) + 'GARBAGE\r\n\r\n',
      req(id, 'GET', '/ok', [], '', 'HTTP/1.0'),
      req(id, 'GET', '/ok', ['Connection: close']),
    ]),
  }),
  'absolute-form': (r, id) => {
    const target = pick(r, [
      'http://h/admin/x',
      'HTTP://H:8080/pub',
      'https://h/admin',
      'ftp://h/a',
      'http:///a',
      'http://u@h/a',
      'http://h:99999/a',
      'http://h',
      'http://[::1]:80/admin/y',
      'http://h?x',
    ]);
    const expectPool = /\/\/[^/]*\/admin/i.test(target) ? 'adm' : undefined;
    return { text: req(id, 'GET', target, []), expectPool };
  },
  host: (r, id) => {
    const variants = [
      'GET /host HTTP/1.1\r\nHost: a\r\nHost: b\r\n',
      'GET /host HTTP/1.1\r\nHost: a\r\nhost: a\r\n',
      'GET /host HTTP/1.1\r\nHost:\r\n',
      'GET /host HTTP/1.1\r\nHost: a b\r\n',
      'GET /host HTTP/1.1\r\nHost: a/b\r\n',
      'GET /host HTTP/1.1\r\nHost: u@a\r\n',
      'GET /host HTTP/1.1\r\nHost: [::1\r\n',
      `GET /host HTTP/1.1\r\nHost: ${'h'.repeat(int(r, 200, 1000))}\r\n`,
      'GET /host HTTP/1.1\r\n',
      'GET /host HTTP/1.0\r\n',
      'GET /host HTTP/1.1\r\nHost: a:80:80\r\n',
    ];
    return { text: `${pick(r, variants)}X-Case: ${id}\r\n\r\n` };
  },
  'path-tricks': (r, id) => {
    const admin = r() < 0.6;
    const logical = admin
      ? pick(r, ['/admin', '/admin/secret', '/admin/a/b'])
      : pick(r, ['/pub', '/pub/admin', '/adminx', '/a/admin']);
    return { text: req(id, 'GET', spell(r, logical), []), expectPool: admin ? 'adm' : 'main' };
  },
  'path-invalid': (r, id) => ({
    text: req(
      id,
      'GET',
      pick(r, [
        '/../admin',
        '/%2561dmin',
        '/a%00',
        '/a%zz',
        '/a#b',
        '/%c0%ae%c0%ae/admin',
        '/' + 's'.repeat(300),
        '/a'.repeat(300),
        '/%u002e%u002e/admin',
      ]),
      [],
    ),
  }),
  methods: (r, id) => ({
    text: pick(r, [
      `CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nX-Case: ${id}\r\n\r\n`,
      `OPTIONS * HTTP/1.1\r\nHost: t\r\nX-Case: ${id}\r\n\r\n`,
      req(id, 'TRACE', '/m', []),
      req(id, 'FOO', '/m', []),
      req(id, 'HEAD', '/m', []),
      req(id, 'PROPFIND', '/m', []),
    ]),
  }),
  upgrade: (r, id) => ({
    text: req(
      id,
      'GET',
      '/up',
      pick(r, [
        ['Connection: upgrade'],
        ['Connection: Upgrade', 'Upgrade: h2c'],
        ['Upgrade: websocket'],
        ['Connection: upgrade', 'Upgrade: websocket'],
      ]),
    ),
  }),
  truncated: (r, id) => {
    const full = req(id, pick(r, METHODS), '/trunc', ['Content-Length: 10'], '0123456789');
    return { text: full.slice(0, int(r, 1, full.length - 1)) };
  },
  bodies: (r, id) => ({
    text: pick(r, [
      req(id, 'GET', '/b', ['Content-Length: 5'], 'hello'),
      req(id, 'POST', '/b', ['Expect: 100-continue', 'Content-Length: 5'], 'hello'),
      req(id, 'POST', '/b', ['Content-Length: 50'], 'short'),
      req(id, 'POST', '/b', [], 'no length'),
    ]),
  }),
  'byte-flip': (r, id) => {
    const base = Buffer.from(req(id, pick(r, METHODS), '/flip/x', ['Content-Length: 4', 'X-A: b'], 'body'), 'latin1');
    const flips = int(r, 1, 4);
    for (let i = 0; i < flips; i++) base[int(r, 0, base.length - 1)] = int(r, 0, 255);
    return { text: base.toString('latin1') };
  },
};

/** `count` cases from `seed`, classes in round robin so every class gets its share. */
export function generateCases(seed: number, count: number): FuzzCase[] {
  const r = rng(seed);
  const names = Object.keys(CLASSES);
  const out: FuzzCase[] = [];
  for (let id = 0; id < count; id++) {
    const cls = names[id % names.length]!;
    const { text, expectPool } = CLASSES[cls]!(r, id);
    out.push({ id, cls, bytes: Buffer.from(text + marker(id), 'latin1'), expectPool });
  }
  return out;
}

// The Host a request is for: its syntax (HTTP.SYS answers 400 Invalid Hostname for a Host it cannot parse — a
// space, a `/`, userinfo, an empty value, a bad port) and the name routing matches on (lower-cased, without port).
// Node's parser accepts any field value as Host, so this is checked here, before routing.

/** uri-host [ ":" port ], where uri-host is an IP-literal in brackets, or a reg-name / IPv4 address. */
export function isValidHost(h: string): boolean {
  const n = h.length;
  if (n === 0 || n > 255 + 6) return false;
  let i = 0;
  if (h.charCodeAt(0) === 91) {
    // [IPv6] (or [v1.x]): hex digits, ':', '.', then ']'.
    const close = h.indexOf(']');
    if (close < 3) return false;
    for (i = 1; i < close; i++) {
      const c = h.charCodeAt(i) | 0x20;
      if (!((c >= 48 && c <= 58) || (c >= 97 && c <= 102) || c === 46 || c === 118)) return false;
    }
    i = close + 1;
  } else {
    for (; i < n; i++) {
      const c = h.charCodeAt(i);
      if (c === 58) break;
      if (!REG_NAME[c]) return false;
    }
    if (i === 0) return false;
  }
  if (i === n) return true;
  if (h.charCodeAt(i) !== 58) return false;
  // An empty port is allowed by RFC 3986 (`host:`); digits only, at most 5.
  const port = n - i - 1;
  if (port > 5) return false;
  for (let j = i + 1; j < n; j++) {
    const c = h.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** reg-name characters: unreserved, sub-delims and '%' (pct-encoded). */
const REG_NAME: boolean[] = (() => {
  const t: boolean[] = new Array<boolean>(128).fill(false);
  for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%") {
    t[ch.charCodeAt(0)] = true;
  }
  return t;
})();

/** The name routing and the cache compare: lower-cased, port removed. */
export function hostName(host: string): string {
  let name = host;
  if (host.charCodeAt(0) === 91) name = host.slice(0, host.indexOf(']') + 1);
  else {
    const i = host.indexOf(':');
    if (i !== -1) name = host.slice(0, i);
  }
  return name.toLowerCase();
}

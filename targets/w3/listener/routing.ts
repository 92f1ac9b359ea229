// The routing table: host + path prefix → application → pool. Longest matching prefix wins; an application with a
// host only matches that host; no match → 404 from the listener. Matching runs on the canonical path
// (request-target.ts), case-insensitively for ASCII letters and on segment boundaries, as HTTP.SYS matches its URL
// registrations: `/ADMIN/x`, `/%61dmin/x` and `/x/../admin/x` all belong to the application at `/admin`.
// Each route also counts the requests it has in progress (appConcurrentRequestLimit, see listener.ts).
import type { ApplicationConfig } from '../config/types';

export interface Route {
  readonly app: ApplicationConfig;
  readonly pool: string;
  /** The prefix, ASCII-lower-cased. */
  readonly prefix: string;
  /** Requests of this application in progress (admitted and not yet finished). */
  active: number;
}

export class RoutingTable {
  private readonly routes: Route[];

  constructor(apps: ApplicationConfig[]) {
    // Host-specific routes before host-agnostic ones; longer prefixes first.
    this.routes = [...apps]
      .sort((a, b) => Number(b.host !== null) - Number(a.host !== null) || b.path.length - a.path.length)
      .map((app) => ({ app, pool: app.pool, prefix: asciiLower(app.path), active: 0 }));
  }

  /** `host`: the lower-cased host name without port ('' when none); `path`: the canonical path. */
  match(host: string, path: string): Route | null {
    for (const r of this.routes) {
      if (r.app.host !== null && r.app.host !== host) continue;
      if (pathMatches(path, r.prefix)) return r;
    }
    return null;
  }
}

/** `prefix` is lower-cased; `path` canonical. "/api" matches "/api", "/api/x", "/API/x" but not "/apix". */
export function pathMatches(path: string, prefix: string): boolean {
  if (prefix === '/') return path.charCodeAt(0) === 47;
  const n = prefix.length;
  if (path.length < n) return false;
  for (let i = 0; i < n; i++) {
    let c = path.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return path.length === n || path.charCodeAt(n) === 47;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
}

// The routing table: host + path prefix → application → pool. Longest matching prefix wins; an application with a
// host only matches that host; no match → 404 from the listener.
import type { ApplicationConfig } from '../config/types';

export interface Route {
  app: ApplicationConfig;
  pool: string;
}

export class RoutingTable {
  private readonly routes: ApplicationConfig[];

  constructor(apps: ApplicationConfig[]) {
    // Host-specific routes before host-agnostic ones; longer prefixes first.
    this.routes = [...apps].sort(
      (a, b) => Number(b.host !== null) - Number(a.host !== null) || b.path.length - a.path.length,
    );
  }

  match(hostHeader: string | undefined, url: string): Route | null {
    const host = hostHeader ? stripPort(hostHeader).toLowerCase() : '';
    for (const app of this.routes) {
      if (app.host !== null && app.host.toLowerCase() !== host) continue;
      if (pathMatches(url, app.path)) return { app, pool: app.pool };
    }
    return null;
  }
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const i = host.indexOf(':');
  return i === -1 ? host : host.slice(0, i);
}

export function pathMatches(url: string, prefix: string): boolean {
  if (prefix === '/') return url.startsWith('/');
  if (!url.startsWith(prefix)) return false;
  const next = url.charCodeAt(prefix.length);
  // End of URL, '/', '?' or '#': "/api" matches "/api/x" and "/api?q" but not "/apix".
  return Number.isNaN(next) || next === 47 || next === 63 || next === 35;
}

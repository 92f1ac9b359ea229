import { RoutingTable, pathMatches } from './routing';
import { parseTarget } from './request-target';
import type { ApplicationConfig, ListenerLimits } from '../config/types';

const app = (path: string, pool: string, host: string | null = null): ApplicationConfig => ({
  path,
  host,
  pool,
  module: '/x.js',
  command: null,
  cwd: '/',
  env: {},
  healthPath: null,
});
const limits: ListenerLimits = {
  maxFieldLength: 16384,
  maxRequestBytes: 16384,
  urlSegmentMaxLength: 260,
  urlSegmentMaxCount: 255,
  maxUrlLength: 16384,
  maxConnections: 0,
  appConcurrentRequestLimit: 5000,
};

describe('RoutingTable', () => {
  const table = new RoutingTable([
    app('/', 'main'),
    app('/admin', 'adm'),
    app('/Api/V2', 'v2'),
    app('/', 'other-host', 'b.example'),
  ]);
  const poolFor = (url: string, host = 'a.example'): string | null => {
    const t = parseTarget(url, limits);
    return t === null ? 'rejected' : (table.match(host, t.path)?.pool ?? null);
  };

  it.each([
    ['/admin', 'adm'],
    ['/admin/secret', 'adm'],
    ['/x/../admin/secret', 'adm'],
    ['/%61dmin/secret', 'adm'],
    ['/ADMIN/x', 'adm'],
    ['/AdMiN', 'adm'],
    ['//admin/x', 'adm'],
    ['/x\\..\\admin', 'adm'],
    ['/adm%69n/x', 'adm'],
    ['/admin%2fsecret', 'adm'],
    ['/admin/../x', 'main'],
    ['/adminx', 'main'],
    ['/admin.', 'main'],
    ['/api/v2/items', 'v2'],
    ['/%2561dmin/x', 'rejected'],
    ['/../admin', 'rejected'],
  ])('%s → %s', (url, pool) => {
    expect(poolFor(url)).toBe(pool);
  });

  it('host-specific applications win for their host only', () => {
    expect(poolFor('/admin', 'b.example')).toBe('other-host');
    expect(poolFor('/admin', 'c.example')).toBe('adm');
  });

  it('no application for the path → null (404)', () => {
    const only = new RoutingTable([app('/api', 'a')]);
    expect(only.match('h', '/other')).toBeNull();
  });
});

describe('pathMatches', () => {
  it('matches on segment boundaries, ASCII case-insensitively', () => {
    expect(pathMatches('/api', '/api')).toBe(true);
    expect(pathMatches('/API/x', '/api')).toBe(true);
    expect(pathMatches('/apix', '/api')).toBe(false);
    expect(pathMatches('/ap', '/api')).toBe(false);
    // Only ASCII letters fold: the Kelvin sign is not a "k".
    expect(pathMatches('/\u212Aey', '/key')).toBe(false);
    expect(pathMatches('*', '/')).toBe(false);
  });
});

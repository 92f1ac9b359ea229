// Rules that span fields or list entries and so cannot live on one field's schema: unique pool names, pool
// references, unique (host, path) bindings, module XOR command, and the command-mode constraints. Pure: works on
// the structurally typed parse result and returns issues with paths, so schema.ts can report them through zod.

export interface CrossCheckIssue {
  path: (string | number)[];
  message: string;
}

/** What the checks read; the parse result of schema.ts has (at least) this shape. */
export interface CrossCheckInput {
  listen: { host: string; port: number; transport?: string };
  admin: { tcp?: { host: string; port: number } | null | undefined };
  pools: { name: string }[];
  applications: {
    path: string;
    host?: string | null | undefined;
    pool: string;
    module?: string | undefined;
    command?: string[] | undefined;
    env?: Record<string, string> | undefined;
    healthPath?: string | undefined;
  }[];
}

/** "/api/" and "/api" are the same binding: the router matches on segment boundaries either way. */
export function normaliseAppPath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** Host names are case-insensitive; null means "any host". */
export function normaliseHost(h: string | null | undefined): string | null {
  return h == null ? null : h.toLowerCase();
}

export function crossCheck(cfg: CrossCheckInput): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  const poolIndex = new Map<string, number>();
  cfg.pools.forEach((pool, i) => {
    const first = poolIndex.get(pool.name);
    if (first !== undefined) add(['pools', i, 'name'], `duplicate pool name "${pool.name}" (also pools.${first}.name)`);
    else poolIndex.set(pool.name, i);
  });
  const poolNames = [...poolIndex.keys()].join(', ');

  const bindings = new Map<string, number>();
  const appsPerPool = new Map<string, number[]>();
  cfg.applications.forEach((app, i) => {
    const hasModule = app.module !== undefined;
    const hasCommand = app.command !== undefined;
    if (hasModule === hasCommand) {
      add(
        ['applications', i],
        hasModule ? 'has both "module" and "command"; use exactly one' : 'needs exactly one of "module" or "command"',
      );
    }

    if (!poolIndex.has(app.pool)) add(['applications', i, 'pool'], `no pool named "${app.pool}" (pools: ${poolNames})`);
    appsPerPool.set(app.pool, [...(appsPerPool.get(app.pool) ?? []), i]);

    const host = normaliseHost(app.host);
    const key = `${host ?? '*'} ${normaliseAppPath(app.path)}`;
    const first = bindings.get(key);
    if (first !== undefined) {
      add(
        ['applications', i, 'path'],
        `duplicate binding: host ${host === null ? '(any)' : `"${host}"`} path "${app.path}" ` +
          `(also applications.${first})`,
      );
    } else bindings.set(key, i);

    if (hasCommand && !hasModule && app.env?.['PORT'] !== undefined) {
      add(['applications', i, 'env', 'PORT'], 'PORT is set by w3 for command applications; remove it');
    }
    if (hasModule && !hasCommand && app.healthPath !== undefined) {
      add(['applications', i, 'healthPath'], 'healthPath applies to command applications only');
    }
  });

  // In command mode the worker process IS the program, so a second application in the same pool would have no
  // process to run in.
  cfg.applications.forEach((app, i) => {
    if (app.command === undefined || app.module !== undefined) return;
    const shared = (appsPerPool.get(app.pool) ?? []).filter((j) => j !== i);
    if (shared.length > 0) {
      add(
        ['applications', i, 'pool'],
        `pool "${app.pool}" also serves ${shared.map((j) => `applications.${j}`).join(', ')}; ` +
          'a command application needs a pool of its own',
      );
    }
  });

  const tcp = cfg.admin.tcp;
  if (tcp && tcp.port !== 0 && tcp.port === cfg.listen.port && tcp.host === cfg.listen.host) {
    add(['admin', 'tcp', 'port'], `admin port ${tcp.port} is the public listener's port`);
  }
  return issues;
}

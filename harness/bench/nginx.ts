// nginx as the reference reverse proxy (Debian's package): finds or installs it, and runs it in the foreground on a
// generated config in a temp dir (1 worker, upstream keep-alive, access log off) in front of a given upstream port.
// Missing nginx is not an error of the bench: ensureNginx() returns the reason and the caller records a skip.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startProcess, sleep, type ManagedProcess, type ProcessRegistry } from './managed-process';
import { canConnect, freePort } from './ports';
import { tempDir, type StartedServer } from './servers';

export type NginxAvailability =
  | { available: true; bin: string; version: string; installedNow: boolean; installLog?: string }
  | { available: false; reason: string; installLog?: string };

const APT_TIMEOUT_MS = 300_000;

function findNginx(): string | null {
  const dirs = ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin', ...(process.env['PATH'] ?? '').split(':')];
  for (const d of dirs) {
    if (!d) continue;
    const f = path.join(d, 'nginx');
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      /* not here */
    }
  }
  return null;
}

function nginxVersion(bin: string): string {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  return (r.stderr || r.stdout || '').trim();
}

function apt(args: string[]): { ok: boolean; log: string } {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const outcome = r.error ? r.error.message : `exit ${r.status}`;
  const log = `$ apt-get ${args.join(' ')} → ${outcome}\n${(r.stderr ?? '').slice(-1500)}`;
  return { ok: !r.error && r.status === 0, log };
}

/** Finds nginx; when absent installs nginx-light (then nginx), running `apt-get update` only if the first try fails. */
export function ensureNginx(progress: (msg: string) => void): NginxAvailability {
  const found = findNginx();
  if (found) return { available: true, bin: found, version: nginxVersion(found), installedNow: false };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return {
      available: false,
      reason: 'nginx is not installed and the bench is not running as root (apt-get needs root)',
    };
  }
  const logs: string[] = [];
  const tryInstall = (): boolean => {
    for (const pkg of ['nginx-light', 'nginx']) {
      progress(`installing ${pkg} with apt-get ...`);
      const r = apt(['install', '-y', '--no-install-recommends', pkg]);
      logs.push(r.log);
      if (r.ok && findNginx()) return true;
    }
    return false;
  };
  let ok = tryInstall();
  if (!ok) {
    progress('apt-get install failed; running apt-get update and retrying ...');
    const u = apt(['update']);
    logs.push(u.log);
    ok = tryInstall();
  }
  const bin = findNginx();
  const installLog = logs.join('\n');
  if (!ok || !bin)
    return { available: false, reason: 'nginx could not be installed with apt-get (see installLog)', installLog };
  return { available: true, bin, version: nginxVersion(bin), installedNow: true, installLog };
}

export function nginxConfig(dir: string, upstreamPort: number, listenPort: number, asRoot: boolean): string {
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    ...(asRoot ? ['user root;'] : []),
    `error_log ${path.join(dir, 'error.log')} warn;`,
    `pid ${path.join(dir, 'nginx.pid')};`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    // Temp paths inside our dir so nothing is written to (or needed from) the system's /var/lib/nginx.
    `  client_body_temp_path ${path.join(dir, 'client_body')};`,
    `  proxy_temp_path ${path.join(dir, 'proxy')};`,
    `  upstream u { server 127.0.0.1:${upstreamPort}; keepalive 64; }`,
    `  server {`,
    `    listen 127.0.0.1:${listenPort};`,
    '    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** (d) nginx (foreground, 1 worker) proxying to 127.0.0.1:upstreamPort. */
export async function startNginxProxy(
  bin: string,
  upstreamPort: number,
  registry: ProcessRegistry,
): Promise<StartedServer> {
  const dir = tempDir('w3lab-bench-nginx-', registry);
  const port = await freePort();
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig(dir, upstreamPort, port, asRoot));
  let proc: ManagedProcess | undefined;
  const stop = async (how: 'stop' | 'kill'): Promise<void> => {
    if (proc) await (how === 'stop' ? proc.stop('SIGTERM', 5000) : proc.kill());
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    proc = startProcess('nginx', bin, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], registry);
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (proc.exited()) {
        let log = '';
        try {
          log = fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
        } catch {
          /* none */
        }
        throw new Error(`nginx exited at start:\n${proc.tail()}\n${log}`);
      }
      if (Date.now() > deadline) throw new Error(`nginx did not accept on ${port} within 10 s:\n${proc.tail()}`);
      await sleep(50);
    }
    // Remember the worker process now, so stop() can make sure it is gone too.
    proc.snapshotDescendants();
    const started = proc;
    return {
      name: 'nginx',
      url: `http://127.0.0.1:${port}`,
      port,
      processes: [started],
      stop: () => stop('stop'),
      kill: () => stop('kill'),
    };
  } catch (err) {
    await stop('kill');
    throw err;
  }
}

// The programs a peer needs that do not come with npm (nginx, HAProxy, Debian's Python with Gunicorn): found on the
// PATH or in the usual Debian places, else a TargetError that says exactly what to install. Nothing is installed
// behind the user's back here; scripts/ensure-peers.sh installs them with apt (as root), the way
// scripts/ensure-docker.sh installs Docker, and CI runs it.
import fs from 'node:fs';
import path from 'node:path';
import { TargetError } from './errors';

const DEBIAN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Absolute path of `name` (PATH first, then the Debian locations), or undefined. */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : undefined;
  const dirs = [...(env['PATH'] ?? '').split(':').filter(Boolean), ...DEBIAN_DIRS];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The binary, or LAB_ERR_TARGET_MISSING naming the Debian package and the script that installs it. */
export function requireBinary(target: string, name: string, aptPackage: string): string {
  const found = findBinary(name);
  if (found) return found;
  throw new TargetError(
    'LAB_ERR_TARGET_MISSING',
    `${target}: "${name}" is not installed. Install it with \`apt-get install -y ${aptPackage}\` (as root), or run ` +
      '`bash scripts/ensure-peers.sh`, which installs every peer the lab needs.',
  );
}

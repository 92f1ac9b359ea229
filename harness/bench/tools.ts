// External programs the benchmarks compare against or load with (wrk, HAProxy): found on PATH or in the usual sbin
// folders. A missing program is not an error of the bench: the caller records a skipped column with the reason,
// which names the exact Debian package to install (the bench does not install packages behind the user's back).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type ToolAvailability = { available: true; bin: string; version: string } | { available: false; reason: string };

export interface ToolSpec {
  /** Executable name. */
  name: string;
  /** Debian package that provides it. */
  debianPackage: string;
  /** Arguments that print the version (stdout or stderr). */
  versionArgs: string[];
}

export function findExecutable(name: string, pathEnv = process.env['PATH'] ?? ''): string | null {
  const dirs = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', ...pathEnv.split(':')];
  for (const d of dirs) {
    if (!d) continue;
    const f = path.join(d, name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      /* not here */
    }
  }
  return null;
}

export function installHint(spec: ToolSpec): string {
  const cmd = `apt-get install -y ${spec.debianPackage}`;
  return `${spec.name} is not installed; install it with \`${cmd}\` (Debian/Ubuntu) and re-run`;
}

export function findTool(spec: ToolSpec): ToolAvailability {
  const bin = findExecutable(spec.name);
  if (!bin) return { available: false, reason: installHint(spec) };
  const r = spawnSync(bin, spec.versionArgs, { encoding: 'utf8', timeout: 5000 });
  const version = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  return { available: true, bin, version };
}

export const WRK: ToolSpec = { name: 'wrk', debianPackage: 'wrk', versionArgs: ['--version'] };
export const HAPROXY: ToolSpec = { name: 'haproxy', debianPackage: 'haproxy', versionArgs: ['-v'] };

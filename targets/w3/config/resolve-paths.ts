// Turns the paths a config file names into absolute ones and checks them against the file system at load time,
// so a typo is reported as `applications.0.module: ...` when w3 starts rather than as a crash loop of workers
// that trips rapid-fail protection minutes later.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

export type Resolved = { ok: true; path: string } | { ok: false; message: string };

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function looksLikePath(spec: string): boolean {
  return path.isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..';
}

/**
 * The absolute file a worker will `require()` for an in-process module: a file relative to baseDir, else whatever
 * Node resolution finds from baseDir (extension-less paths, folders with index.js or package.json "main",
 * installed packages). Node built-ins are refused: they are not request listeners.
 */
export function resolveModule(spec: string, baseDir: string): Resolved {
  const direct = path.resolve(baseDir, spec);
  if (isFile(direct)) return { ok: true, path: direct };
  // createRequire, not require.resolve: resolution must start at the config's folder, not at this module.
  const requireFromBase = createRequire(path.join(baseDir, '__w3_config__.js'));
  try {
    const found = requireFromBase.resolve(looksLikePath(spec) ? direct : spec);
    if (!path.isAbsolute(found))
      return { ok: false, message: `"${spec}" is a Node built-in, not an application module` };
    return { ok: true, path: found };
  } catch {
    return {
      ok: false,
      message: looksLikePath(spec)
        ? `module file not found: ${direct}`
        : `module not found: no file ${direct} and no package "${spec}" resolvable from ${baseDir}`,
    };
  }
}

export function resolveDirectory(dir: string, baseDir: string): Resolved {
  const abs = path.resolve(baseDir, dir);
  return isDirectory(abs) ? { ok: true, path: abs } : { ok: false, message: `directory not found: ${abs}` };
}

// sun_path is 108 bytes on Linux and 104 on macOS, including the terminating NUL. Longer paths fail at listen()
// with an error that does not mention the length.
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

export function resolveSocketPath(socket: string, baseDir: string): Resolved {
  const abs = path.resolve(baseDir, socket);
  const bytes = Buffer.byteLength(abs);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return {
      ok: false,
      message:
        `socket path ${abs} is ${bytes} bytes; Unix sockets allow at most ${MAX_SOCKET_PATH_BYTES} ` +
        '(use a shorter absolute path)',
    };
  }
  return { ok: true, path: abs };
}

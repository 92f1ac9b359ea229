// Host paths in a target's generated configuration, adapted for the target's image: the image holds the repository
// (its built parts and apps) under /opt/w3lab, so application modules, working folders and command arguments inside
// the repository map there (toContainerPath); files the server writes (HTTPERR log) go to the container's writable
// run folder and are copied into the run folder when the target stops. A path the image cannot have is a settings
// error naming the field, raised before any container starts.
import path from 'node:path';
import { toContainerPath, W3_CONTAINER_RUN_DIR } from '../runtimes';
import { isPlainObject, type PlainObject } from './deep-merge';
import { TargetError } from './errors';
import type { CopyOut } from './container-host';

/** A repository path as the image has it; a settings error naming `at` otherwise. */
export function imagePath(hostPath: string, at: string, root?: string): string {
  try {
    return toContainerPath(hostPath, root);
  } catch (err) {
    throw new TargetError('LAB_ERR_TARGET_SETTINGS', `${at}: ${(err as Error).message} (runtime "container")`, { cause: err });
  }
}

const mapArg = (arg: string, at: string, root?: string): string => (path.isAbsolute(arg) ? imagePath(arg, at, root) : arg);

/**
 * The generated w3 config (host paths) for the w3 image: application module / cwd / command paths mapped into the
 * image, the HTTPERR log in the container's run folder (copied to `hostRunDir` at stop). listen and admin are set
 * by the runtime (containerizeW3Config).
 */
export function w3ConfigForContainer(config: PlainObject, hostRunDir: string, root?: string): { config: PlainObject; copyOut: CopyOut[] } {
  const copyOut: CopyOut[] = [];
  const apps = Array.isArray(config['applications']) ? (config['applications'] as unknown[]) : [];
  const applications = apps.map((a, i) => {
    if (!isPlainObject(a)) return a;
    const at = `settings.config.applications.${i}`;
    const out: PlainObject = { ...a };
    if (typeof a['module'] === 'string' && path.isAbsolute(a['module'])) out['module'] = imagePath(a['module'], `${at}.module`, root);
    if (typeof a['cwd'] === 'string') out['cwd'] = mapArg(a['cwd'], `${at}.cwd`, root);
    if (Array.isArray(a['command'])) {
      // The host's node binary is not a repository file; the image has `node` on its PATH.
      out['command'] = (a['command'] as unknown[]).map((arg, j) =>
        typeof arg !== 'string' ? arg : arg === process.execPath ? 'node' : mapArg(arg, `${at}.command.${j}`, root),
      );
    }
    return out;
  });
  const logging: PlainObject = isPlainObject(config['logging']) ? { ...config['logging'] } : {};
  const httpErrLog = logging['httpErrLog'];
  if (typeof httpErrLog === 'string') {
    const name = path.basename(httpErrLog);
    const inside = path.posix.join(W3_CONTAINER_RUN_DIR, name);
    logging['httpErrLog'] = inside;
    copyOut.push({ from: inside, to: path.join(hostRunDir, name) });
  }
  return { config: { ...config, applications, logging }, copyOut };
}

// Host paths in a target's generated configuration, adapted for the target's image: files the lab image holds map
// under /opt/w3lab, every other application path (an app anywhere on the machine, with its node_modules) maps into
// the application folder that goes into the image on top of it (container-app-dirs.ts); files the server writes
// (HTTPERR log) go to the container's writable run folder and are copied into the run folder when the target
// stops. A path that does not exist is a settings error naming the field, raised before any image is built.
import fs from 'node:fs';
import path from 'node:path';
import { W3_CONTAINER_RUN_DIR, type AppDir } from '../runtimes';
import { isPlainObject, type PlainObject } from './deep-merge';
import { appFolderOf, ImagePaths, type PathRequest } from './container-app-dirs';
import type { CopyOut } from './container-host';

/** A module given as a path (not a package name): absolute after the scenario loader resolved ./ and ../ . */
const isModulePath = (m: string): boolean => path.isAbsolute(m);

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * An absolute command argument travels into the image when it is a repository file, or a file of a Node project
 * (a package.json above it); other absolute arguments (/usr/bin/python3, --flags) are left as they are. Files of
 * a command app without a package.json are reached through its `cwd` folder.
 */
function commandArgRequest(arg: string, at: string, repoRoot: string): PathRequest | null {
  if (!path.isAbsolute(arg) || !isFile(arg)) return null;
  const rel = path.relative(repoRoot, arg);
  const inRepo = !rel.startsWith('..') && !path.isAbsolute(rel);
  if (inRepo || fs.existsSync(path.join(appFolderOf(arg, 'file', repoRoot), 'package.json')))
    return { hostPath: arg, at, kind: 'file' };
  return null;
}

function pathRequests(apps: unknown[], repoRoot: string): PathRequest[] {
  const requests: PathRequest[] = [];
  apps.forEach((a, i) => {
    if (!isPlainObject(a)) return;
    const at = `settings.config.applications.${i}`;
    if (typeof a['module'] === 'string' && isModulePath(a['module']))
      requests.push({ hostPath: a['module'], at: `${at}.module`, kind: 'file' });
    if (typeof a['cwd'] === 'string' && path.isAbsolute(a['cwd']))
      requests.push({ hostPath: a['cwd'], at: `${at}.cwd`, kind: 'dir' });
    if (Array.isArray(a['command'])) {
      (a['command'] as unknown[]).forEach((arg, j) => {
        const r =
          typeof arg === 'string' && arg !== process.execPath
            ? commandArgRequest(arg, `${at}.command.${j}`, repoRoot)
            : null;
        if (r) requests.push(r);
      });
    }
  });
  return requests;
}

export interface ContainerConfig {
  config: PlainObject;
  copyOut: CopyOut[];
  /** Application folders the image must get on top of the lab image. */
  appDirs: AppDir[];
}

/**
 * The generated w3 config (host paths) for the w3 image: application module / cwd / command paths mapped into the
 * image, the HTTPERR log in the container's run folder (copied to `hostRunDir` at stop). listen and admin are set
 * by the runtime (containerizeW3Config). `imageIncludes` is what the lab image holds of `root`.
 */
export function w3ConfigForContainer(
  config: PlainObject,
  hostRunDir: string,
  root: string,
  imageIncludes: readonly string[],
): ContainerConfig {
  const copyOut: CopyOut[] = [];
  const apps = Array.isArray(config['applications']) ? (config['applications'] as unknown[]) : [];
  const paths = new ImagePaths(root, imageIncludes, pathRequests(apps, root));
  const applications = apps.map((a, i) => {
    if (!isPlainObject(a)) return a;
    const at = `settings.config.applications.${i}`;
    const out: PlainObject = { ...a };
    if (typeof a['module'] === 'string' && isModulePath(a['module']))
      out['module'] = paths.map(a['module'], `${at}.module`);
    if (typeof a['cwd'] === 'string' && path.isAbsolute(a['cwd'])) out['cwd'] = paths.map(a['cwd'], `${at}.cwd`);
    if (Array.isArray(a['command'])) {
      // The host's node binary is not an application file; the image has `node` on its PATH.
      out['command'] = (a['command'] as unknown[]).map((arg) =>
        typeof arg !== 'string'
          ? arg
          : arg === process.execPath
            ? 'node'
            : path.isAbsolute(arg)
              ? (paths.tryMap(arg) ?? arg)
              : arg,
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
  return { config: { ...config, applications, logging }, copyOut, appDirs: paths.appDirs() };
}

/** One app module for an image (node-cluster): its path inside, and the folder the image needs for it, if any. */
export function appModuleForContainer(
  hostApp: string,
  at: string,
  root: string,
  imageIncludes: readonly string[],
): { app: string; appDirs: AppDir[] } {
  const paths = new ImagePaths(root, imageIncludes, [{ hostPath: hostApp, at, kind: 'file' }]);
  return { app: paths.map(hostApp, at), appDirs: paths.appDirs() };
}

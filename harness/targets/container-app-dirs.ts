// Where a target's host paths live inside its container image. The lab image holds part of the repository under
// /opt/w3lab (its `include` list: dist/, bin/, targets/apps/, production node_modules, ...); every other path an
// application needs — an app anywhere on the machine, or in the repository outside what the image holds — belongs
// to an application folder that goes into the image on top of it (runtimes/app-image.ts):
//   - the application folder of a path is the nearest folder above it with a package.json (the app's own
//     package, so its node_modules come along), except the lab's own repository; without one, the folder of the
//     file itself (or the folder itself, for a cwd);
//   - folders inside another planned folder are part of it; each folder gets /srv/apps/<its name> (made unique);
//   - the file system root, the home folder and the temp folder are refused as application folders (the app
//     file lies loose in them: the whole folder would go to the engine).
// Paths that do not exist are settings errors naming the field, raised before anything is built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTAINER_APPS_ROOT, W3_CONTAINER_ROOT, type AppDir } from '../runtimes';
import { TargetError } from './errors';

export interface PathRequest {
  hostPath: string;
  /** The settings field, for messages (e.g. settings.config.applications.0.module). */
  at: string;
  kind: 'file' | 'dir';
}

function within(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function settingsError(at: string, message: string): TargetError {
  return new TargetError('LAB_ERR_TARGET_SETTINGS', `${at}: ${message} (runtime "container")`);
}

/** The application folder a path belongs to (see the header). */
export function appFolderOf(hostPath: string, kind: 'file' | 'dir', repoRoot: string): string {
  const start = kind === 'dir' ? hostPath : path.dirname(hostPath);
  for (let d = start; ; d = path.dirname(d)) {
    if (d === repoRoot) break;
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) break;
  }
  return start;
}

export class ImagePaths {
  private readonly folders: AppDir[] = [];

  /**
   * @param repoRoot the lab repository on this machine
   * @param imageIncludes what of it the image holds (relative paths, as in the image spec's `include`)
   */
  constructor(
    private readonly repoRoot: string,
    private readonly imageIncludes: readonly string[],
    requests: readonly PathRequest[],
  ) {
    const wanted: string[] = [];
    for (const r of requests) {
      const p = path.resolve(r.hostPath);
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        throw settingsError(r.at, `${p} does not exist`);
      }
      if (r.kind === 'dir' ? !st.isDirectory() : !st.isFile())
        throw settingsError(r.at, `${p} is not a ${r.kind === 'dir' ? 'folder' : 'file'}`);
      if (this.inImage(p)) continue;
      const folder = appFolderOf(p, r.kind, repoRoot);
      const refused = [path.parse(folder).root, os.homedir(), os.tmpdir()].map((x) => path.resolve(x));
      if (refused.includes(folder)) {
        throw settingsError(
          r.at,
          `${p} lies directly in ${folder}, which cannot go into an image whole: put the app in a folder of its own`,
        );
      }
      wanted.push(folder);
    }
    // Outermost first, so a folder inside another joins it.
    const names = new Set<string>();
    for (const folder of [...new Set(wanted)].sort((a, b) => a.length - b.length)) {
      if (this.folders.some((f) => within(f.hostDir, folder))) continue;
      const base =
        path
          .basename(folder)
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .replace(/^[.-]+/, '') || 'app';
      let name = base;
      for (let i = 2; names.has(name); i++) name = `${base}-${i}`;
      names.add(name);
      this.folders.push({ hostDir: folder, containerDir: path.posix.join(CONTAINER_APPS_ROOT, name) });
    }
  }

  private inImage(p: string): boolean {
    if (!within(this.repoRoot, p)) return false;
    const rel = path.relative(this.repoRoot, p).split(path.sep).join('/');
    return this.imageIncludes.some((inc) => rel === inc || rel.startsWith(`${inc}/`));
  }

  /** The application folders to add to the image (empty when everything is in the lab image). */
  appDirs(): AppDir[] {
    return [...this.folders];
  }

  /** The path inside the image of a host path, or null when it is neither in the image nor in an app folder. */
  tryMap(hostPath: string): string | null {
    const p = path.resolve(hostPath);
    if (this.inImage(p)) return path.posix.join(W3_CONTAINER_ROOT, ...path.relative(this.repoRoot, p).split(path.sep));
    const f = this.folders.find((x) => within(x.hostDir, p));
    return f ? path.posix.join(f.containerDir, ...path.relative(f.hostDir, p).split(path.sep).filter(Boolean)) : null;
  }

  /** Like tryMap, for a path that was requested (always mapped). */
  map(hostPath: string, at: string): string {
    const mapped = this.tryMap(hostPath);
    if (mapped === null) throw settingsError(at, `${hostPath} was not planned into the image`);
    return mapped;
  }
}

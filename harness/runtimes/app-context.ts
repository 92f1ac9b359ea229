// The user's application folders as part of an image build context, for apps that are not in the lab's image (an
// app anywhere on the machine, with its own node_modules). Each folder is placed under `apps/<name>/` of a fresh
// context with hard links (no data copied on the same filesystem), and fingerprinted from file metadata so a
// cached image is reused until something in the folder changes. What the container needs differs from a plain
// copy in three ways:
//   - the server runs as uid 1000 and the image files belong to root: every folder is made 0755 and a file that
//     others cannot read (0600 from an editor, 0700 from mkdtemp) is copied with read (and execute) bits added;
//   - a symlink pointing inside the folder stays a symlink; one pointing outside (npm link, a global store) is
//     replaced by what it points to, since the outside does not exist in the image;
//   - `.git` is left out; a folder with more than MAX_APP_ENTRIES entries is refused as a probable mistake (an app
//     file straight in a home folder would otherwise send the whole home folder to the engine).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A host folder and where the image holds it. */
export interface AppDir {
  hostDir: string;
  /** Absolute path inside the image, e.g. /srv/apps/my-app. */
  containerDir: string;
}

export const MAX_APP_ENTRIES = 200_000;
const SKIPPED_NAMES = new Set(['.git']);

export class AppContextError extends Error {
  readonly code = 'LAB_ERR_APP_CONTEXT';
}

interface Entry {
  /** Path relative to the app folder, '/'-separated. */
  rel: string;
  /** The file or folder to read (a symlink pointing outside is followed to its target). */
  source: string;
  kind: 'dir' | 'file' | 'symlink';
  stat: fs.BigIntStats;
  /** For kept symlinks: the link text. */
  link?: string;
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Every entry of an app folder as the image will have it, in a stable order. */
export function listAppEntries(hostDir: string, maxEntries = MAX_APP_ENTRIES): Entry[] {
  const root = fs.realpathSync(hostDir);
  const out: Entry[] = [];
  const visiting = new Set<string>();
  const visit = (source: string, rel: string): void => {
    if (out.length > maxEntries) {
      throw new AppContextError(
        `application folder ${hostDir} has more than ${maxEntries} files and folders: ` +
          'put the app in a folder of its own',
      );
    }
    const lst = fs.lstatSync(source, { bigint: true });
    if (lst.isSymbolicLink()) {
      const link = fs.readlinkSync(source);
      const target = path.resolve(path.dirname(source), link);
      let real: string;
      try {
        real = fs.realpathSync(target);
      } catch {
        return; // dangling on the host too: nothing to place
      }
      if (!path.isAbsolute(link) && inside(root, real)) {
        out.push({ rel, source, kind: 'symlink', stat: lst, link });
        return;
      }
      return visitReal(real, rel);
    }
    visitReal(source, rel);
  };
  const visitReal = (source: string, rel: string): void => {
    const st = fs.statSync(source, { bigint: true });
    if (st.isDirectory()) {
      const real = fs.realpathSync(source);
      if (visiting.has(real)) return; // a link cycle
      visiting.add(real);
      if (rel !== '') out.push({ rel, source, kind: 'dir', stat: st });
      for (const name of fs.readdirSync(source).sort()) {
        if (SKIPPED_NAMES.has(name)) continue;
        visit(path.join(source, name), rel ? `${rel}/${name}` : name);
      }
      visiting.delete(real);
    } else if (st.isFile()) {
      out.push({ rel, source, kind: 'file', stat: st });
    }
    // sockets, fifos, devices: not application files
  };
  visit(root, '');
  return out;
}

/**
 * Fingerprint of app folders from names, kinds, sizes, modes, link texts and modification times (reading every
 * byte of a node_modules would take longer than the build it saves); `extra` adds the base image.
 */
export function hashAppDirs(dirs: AppDir[], extra = ''): string {
  const h = crypto.createHash('sha256');
  h.update(`${extra}\0`);
  for (const d of dirs) {
    h.update(`app\0${d.containerDir}\0`);
    for (const e of listAppEntries(d.hostDir)) {
      const meta = e.kind === 'symlink' ? e.link : `${e.stat.size}:${e.stat.mode}:${e.stat.mtimeNs}`;
      h.update(`${e.kind}\0${e.rel}\0${meta}\0`);
    }
  }
  return h.digest('hex');
}

const OTHERS_READ = 0o004;

function placeFile(e: Entry, dest: string): void {
  const mode = Number(e.stat.mode & 0o777n);
  if ((mode & OTHERS_READ) !== 0) {
    try {
      fs.linkSync(e.source, dest);
      return;
    } catch {
      /* another filesystem: copied below */
    }
  }
  fs.copyFileSync(e.source, dest);
  // Readable by the server's uid; executable for all when the owner could execute it.
  fs.chmodSync(dest, mode | 0o444 | ((mode & 0o100) !== 0 ? 0o111 : 0));
}

/** Places each app folder under `<contextDir>/<contextPath(d)>`. */
export function stageAppDirs(contextDir: string, dirs: AppDir[], contextPath: (d: AppDir) => string): void {
  for (const d of dirs) {
    const base = path.join(contextDir, contextPath(d));
    fs.mkdirSync(base, { recursive: true, mode: 0o755 });
    fs.chmodSync(base, 0o755);
    for (const e of listAppEntries(d.hostDir)) {
      const dest = path.join(base, ...e.rel.split('/'));
      if (e.kind === 'dir') {
        fs.mkdirSync(dest, { mode: 0o755 });
        fs.chmodSync(dest, 0o755); // whatever the umask
      } else if (e.kind === 'symlink') fs.symlinkSync(e.link!, dest);
      else placeFile(e, dest);
    }
  }
}

// Build contexts for the lab's images: a pruned copy of the repository with the same layout (so the Dockerfiles
// also work against the repository root), holding only what the image needs and the production node_modules,
// and a content hash of those inputs so an image is rebuilt only when something in it changed.
// Production packages are read from package-lock.json ("dev" / "devOptional" entries are left out) rather than by
// running `npm ls`, which is slower and needs npm inside the lab.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BuildContextSpec {
  /** Repository root. */
  root: string;
  /** Dockerfile, relative to root; copied into the context as `Dockerfile`. */
  dockerfile: string;
  /** Files and folders (relative to root) the image copies. `node_modules` means the production packages. */
  include: string[];
  /** Anything else that must change the hash (e.g. the base image id). */
  extraHashInput?: string;
}

const NOT_NEEDED_AT_RUNTIME = /\.(d\.ts|d\.mts|d\.cts|map|md|markdown)$|^(CHANGELOG|HISTORY)(\..*)?$/i;

/** Paths (relative to root) of the installed packages that are not dev-only, per package-lock.json. */
export function productionPackages(root: string): string[] {
  const lockFile = path.join(root, 'package-lock.json');
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as {
    packages?: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  if (!lock.packages) throw new Error(`${lockFile} has no "packages" section (lockfileVersion >= 2 needed)`);
  return Object.entries(lock.packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev && !meta.devOptional)
    .map(([p]) => p)
    .filter((p) => fs.existsSync(path.join(root, p)))
    .sort();
}

function walk(
  dir: string,
  onFile: (file: string, st: fs.Stats) => void,
  skip?: (name: string, depth: number) => boolean,
  depth = 0,
): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (skip?.(entry.name, depth)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, onFile, skip, depth + 1);
    else if (entry.isFile() || entry.isSymbolicLink()) onFile(full, fs.statSync(full));
  }
}

/**
 * Hash of the image inputs: contents of every included file except node_modules, which is represented by
 * package-lock.json (its packages are pinned there) plus the list of installed production packages.
 */
export function hashBuildInputs(spec: BuildContextSpec): string {
  const h = crypto.createHash('sha256');
  const add = (label: string, data: string | Buffer): void => {
    h.update(label);
    h.update('\0');
    h.update(data);
    h.update('\0');
  };
  add('Dockerfile', fs.readFileSync(path.join(spec.root, spec.dockerfile)));
  add('extra', spec.extraHashInput ?? '');
  for (const inc of [...spec.include].sort()) {
    if (inc === 'node_modules') {
      add('lock', fs.readFileSync(path.join(spec.root, 'package-lock.json')));
      add('prod', productionPackages(spec.root).join('\n'));
      continue;
    }
    const full = path.join(spec.root, inc);
    if (!fs.existsSync(full)) throw new Error(`build input ${full} is missing (run \`npm run build\`?)`);
    if (fs.statSync(full).isDirectory()) {
      walk(full, (file) => add(path.relative(spec.root, file), fs.readFileSync(file)));
    } else add(inc, fs.readFileSync(full));
  }
  return h.digest('hex');
}

/**
 * Places a file tree into the context: hard links where possible (same filesystem: no data copied, which makes
 * staging tens of thousands of node_modules files take well under a second), copies otherwise.
 * `skip` is asked for each entry's path relative to `from`.
 */
function linkTree(from: string, to: string, skip?: (rel: string) => boolean, rel = ''): void {
  const st = fs.lstatSync(path.join(from, rel));
  const dest = path.join(to, rel);
  if (st.isDirectory()) {
    fs.mkdirSync(dest, { recursive: true });
    for (const name of fs.readdirSync(path.join(from, rel))) {
      const child = rel ? path.join(rel, name) : name;
      if (!skip?.(child)) linkTree(from, to, skip, child);
    }
  } else if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(path.join(from, rel)), dest);
  } else if (st.isFile()) {
    try {
      fs.linkSync(path.join(from, rel), dest);
    } catch {
      fs.copyFileSync(path.join(from, rel), dest);
    }
  }
}

/** Stages the inputs in a fresh temporary folder and returns it; the caller removes it. */
export function stageBuildContext(spec: BuildContextSpec): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-build-'));
  fs.copyFileSync(path.join(spec.root, spec.dockerfile), path.join(dir, 'Dockerfile'));
  for (const inc of spec.include) {
    if (inc === 'node_modules') {
      // A package's own nested node_modules may hold dev-only packages: each package is placed without it, and
      // the nested production packages come as entries of their own from the lockfile.
      // Type declarations, source maps and docs are a third of the bytes and never loaded at run time.
      const skip = (rel: string): boolean => rel === 'node_modules' || NOT_NEEDED_AT_RUNTIME.test(path.basename(rel));
      for (const pkg of productionPackages(spec.root)) linkTree(path.join(spec.root, pkg), path.join(dir, pkg), skip);
      continue;
    }
    linkTree(path.join(spec.root, inc), path.join(dir, inc));
  }
  return dir;
}

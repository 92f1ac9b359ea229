// Lab images, built locally with testcontainers from targets/*/Dockerfile on the registry-free base image, and
// cached by content: the tag is `w3lab/<name>:<hash of the build inputs>`, so an image is rebuilt only when dist/,
// the Dockerfile, the lockfile, the apps or the base image changed. After a build, older tags of the same name are
// removed except the newest three (best effort: an image a container still uses stays). Builds of the same image
// are serialised across processes (Jest workers) with a lock folder.
import { importOptional } from '../optional-package';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { hashBuildInputs, stageBuildContext } from './build-context';
import { localBaseImage, prepareTestcontainersEnv } from './docker-env';

export interface ImageSpec {
  /** Short name; the image is tagged w3lab/<name>:<hash>. */
  name: string;
  /** Dockerfile relative to the repository root. */
  dockerfile: string;
  /** Inputs relative to the repository root (`node_modules` = production packages only). */
  include: string[];
}

export const W3_IMAGE: ImageSpec = {
  name: 'w3',
  dockerfile: 'targets/w3/Dockerfile',
  include: ['package.json', 'bin', 'dist', 'targets/apps', 'node_modules'],
};

export const NODE_CLUSTER_IMAGE: ImageSpec = {
  name: 'node-cluster',
  dockerfile: 'targets/peers/node-cluster/Dockerfile',
  include: ['package.json', 'dist', 'targets/apps', 'targets/peers/node-cluster', 'node_modules'],
};

export interface EnsureImageOptions {
  /** Base image (build arg BASE_IMAGE); default: the local base for this node (w3lab/node-base:<version>). */
  baseImage?: string;
  root?: string;
  /** Build even when the tag exists. */
  force?: boolean;
  log?: (msg: string) => void;
}

export interface BuiltImage {
  tag: string;
  hash: string;
  /** False when the cached tag was reused. */
  built: boolean;
  /** Time spent (hashing, and building when built). */
  durationMs: number;
}

export class ImageBuildError extends Error {
  readonly code = 'LAB_ERR_IMAGE_BUILD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Serialises builds of one image name across processes (a lock folder in the temp dir, freed if its owner died). */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const dir = path.join(os.tmpdir(), `w3lab-image-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try {
          process.kill(owner, 0);
        } catch {
          alive = false;
        }
      }
      if (!alive) fs.rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new ImageBuildError(`timed out waiting for the image build lock ${dir}`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Returns the image for `spec`, building it when no image with the current input hash exists. */
export async function ensureImage(spec: ImageSpec, opts: EnsureImageOptions = {}): Promise<BuiltImage> {
  prepareTestcontainersEnv();
  const started = Date.now();
  const tc = await importOptional('testcontainers', 'the container runtime', () => import('testcontainers'));
  const client = await tc.getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const root = opts.root ?? repoRoot();
  const baseImage = opts.baseImage ?? localBaseImage();
  let baseId = '';
  try {
    baseId = (await docker.getImage(baseImage).inspect()).Id;
  } catch {
    // Not local: fine for registry images (the build pulls it); the local base must exist.
    if (baseImage.startsWith('w3lab/')) {
      throw new ImageBuildError(`base image ${baseImage} is missing: run scripts/ensure-docker.sh first`);
    }
  }
  const hash = hashBuildInputs({
    root,
    dockerfile: spec.dockerfile,
    include: spec.include,
    extraHashInput: `${baseImage}@${baseId}`,
  }).slice(0, 16);
  const tag = `w3lab/${spec.name}:${hash}`;
  const exists = async (): Promise<boolean> => {
    try {
      await docker.getImage(tag).inspect();
      return true;
    } catch {
      return false;
    }
  };
  if (!opts.force && (await exists())) return { tag, hash, built: false, durationMs: Date.now() - started };

  return withLock(spec.name, async () => {
    if (!opts.force && (await exists())) return { tag, hash, built: false, durationMs: Date.now() - started };
    opts.log?.(`building image ${tag} from ${spec.dockerfile} on ${baseImage}`);
    const t0 = Date.now();
    const context = stageBuildContext({ root, dockerfile: spec.dockerfile, include: spec.include });
    opts.log?.(`staged the build context in ${Date.now() - t0} ms`);
    let ok = false;
    try {
      await tc.GenericContainer.fromDockerfile(context, 'Dockerfile')
        .withBuildArgs({ BASE_IMAGE: baseImage })
        .build(tag, { deleteOnExit: false });
      ok = true;
    } catch (err) {
      throw new ImageBuildError(
        `building ${tag} failed (${(err as Error).message}); the context is kept for inspection: ` +
          `docker build --build-arg BASE_IMAGE=${baseImage} ${context}`,
        { cause: err },
      );
    } finally {
      if (ok) fs.rmSync(context, { recursive: true, force: true });
    }
    await removeOlderTags(docker, spec.name, tag);
    const durationMs = Date.now() - started;
    opts.log?.(`built ${tag} in ${durationMs} ms`);
    return { tag, hash, built: true, durationMs };
  });
}

/**
 * Keeps the newest few tags of an image name (a concurrent run may still be about to start one of them; images a
 * container uses cannot be removed anyway) and removes the older ones, best effort.
 */
export async function removeOlderTags(
  docker: import('dockerode'),
  name: string,
  keep: string,
  keepNewest = 3,
): Promise<void> {
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [`w3lab/${name}`] }) });
  const old = images
    .sort((a, b) => b.Created - a.Created)
    .slice(keepNewest)
    .flatMap((img) => img.RepoTags ?? [])
    .filter((t) => t !== keep);
  for (const t of old) {
    try {
      await docker.getImage(t).remove();
    } catch {
      /* in use by a container, or removed by someone else */
    }
  }
}

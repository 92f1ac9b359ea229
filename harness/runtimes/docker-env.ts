// The Docker side of the container runtime's environment: runs scripts/ensure-docker.sh (install, start dockerd,
// build the registry-free node base image) and sets the testcontainers settings that make it work offline.
// Nothing here runs at import time; callers decide when Docker is needed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';

export interface DockerAvailability {
  ok: boolean;
  /** The base image ensure-docker.sh made or found (w3lab/node-base:<node version>). */
  baseImage?: string;
  /** Why Docker is unavailable (the script's error lines), when !ok. */
  reason?: string;
  /** Everything the script printed. */
  output: string;
  durationMs: number;
}

/** Base image tag for the node running this process (what ensure-docker.sh builds for it). */
export function localBaseImage(): string {
  return `w3lab/node-base:${process.versions.node}`;
}

/**
 * Whether the Docker engine runs on this machine: DOCKER_HOST unset (the default socket), a Unix socket or named
 * pipe, or TCP to a loopback address. Another machine's engine publishes ports on that machine.
 */
export function engineIsLocal(dockerHost: string | undefined = process.env.DOCKER_HOST): boolean {
  if (!dockerHost || /^(unix|npipe):\/\//.test(dockerHost)) return true;
  const m = /^(?:tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)/.exec(dockerHost);
  if (!m) return false; // ssh:// and anything else: another machine
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * testcontainers settings for machines without a registry: no Ryuk (its image cannot be pulled; the lab removes
 * its containers by label) and, for a local engine, a fixed host (otherwise it may start alpine to find the
 * gateway); for a remote engine testcontainers takes the host from DOCKER_HOST. Values the user set explicitly win.
 */
export function prepareTestcontainersEnv(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  if (engineIsLocal(env.DOCKER_HOST)) env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

/**
 * Runs scripts/ensure-docker.sh synchronously (it serialises concurrent callers itself). Never throws: a machine
 * where Docker cannot run yields { ok: false, reason }.
 */
export function ensureDocker(opts: { timeoutMs?: number } = {}): DockerAvailability {
  const started = Date.now();
  const script = path.join(repoRoot(), 'scripts', 'ensure-docker.sh');
  const r = spawnSync('bash', [script], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    env: { ...process.env, W3LAB_NODE: process.execPath },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const durationMs = Date.now() - started;
  if (r.error || r.status !== 0) {
    const errLines = (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '');
    const reason = r.error
      ? `ensure-docker.sh could not run: ${r.error.message}`
      : errLines.filter((l) => l.includes('ERROR')).join('; ') || errLines.slice(-3).join('; ') || `exit ${r.status}`;
    return { ok: false, reason, output, durationMs };
  }
  const m = /^BASE_IMAGE=(\S+)$/m.exec(r.stdout ?? '');
  prepareTestcontainersEnv();
  return { ok: true, baseImage: m?.[1] ?? localBaseImage(), output, durationMs };
}

export class DockerUnavailableError extends Error {
  readonly code = 'LAB_ERR_DOCKER';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * For `--runtime container`: makes Docker answer (fast when it already does) and returns the base image; throws
 * DockerUnavailableError with the script's reason otherwise.
 */
export function requireDocker(opts: { timeoutMs?: number } = {}): { baseImage: string } {
  const d = ensureDocker(opts);
  if (!d.ok) {
    throw new DockerUnavailableError(
      `the container runtime needs a Docker engine: ${d.reason} (see scripts/README-containers.md)`,
      d.output,
    );
  }
  return { baseImage: d.baseImage ?? localBaseImage() };
}

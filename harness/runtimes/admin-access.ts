// How the harness reaches w3's admin API when w3 runs in a container. Two ways:
//   - "socket" (direct): w3's admin socket is created in a host folder bind-mounted into the container, and the
//     harness speaks to it with the ordinary admin client — one local connection per call, milliseconds;
//   - "exec" (fallback): one `docker exec` + `node -e` per call (container-admin.ts) — hundreds of ms under load;
//     forced with W3LAB_CONTAINER_ADMIN=exec.
// The direct way needs the bind-mounted folder to be on this machine: an engine reached through DOCKER_HOST on
// another machine mounts *its* folder, so there the plan is "exec" from the start. On a local engine the socket is
// probed once w3 is up; when it does not answer (a host user that may not open the container user's 0600 socket,
// an engine in a VM that cannot share sockets) the run falls back to exec and says why.
// Folder layout: a private temp folder (0700, the harness's user) holding one world-writable folder `s` that is
// mounted at W3_CONTAINER_ADMIN_DIR, so the container's user (uid 1000) can create its socket there while no
// other host user can reach it. Never in the run folder: that one is zipped and reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../../targets/w3/admin/admin-client';
import { ContainerAdminClient } from './container-admin';
import { engineIsLocal } from './docker-env';
import type { StartedContainerHandle } from './container-types';

/** Mount point of the host folder inside the container (w3's admin.socket is placed in it). */
export const W3_CONTAINER_ADMIN_DIR = '/run/w3-admin';
const SOCKET_NAME = 'admin.sock';

export type AdminAccessMode = 'socket' | 'exec';

/** The admin API, whichever way it is reached. */
export interface AdminRequester {
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
}

/** Decided before the container starts (it needs the mount), confirmed or downgraded once w3 is up. */
export interface AdminAccessPlan {
  mode: AdminAccessMode;
  /** The admin socket as w3 sees it inside the container. */
  containerSocket: string;
  /** Host folder to bind-mount at W3_CONTAINER_ADMIN_DIR (mode "socket" only). */
  bind?: { source: string; target: string };
  /** The same socket on the host (mode "socket" only). */
  hostSocket?: string;
  /** Why the plan is "exec", when it is. */
  reason?: string;
  /** Removes the host folder (idempotent; call after the container is gone). */
  cleanup(): void;
}

export interface AdminAccess {
  mode: AdminAccessMode;
  client: AdminRequester;
  /** Why the direct socket is not used, when mode is "exec". */
  reason?: string;
}

/** Forces the exec path for every w3 container of this process ("exec"), e.g. to compare the two, or "auto". */
export const ENV_PREFER = 'W3LAB_CONTAINER_ADMIN';

export class AdminAccessError extends Error {
  readonly code = 'LAB_ERR_CONTAINER_ADMIN';
}

function preferenceFromEnv(env: NodeJS.ProcessEnv = process.env): 'auto' | 'exec' {
  const v = env[ENV_PREFER];
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'exec') return 'exec';
  throw new AdminAccessError(`${ENV_PREFER}=${v}: expected "auto" or "exec"`);
}

/**
 * Plans the admin path for a w3 container: the direct socket on a local engine unless `prefer` is "exec"; exec
 * otherwise. `fallbackSocket` is where the socket goes when there is no mount (the image's own /run/w3).
 */
export function planAdminAccess(
  fallbackSocket: string,
  opts: { prefer?: 'auto' | 'exec'; dockerHost?: string | undefined; tmpDir?: string } = {},
): AdminAccessPlan {
  const exec = (reason: string): AdminAccessPlan => ({
    mode: 'exec',
    containerSocket: fallbackSocket,
    reason,
    cleanup: () => undefined,
  });
  const prefer = opts.prefer ?? preferenceFromEnv();
  if (prefer === 'exec') return exec(`exec requested (${ENV_PREFER}=exec)`);
  const dockerHost = 'dockerHost' in opts ? opts.dockerHost : process.env.DOCKER_HOST;
  if (!engineIsLocal(dockerHost)) {
    return exec(`the Docker engine (${dockerHost}) is on another machine: a bind-mounted socket would be there`);
  }
  let root: string;
  try {
    root = fs.mkdtempSync(path.join(opts.tmpDir ?? os.tmpdir(), 'w3lab-admin-'));
  } catch (err) {
    return exec(`no temp folder for the admin socket: ${(err as Error).message}`);
  }
  const shared = path.join(root, 's');
  fs.mkdirSync(shared);
  // chmod after mkdir: the umask must not narrow it. The 0700 parent keeps other host users out.
  fs.chmodSync(shared, 0o777);
  const hostSocket = path.join(shared, SOCKET_NAME);
  if (Buffer.byteLength(hostSocket) > 100) {
    fs.rmSync(root, { recursive: true, force: true });
    return exec(`the temp folder's path is too long for a Unix socket (${hostSocket})`);
  }
  return {
    mode: 'socket',
    containerSocket: path.posix.join(W3_CONTAINER_ADMIN_DIR, SOCKET_NAME),
    bind: { source: shared, target: W3_CONTAINER_ADMIN_DIR },
    hostSocket,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The admin client for a started w3 container following the plan: the direct socket when it answers GET /health
 * (tried for up to `probeMs`: w3 may bind it just after its ready line), else exec with the reason.
 */
export async function connectAdmin(
  plan: AdminAccessPlan,
  container: Pick<StartedContainerHandle, 'exec' | 'name'>,
  opts: { faultToken?: string; probeMs?: number } = {},
): Promise<AdminAccess> {
  const execClient = (): ContainerAdminClient =>
    new ContainerAdminClient(container, { socketPath: plan.containerSocket, faultToken: opts.faultToken });
  if (plan.mode === 'exec' || !plan.hostSocket) return { mode: 'exec', client: execClient(), reason: plan.reason };
  const direct = new AdminClient({ socketPath: plan.hostSocket, faultToken: opts.faultToken, timeoutMs: 10_000 });
  const deadline = Date.now() + (opts.probeMs ?? 5_000);
  let lastError: string;
  for (;;) {
    try {
      await direct.request('GET', '/health');
      return { mode: 'socket', client: direct };
    } catch (err) {
      lastError = (err as Error).message;
      // Only a socket not there yet is worth waiting for; a refused permission will not change.
      const code = ((err as { cause?: NodeJS.ErrnoException }).cause ?? {}).code;
      if (code !== 'ENOENT' || Date.now() > deadline) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { mode: 'exec', client: execClient(), reason: `the bind-mounted admin socket did not answer: ${lastError}` };
}

// How the harness reaches a control API inside a container (w3's admin API, node-cluster's control endpoint)
// without publishing it. Two ways:
//   - "socket" (direct): the server creates its Unix socket in a host folder bind-mounted into the container, and
//     the harness speaks to it like to a local process — one local connection per call, milliseconds;
//   - "exec" (fallback): one `docker exec` + `node -e` per call (container-admin.ts) — hundreds of ms under load;
//     forced with W3LAB_CONTAINER_ADMIN=exec.
// The direct way needs the bind-mounted folder to be on this machine: an engine reached through DOCKER_HOST on
// another machine mounts *its* folder, so there the plan is "exec" from the start. On a local engine the socket is
// probed once the server is up; when it does not answer (a host user that may not open the container user's
// socket, an engine in a VM that cannot share sockets) the run falls back to exec and says why.
// The folder is a private temp one with an owner record (socket-folder.ts), never the run folder: that one is
// zipped and reported.
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../../targets/w3/admin/admin-client';
import { ContainerAdminClient } from './container-admin';
import { engineIsLocal } from './docker-env';
import { makeSocketFolder, type SocketFolderOwner } from './socket-folder';
import type { StartedContainerHandle } from './container-types';

/** Mount point of the host folder inside a w3 container (w3's admin.socket is placed in it). */
export const W3_CONTAINER_ADMIN_DIR = '/run/w3-admin';
const W3_SOCKET_NAME = 'admin.sock';

export type AdminAccessMode = 'socket' | 'exec';

/** The admin API, whichever way it is reached. */
export interface AdminRequester {
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
}

/** Decided before the container starts (it needs the mount), confirmed or downgraded once the server is up. */
export interface SocketAccessPlan {
  mode: AdminAccessMode;
  /** The socket as the server sees it inside the container (mode "socket"; for w3 always, see AdminAccessPlan). */
  containerSocket?: string;
  /** Host folder to bind-mount (mode "socket" only). */
  bind?: { source: string; target: string };
  /** The same socket on the host (mode "socket" only). */
  hostSocket?: string;
  /** Why the plan is "exec", when it is. */
  reason?: string;
  /** Removes the host folder (idempotent; call after the container is gone). */
  cleanup(): void;
}

/** w3's plan: in mode "exec" the socket is the image's own (w3's config always names one). */
export interface AdminAccessPlan extends SocketAccessPlan {
  containerSocket: string;
}

export interface AdminAccess {
  mode: AdminAccessMode;
  client: AdminRequester;
  /** Why the direct socket is not used, when mode is "exec". */
  reason?: string;
}

/** Forces the exec path for every container of this process ("exec"), e.g. to compare the two, or "auto". */
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

export interface PlanOptions {
  prefer?: 'auto' | 'exec';
  dockerHost?: string | undefined;
  tmpDir?: string;
  /** Written into the folder so `w3lab clean` can tell a leftover from a live run's folder (socket-folder.ts). */
  owner?: SocketFolderOwner;
}

/**
 * Plans the path to a socket `socketName` the server will create in `mountDir` inside the container: the direct
 * socket on a local engine unless `prefer` is "exec"; exec otherwise (the caller then keeps its in-image path).
 */
export function planSocketAccess(
  o: PlanOptions & { socketName: string; mountDir: string },
): SocketAccessPlan & ({ mode: 'exec' } | { mode: 'socket'; containerSocket: string }) {
  const exec = (reason: string): SocketAccessPlan & { mode: 'exec' } => ({
    mode: 'exec',
    reason,
    cleanup: () => undefined,
  });
  const prefer = o.prefer ?? preferenceFromEnv();
  if (prefer === 'exec') return exec(`exec requested (${ENV_PREFER}=exec)`);
  const dockerHost = 'dockerHost' in o ? o.dockerHost : process.env.DOCKER_HOST;
  if (!engineIsLocal(dockerHost)) {
    return exec(`the Docker engine (${dockerHost}) is on another machine: a bind-mounted socket would be there`);
  }
  let folder: ReturnType<typeof makeSocketFolder>;
  try {
    folder = makeSocketFolder(o.tmpDir ?? os.tmpdir(), o.owner);
  } catch (err) {
    return exec(`no temp folder for the socket: ${(err as Error).message}`);
  }
  const hostSocket = path.join(folder.shared, o.socketName);
  if (Buffer.byteLength(hostSocket) > 100) {
    folder.cleanup();
    return exec(`the temp folder's path is too long for a Unix socket (${hostSocket})`);
  }
  return {
    mode: 'socket',
    containerSocket: path.posix.join(o.mountDir, o.socketName),
    bind: { source: folder.shared, target: o.mountDir },
    hostSocket,
    cleanup: () => folder.cleanup(),
  };
}

/** The admin path for a w3 container; `fallbackSocket` is where the socket goes without a mount (/run/w3). */
export function planAdminAccess(fallbackSocket: string, opts: PlanOptions = {}): AdminAccessPlan {
  const plan = planSocketAccess({ ...opts, socketName: W3_SOCKET_NAME, mountDir: W3_CONTAINER_ADMIN_DIR });
  return plan.mode === 'socket' ? plan : { ...plan, containerSocket: fallbackSocket };
}

/** The errno code of an error or of any error in its cause chain (a client may wrap the socket's error twice). */
function errnoCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whichever client the plan allows: the direct one when `probe` succeeds on it (tried for up to `probeMs`: the
 * server may bind its socket just after its ready line), else the exec one with the reason.
 */
export async function connectOverPlan<C>(
  plan: SocketAccessPlan,
  o: { direct: (hostSocket: string) => C; exec: () => C; probe: (client: C) => Promise<void>; probeMs?: number },
): Promise<{ mode: AdminAccessMode; client: C; reason?: string }> {
  if (plan.mode === 'exec' || !plan.hostSocket) return { mode: 'exec', client: o.exec(), reason: plan.reason };
  const direct = o.direct(plan.hostSocket);
  const deadline = Date.now() + (o.probeMs ?? 5_000);
  let lastError: string;
  for (;;) {
    try {
      await o.probe(direct);
      return { mode: 'socket', client: direct };
    } catch (err) {
      lastError = (err as Error).message;
      // Only a socket not there yet is worth waiting for; a refused permission will not change.
      if (errnoCode(err) !== 'ENOENT' || Date.now() > deadline) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { mode: 'exec', client: o.exec(), reason: `the bind-mounted socket did not answer: ${lastError}` };
}

/** The admin client for a started w3 container following the plan (probe: GET /health). */
export async function connectAdmin(
  plan: AdminAccessPlan,
  container: Pick<StartedContainerHandle, 'exec' | 'name'>,
  opts: { faultToken?: string; probeMs?: number } = {},
): Promise<AdminAccess> {
  return connectOverPlan<AdminRequester>(plan, {
    direct: (socketPath) => new AdminClient({ socketPath, faultToken: opts.faultToken, timeoutMs: 10_000 }),
    exec: () => new ContainerAdminClient(container, { socketPath: plan.containerSocket, faultToken: opts.faultToken }),
    probe: async (c) => void (await c.request('GET', '/health')),
    ...(opts.probeMs !== undefined ? { probeMs: opts.probeMs } : {}),
  });
}

/** What a container needs to carry a socket plan: the folder mounted, and removed with the container. */
interface PlannedSpec {
  binds?: { source: string; target: string }[];
  onRemoved?: () => void;
}

/**
 * Starts a container for `plan`: its folder bind-mounted (mode "socket") and removed with the container, or at once
 * when the container fails to start.
 */
export async function startWithPlan<S extends PlannedSpec, H>(
  plan: SocketAccessPlan,
  spec: S,
  start: (spec: S) => Promise<H>,
): Promise<H> {
  const planned: S = {
    ...spec,
    ...(plan.bind ? { binds: [...(spec.binds ?? []), plan.bind] } : {}),
    onRemoved: () => {
      spec.onRemoved?.();
      plan.cleanup();
    },
  };
  try {
    return await start(planned);
  } catch (err) {
    plan.cleanup();
    throw err;
  }
}

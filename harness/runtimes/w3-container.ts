// The w3 image's runtime contract, for whoever runs w3 with `--runtime container` (the w3 target, tests, bench):
// where the config, apps and admin socket live inside the container, how a host-side config is adapted to it, and
// a one-call start that returns the container, its endpoint and an admin client (nothing published: the admin
// socket is reached through a bind-mounted host folder, or over exec where that cannot work — admin-access.ts).
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import {
  connectAdmin,
  planAdminAccess,
  startWithPlan,
  type AdminAccessMode,
  type AdminAccessPlan,
  type AdminRequester,
} from './admin-access';
import {
  startContainer,
  type ContainerRuntime,
  type StartedContainerHandle,
  type StartContainerOptions,
} from './container-runtime';

/** Repository root inside the image (the Dockerfile's WORKDIR). */
export const W3_CONTAINER_ROOT = '/opt/w3lab';
export const W3_CONTAINER_CONFIG = '/config/w3.json';
/** The only writable folder besides /tmp, owned by uid 1000. */
export const W3_CONTAINER_RUN_DIR = '/run/w3';
export const W3_CONTAINER_ADMIN_SOCKET = `${W3_CONTAINER_RUN_DIR}/admin.sock`;
export const W3_CONTAINER_PORT = 8080;
/** The pino line w3 writes when it listens (the wait strategy). */
export const W3_READY_LOG = /"type":"HostStarted"/;

/** Maps a path inside the repository (e.g. an app module) to the same file inside the image. */
export function toContainerPath(hostPath: string, root = repoRoot()): string {
  const rel = path.relative(root, path.resolve(hostPath));
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${hostPath} is outside the repository; only files inside it are in the image`);
  }
  return path.posix.join(W3_CONTAINER_ROOT, ...rel.split(path.sep));
}

/**
 * Adapts a w3 config for the container: listens on 0.0.0.0:8080 inside (published on 127.0.0.1 outside), admin
 * socket at `adminSocket` (default /run/w3; the admin-access plan's path when the socket is bind-mounted), no TCP
 * admin. Application `module` paths must already be container paths (toContainerPath) or relative to /config.
 */
export function containerizeW3Config(
  config: Record<string, unknown>,
  adminSocket = W3_CONTAINER_ADMIN_SOCKET,
): Record<string, unknown> {
  const admin = (config.admin ?? {}) as Record<string, unknown>;
  return {
    ...config,
    listen: { host: '0.0.0.0', port: W3_CONTAINER_PORT },
    admin: { ...admin, socket: adminSocket, tcp: null },
  };
}

export interface StartW3ContainerOptions extends Omit<
  StartContainerOptions,
  'ports' | 'files' | 'waitForLog' | 'waitForHttp' | 'command' | 'role'
> {
  /** A w3 config (already containerized or not: containerizeW3Config is applied). */
  config: Record<string, unknown>;
  faultInjection?: { enabled: boolean; token: string };
  logLevel?: string;
  /** Start through this run's runtime (its stopAll() removes the container); default: a bare startContainer. */
  runtime?: ContainerRuntime;
  /**
   * How to reach the admin API: a plan made by the caller (planAdminAccess, so it can write the same config into
   * its run folder), "exec" to force the slow path, or "auto" (default: the direct socket on a local engine).
   * The host folder of the plan is removed with the container.
   */
  adminAccess?: AdminAccessPlan | 'auto' | 'exec';
}

export interface StartedW3Container {
  container: StartedContainerHandle;
  admin: AdminRequester;
  /** Which way `admin` goes: "socket" (bind-mounted, direct) or "exec" (one docker exec per call). */
  adminMode: AdminAccessMode;
  /** Why `adminMode` is "exec", when it is. */
  adminReason?: string;
  /** The admin socket on this machine (mode "socket"); its temp folder goes with the container. */
  adminHostSocket?: string;
  /** Current base URL (re-read after restart()). */
  url(): string;
}

export async function startW3Container(opts: StartW3ContainerOptions): Promise<StartedW3Container> {
  const { config, faultInjection, logLevel, runtime, adminAccess, ...rest } = opts;
  const plan =
    typeof adminAccess === 'object'
      ? adminAccess
      : planAdminAccess(W3_CONTAINER_ADMIN_SOCKET, { prefer: adminAccess ?? 'auto' });
  const command: string[] = [];
  // The token goes through the environment: a command line is visible to every user (ps).
  if (faultInjection?.enabled) command.push('--enable-faults');
  if (logLevel) command.push('--log-level', logLevel);
  const spec = {
    ...rest,
    ...(faultInjection?.enabled ? { env: { ...rest.env, W3_FAULT_TOKEN: faultInjection.token } } : {}),
    role: 'w3',
    ports: [W3_CONTAINER_PORT],
    command,
    files: [
      {
        path: W3_CONTAINER_CONFIG,
        content: JSON.stringify(containerizeW3Config(config, plan.containerSocket), null, 2),
      },
    ],
    waitForLog: W3_READY_LOG,
  };
  const container = await startWithPlan(plan, spec, (s) => (runtime ? runtime.start(s) : startContainer(s)));
  const access = await connectAdmin(plan, container, {
    ...(faultInjection?.enabled ? { faultToken: faultInjection.token } : {}),
  });
  return {
    container,
    admin: access.client,
    adminMode: access.mode,
    ...(access.reason ? { adminReason: access.reason } : {}),
    ...(access.mode === 'socket' && plan.hostSocket ? { adminHostSocket: plan.hostSocket } : {}),
    url: () => container.url(),
  };
}

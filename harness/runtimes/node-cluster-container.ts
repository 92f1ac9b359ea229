// The node-cluster image's runtime contract (targets/peers/node-cluster/Dockerfile), for the node-cluster target's
// `--runtime container`: workers listen on 0.0.0.0:8080 inside (published on 127.0.0.1), readiness is the
// primary's HostStarted line, and the control endpoint is never published: on a local engine the primary serves it
// on a Unix socket (CONTROL_SOCKET) in a host temp folder bind-mounted at /run/w3lab-control, called directly like
// a local process; otherwise (an engine elsewhere, a socket that does not answer, W3LAB_CONTAINER_ADMIN=exec) over
// one `docker exec` per call — the same choice as w3's admin API (admin-access.ts).
import { requestJson } from '../../targets/w3/admin/admin-client';
import {
  connectOverPlan,
  planSocketAccess,
  startWithPlan,
  type AdminAccessMode,
  type SocketAccessPlan,
} from './admin-access';
import { ContainerAdminClient } from './container-admin';
import {
  startContainer,
  type ContainerRuntime,
  type StartedContainerHandle,
  type StartContainerOptions,
} from './container-runtime';
import type { SocketFolderOwner } from './socket-folder';
import { W3_READY_LOG } from './w3-container';

export const NODE_CLUSTER_CONTAINER_PORT = 8080;
/** The control endpoint's port on the container's loopback when there is no mounted socket (exec plan). */
export const NODE_CLUSTER_CONTROL_PORT = 9090;
export const NODE_CLUSTER_CONTROL_DIR = '/run/w3lab-control';
const CONTROL_SOCKET_NAME = 'control.sock';

/** The control endpoint, whichever way it is reached: every status is answered, only a transport failure throws. */
export interface ControlRequester {
  requestRaw<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface StartNodeClusterContainerOptions extends Omit<
  StartContainerOptions,
  'ports' | 'waitForLog' | 'waitForHttp' | 'command' | 'role'
> {
  workers?: number;
  /** App module path inside the image (toContainerPath of a repository file). */
  app?: string;
  faultInjection?: { enabled: boolean; token: string };
  /** Start through this run's runtime (its stopAll() removes the container); default: a bare startContainer. */
  runtime?: ContainerRuntime;
  /**
   * How to reach the control endpoint: a plan made by the caller (planNodeClusterControl), "exec" to force the slow
   * path, or "auto" (default: the direct socket on a local engine). The plan's folder is removed with the container.
   */
  controlAccess?: SocketAccessPlan | 'auto' | 'exec';
}

export interface StartedNodeClusterContainer {
  container: StartedContainerHandle;
  control: ControlRequester;
  /** Which way `control` goes: "socket" (bind-mounted, direct) or "exec" (one docker exec per call). */
  controlMode: AdminAccessMode;
  /** Why `controlMode` is "exec", when it is. */
  controlReason?: string;
  /** The control socket on this machine (mode "socket"); its temp folder goes with the container. */
  controlHostSocket?: string;
  url(): string;
}

/** The control path for a node-cluster container (see planSocketAccess); `owner` goes into the folder's record. */
export function planNodeClusterControl(
  opts: { prefer?: 'auto' | 'exec'; owner?: SocketFolderOwner; tmpDir?: string } = {},
): SocketAccessPlan {
  return planSocketAccess({ ...opts, socketName: CONTROL_SOCKET_NAME, mountDir: NODE_CLUSTER_CONTROL_DIR });
}

/** The control endpoint on the host end of the bind-mounted socket. */
function directControl(socketPath: string, token: string | undefined): ControlRequester {
  return {
    async requestRaw<T>(method: string, route: string, body?: unknown) {
      const reply = await requestJson({ socketPath }, method, route, body, {
        headers: token ? { 'X-W3-Fault-Token': token } : {},
        timeoutMessage: 'control request timed out',
      });
      return { status: reply.status, body: reply.body as T };
    },
  };
}

export async function startNodeClusterContainer(
  opts: StartNodeClusterContainerOptions,
): Promise<StartedNodeClusterContainer> {
  const { workers, app, faultInjection, env, runtime, controlAccess, ...rest } = opts;
  const plan =
    typeof controlAccess === 'object' ? controlAccess : planNodeClusterControl({ prefer: controlAccess ?? 'auto' });
  const token = faultInjection?.enabled ? faultInjection.token : undefined;
  const spec = {
    ...rest,
    role: 'node-cluster',
    ports: [NODE_CLUSTER_CONTAINER_PORT],
    env: {
      ...env,
      HOST: '0.0.0.0',
      PORT: String(NODE_CLUSTER_CONTAINER_PORT),
      CONTROL_PORT: String(NODE_CLUSTER_CONTROL_PORT),
      ...(plan.containerSocket ? { CONTROL_SOCKET: plan.containerSocket } : {}),
      ...(workers !== undefined ? { WORKERS: String(workers) } : {}),
      ...(app ? { APP: app } : {}),
      ...(faultInjection?.enabled ? { W3LAB_FAULTS: '1', CONTROL_TOKEN: faultInjection.token } : {}),
    },
    waitForLog: W3_READY_LOG,
  };
  const container = await startWithPlan(plan, spec, (s) => (runtime ? runtime.start(s) : startContainer(s)));
  // The exec fallback goes where the primary listens: the mounted socket when the plan set one, else the port.
  const inside = plan.containerSocket ? { socketPath: plan.containerSocket } : { port: NODE_CLUSTER_CONTROL_PORT };
  const access = await connectOverPlan<ControlRequester>(plan, {
    direct: (socketPath) => directControl(socketPath, token),
    exec: () => new ContainerAdminClient(container, { ...inside, faultToken: token }),
    probe: async (c) => {
      const health = await c.requestRaw('GET', '/health');
      if (health.status !== 200) throw new Error(`GET /health answered HTTP ${health.status}`);
    },
  });
  return {
    container,
    control: access.client,
    controlMode: access.mode,
    ...(access.reason ? { controlReason: access.reason } : {}),
    ...(access.mode === 'socket' && plan.hostSocket ? { controlHostSocket: plan.hostSocket } : {}),
    url: () => container.url(),
  };
}

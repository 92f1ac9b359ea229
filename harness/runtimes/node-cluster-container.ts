// The node-cluster image's runtime contract (targets/peers/node-cluster/Dockerfile), for the node-cluster target's
// `--runtime container`: workers listen on 0.0.0.0:8080 inside (published on 127.0.0.1), the control endpoint stays
// on the container's loopback (reached over exec), readiness is the primary's HostStarted line.
import { ContainerAdminClient } from './container-admin';
import {
  startContainer,
  type ContainerRuntime,
  type StartedContainerHandle,
  type StartContainerOptions,
} from './container-runtime';
import { W3_READY_LOG } from './w3-container';

export const NODE_CLUSTER_CONTAINER_PORT = 8080;
export const NODE_CLUSTER_CONTROL_PORT = 9090;

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
}

export interface StartedNodeClusterContainer {
  container: StartedContainerHandle;
  control: ContainerAdminClient;
  url(): string;
}

export async function startNodeClusterContainer(
  opts: StartNodeClusterContainerOptions,
): Promise<StartedNodeClusterContainer> {
  const { workers, app, faultInjection, env, runtime, ...rest } = opts;
  const spec = {
    ...rest,
    role: 'node-cluster',
    ports: [NODE_CLUSTER_CONTAINER_PORT],
    env: {
      ...env,
      HOST: '0.0.0.0',
      PORT: String(NODE_CLUSTER_CONTAINER_PORT),
      CONTROL_PORT: String(NODE_CLUSTER_CONTROL_PORT),
      ...(workers !== undefined ? { WORKERS: String(workers) } : {}),
      ...(app ? { APP: app } : {}),
      ...(faultInjection?.enabled ? { W3LAB_FAULTS: '1', CONTROL_TOKEN: faultInjection.token } : {}),
    },
    waitForLog: W3_READY_LOG,
  };
  const container = await (runtime ? runtime.start(spec) : startContainer(spec));
  const control = new ContainerAdminClient(container, {
    port: NODE_CLUSTER_CONTROL_PORT,
    faultToken: faultInjection?.enabled ? faultInjection.token : undefined,
  });
  return { container, control, url: () => container.url() };
}

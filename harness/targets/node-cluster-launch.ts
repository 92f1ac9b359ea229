// Bringing the node-cluster peer up in either runtime, up to its HostStarted event, through its documented
// interface only (environment variables, JSON event lines, the control endpoint): as a local process (control
// endpoint on a loopback port it reports) or in its image (control endpoint on a bind-mounted socket called
// directly, or over exec where that cannot work: runtimes/admin-access.ts). Both hand back the same thing, so the
// node-cluster target above them is written once.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  NODE_CLUSTER_IMAGE,
  planNodeClusterControl,
  startNodeClusterContainer,
  type SocketAccessPlan,
} from '../runtimes';
import { startInContainer } from './container-host';
import { appModuleForContainer } from './container-paths';
import { ControlClient, type ControlReply } from './control-client';
import type { ControlTransport } from './controlled-target';
import { endpointOf } from './endpoint';
import { EventProcess } from './event-process';
import { TargetError } from './errors';
import { appModule, type NodeClusterSettings } from './node-cluster-settings';
import { ownershipRecord } from './ownership';
import { labPaths } from './repo-paths';
import { ProcessHost, type TargetHost } from './target-host';
import type { Endpoint, TargetContext } from './types';

/**
 * How long the primary has to report HostStarted, which it sends once every worker listens: at load average 25 two
 * workers forked together were not both listening after 20 s. The same 30 s as the other peers' starts.
 */
export const CLUSTER_START_TIMEOUT_MS = 30_000;

export type { ControlTransport } from './controlled-target';

export interface LaunchedCluster {
  host: TargetHost;
  control: ControlTransport;
  endpoint: Endpoint;
  app: string;
  /** Removes what the launch left outside the run folder (the control socket's temp folder); idempotent. */
  cleanup: () => void;
  /** Added to the run's targetRuntime (run.json): which way the control endpoint is reached, and why. */
  details?: Record<string, unknown>;
}

/** The primary's settings both runtimes share (the container adds its own HOST/PORT/CONTROL_PORT). */
function clusterEnv(ctx: TargetContext, s: NodeClusterSettings): Record<string, string> {
  return {
    W3LAB_RUN_ID: ctx.runId,
    WORKERS: String(s.workers),
    POOL: s.pool,
    SHUTDOWN_TIMEOUT_MS: String(s.shutdownTimeoutMs),
    RESTART_DELAY_MS: String(s.restartDelayMs),
  };
}

export async function launchClusterProcess(
  ctx: TargetContext,
  s: NodeClusterSettings,
  log: Logger,
): Promise<LaunchedCluster> {
  const paths = labPaths();
  const app = appModule(s, paths.labApp);
  if (!fs.existsSync(app))
    throw new TargetError('LAB_ERR_TARGET_SETTINGS', `node-cluster: app module ${app} does not exist`);
  const faults = ctx.faultInjection.enabled;
  if (faults && !fs.existsSync(paths.faultPreload)) {
    throw new TargetError(
      'LAB_ERR_TARGET_START',
      `node-cluster: the fault agent ${paths.faultPreload} is not built: run \`npm run build\``,
    );
  }
  if (s.memoryLimitGiB !== undefined)
    log.warn({ memoryLimitGiB: s.memoryLimitGiB }, 'memoryLimitGiB needs --runtime container; ignored');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...clusterEnv(ctx, s),
    APP: app,
    HOST: '127.0.0.1',
    PORT: '0',
    CONTROL_PORT: '0',
    CONTROL_SOCKET: '', // the lab reads the port from HostStarted; never a socket inherited from this environment
    W3LAB_FAULTS: faults ? '1' : '0',
    W3LAB_PRELOAD: paths.faultPreload,
    CONTROL_TOKEN: faults ? ctx.faultInjection.token : '',
  };
  const proc = new EventProcess({
    name: 'node-cluster',
    args: [paths.clusterPrimary],
    cwd: ctx.runDir,
    runId: ctx.runId,
    env,
    logFile: path.join(ctx.runDir, 'node-cluster.log'),
    log,
  });
  const host = new ProcessHost(proc, 'node-cluster');
  try {
    const started = await host.waitForEvent(
      (e) => e.type === 'HostStarted',
      CLUSTER_START_TIMEOUT_MS,
      'HostStarted event',
    );
    const c = started['control'] as { host?: string; port?: number } | undefined;
    if (typeof c?.port !== 'number')
      throw new TargetError(
        'LAB_ERR_TARGET_START',
        `node-cluster: HostStarted has no control port: ${JSON.stringify(started)}`,
      );
    const control = new ControlClient({
      name: 'node-cluster',
      host: c.host ?? '127.0.0.1',
      port: c.port,
      ...(faults ? { token: ctx.faultInjection.token } : {}),
    });
    return { host, control, endpoint: endpointOf(started['listen']), app, cleanup: () => undefined };
  } catch (err) {
    await host.kill();
    throw err;
  }
}

export async function launchClusterContainer(ctx: TargetContext, s: NodeClusterSettings): Promise<LaunchedCluster> {
  const paths = labPaths();
  const hostApp = appModule(s, paths.labApp);
  if (!fs.existsSync(hostApp))
    throw new TargetError('LAB_ERR_TARGET_SETTINGS', `node-cluster: app module ${hostApp} does not exist`);
  const { app, appDirs } = appModuleForContainer(
    hostApp,
    'node-cluster app module',
    paths.root,
    NODE_CLUSTER_IMAGE.include,
  );
  // Decided before the start: the direct way needs its folder mounted.
  let plan: SocketAccessPlan;
  try {
    plan = planNodeClusterControl({ owner: ownershipRecord(ctx.runId, ctx.runDir) });
  } catch (err) {
    throw new TargetError('LAB_ERR_TARGET_START', `node-cluster: ${(err as Error).message}`, { cause: err });
  }
  const { host, started } = await startInContainer(ctx, {
    name: 'node-cluster',
    image: NODE_CLUSTER_IMAGE,
    appDirs,
    startupTimeoutMs: CLUSTER_START_TIMEOUT_MS,
    ...(s.memoryLimitGiB !== undefined ? { memoryLimitGiB: s.memoryLimitGiB } : {}),
    start: (common) =>
      startNodeClusterContainer({
        ...common,
        env: clusterEnv(ctx, s),
        workers: s.workers,
        app,
        faultInjection: ctx.faultInjection,
        controlAccess: plan,
      }),
  }).catch((err: unknown) => {
    plan.cleanup();
    throw err;
  });
  try {
    await host.waitForEvent((e) => e.type === 'HostStarted', CLUSTER_START_TIMEOUT_MS, 'HostStarted event');
  } catch (err) {
    await host.kill();
    plan.cleanup();
    throw err;
  }
  const control: ControlTransport = {
    async request<T>(method: string, route: string, body?: unknown): Promise<ControlReply<T>> {
      try {
        return await started.control.requestRaw<T>(method, route, body);
      } catch (err) {
        throw new TargetError(
          'LAB_ERR_TARGET_CONTROL',
          `node-cluster control ${method} ${route}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
  };
  // The same keys as w3's admin API, so a run's record reads the same whichever target it drove.
  const details = {
    adminAccess: started.controlMode,
    ...(started.controlReason ? { adminAccessReason: started.controlReason } : {}),
  };
  ctx.log.info(
    { target: 'node-cluster', ...details },
    `node-cluster control endpoint reached over ${started.controlMode}`,
  );
  const c = started.container;
  const endpoint = { host: c.host, port: c.port(), url: c.url() };
  return { host, control, endpoint, app, cleanup: () => plan.cleanup(), details };
}

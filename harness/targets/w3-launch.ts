// Bringing w3 up in either runtime, up to its HostStarted event: the config generated into the run folder
// (w3-config.ts), then `w3lab serve` as a local process (admin API over the socket in the run folder) or the w3
// image in a container (config placed inside, paths mapped into the image, admin API reached over a bind-mounted
// socket, or over exec where the engine is elsewhere: runtimes/admin-access.ts). Both hand back the same thing, so
// the w3 target above them is written once.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { AdminClient } from '../../targets/w3/admin/admin-client';
import {
  containerizeW3Config,
  planAdminAccess,
  startW3Container,
  W3_CONTAINER_ADMIN_SOCKET,
  W3_IMAGE,
  type AdminAccessPlan,
} from '../runtimes';
import { startInContainer } from './container-host';
import type { PlainObject } from './deep-merge';
import { endpointOf } from './endpoint';
import { EventProcess } from './event-process';
import { TargetError } from './errors';
import { w3ConfigForContainer } from './container-paths';
import { ownershipRecord } from './ownership';
import { labPaths } from './repo-paths';
import { ProcessHost, type TargetHost } from './target-host';
import { buildW3Config, type W3Settings } from './w3-config';
import type { Endpoint, TargetContext } from './types';

export const W3_START_TIMEOUT_MS = 20_000;

/** w3's admin API, whichever way it is reached (AdminClient on a socket, ContainerAdminClient over exec). */
export interface AdminTransport {
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
}

export interface LaunchedW3 {
  host: TargetHost;
  admin: AdminTransport;
  endpoint: Endpoint;
  /** The config w3 runs with (as generated for this runtime). */
  config: PlainObject;
  /** Removes what the launch left outside the run folder (a temporary admin socket or its folder). */
  cleanup(): void;
  /** Added to the run's targetRuntime (run.json): which way the admin API is reached, and why. */
  details?: Record<string, unknown>;
}

export async function launchW3Process(ctx: TargetContext, settings: W3Settings, log: Logger): Promise<LaunchedW3> {
  const paths = labPaths();
  if (!fs.existsSync(paths.w3CliEntry)) {
    throw new TargetError(
      'LAB_ERR_TARGET_START',
      `w3 is not built (${paths.w3CliEntry} is missing): run \`npm run build\``,
    );
  }
  if (settings.memoryLimitGiB !== undefined)
    log.warn({ memoryLimitGiB: settings.memoryLimitGiB }, 'memoryLimitGiB needs --runtime container; ignored');
  const generated = buildW3Config(ctx.runDir, paths.labApp, settings.config);
  const cleanup = (): void => removeSocket(generated.temporarySocket, generated.adminSocket);
  const configFile = path.join(ctx.runDir, 'w3.json');
  fs.writeFileSync(configFile, JSON.stringify(generated.config, null, 2) + '\n');
  const faults = ctx.faultInjection.enabled;
  // The token goes through the environment: a command line is visible to every user (ps).
  const args = [paths.w3Cli, 'serve', '--config', configFile, ...(faults ? ['--enable-faults'] : [])];
  const proc = new EventProcess({
    name: 'w3',
    args,
    cwd: ctx.runDir,
    runId: ctx.runId,
    env: { ...process.env, W3LAB_RUN_ID: ctx.runId, ...(faults ? { W3_FAULT_TOKEN: ctx.faultInjection.token } : {}) },
    logFile: path.join(ctx.runDir, 'w3.log'),
    log,
  });
  const host = new ProcessHost(proc, 'w3');
  try {
    const started = await host.waitForEvent((e) => e.type === 'HostStarted', W3_START_TIMEOUT_MS, 'HostStarted event');
    const admin = new AdminClient({
      socketPath: generated.adminSocket,
      ...(faults ? { faultToken: ctx.faultInjection.token } : {}),
    });
    return { host, admin, endpoint: endpointOf(started['listen']), config: generated.config, cleanup };
  } catch (err) {
    await host.kill();
    cleanup();
    throw err;
  }
}

export async function launchW3Container(ctx: TargetContext, settings: W3Settings): Promise<LaunchedW3> {
  const paths = labPaths();
  const generated = buildW3Config(ctx.runDir, paths.labApp, settings.config);
  const { config, copyOut, appDirs } = w3ConfigForContainer(generated.config, ctx.runDir, paths.root, W3_IMAGE.include);
  // Decided before the start: the direct way needs its folder mounted. The folder is a temp one, never the run
  // folder (that one is zipped and reported).
  let plan: AdminAccessPlan;
  try {
    plan = planAdminAccess(W3_CONTAINER_ADMIN_SOCKET, { owner: ownershipRecord(ctx.runId, ctx.runDir) });
  } catch (err) {
    throw new TargetError('LAB_ERR_TARGET_START', `target w3: ${(err as Error).message}`, { cause: err });
  }
  // The run folder keeps the config exactly as the container gets it.
  fs.writeFileSync(
    path.join(ctx.runDir, 'w3.json'),
    JSON.stringify(containerizeW3Config(config, plan.containerSocket), null, 2) + '\n',
  );
  const started0 = startInContainer(ctx, {
    name: 'w3',
    image: W3_IMAGE,
    appDirs,
    startupTimeoutMs: W3_START_TIMEOUT_MS,
    copyOut,
    ...(settings.memoryLimitGiB !== undefined ? { memoryLimitGiB: settings.memoryLimitGiB } : {}),
    start: (common) => startW3Container({ ...common, config, faultInjection: ctx.faultInjection, adminAccess: plan }),
  });
  const { host, started } = await started0.catch((err: unknown) => {
    plan.cleanup();
    throw err;
  });
  try {
    // The container is ready once w3 logged HostStarted; the event log has it from the same line.
    await host.waitForEvent((e) => e.type === 'HostStarted', W3_START_TIMEOUT_MS, 'HostStarted event');
  } catch (err) {
    await host.kill();
    plan.cleanup();
    throw err;
  }
  const c = started.container;
  const endpoint = { host: c.host, port: c.port(), url: c.url() };
  const details = {
    adminAccess: started.adminMode,
    ...(started.adminReason ? { adminAccessReason: started.adminReason } : {}),
  };
  ctx.log.info({ target: 'w3', ...details }, `w3 admin API reached over ${started.adminMode}`);
  return { host, admin: started.admin, endpoint, config, cleanup: () => plan.cleanup(), details };
}

function removeSocket(temporary: boolean, file: string): void {
  if (!temporary) return;
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}

// Target "node-cluster": a typical Node `cluster` setup (targets/peers/node-cluster/primary.js) run as a local
// process, driven only through its documented interface — environment variables, the JSON event lines on stdout and
// the loopback control endpoint (see the README there). Capabilities: recycle (the rolling restart a SIGUSR2 would
// trigger), workers, fault injection through the primary's IPC relay to the agent preloaded into the workers,
// startup faults for the next forks, signals, events. No pool start/stop: cluster has no such thing.
// The cluster has a single group of workers; it is reported as one pool (settings.pool, default "app").
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { W3Event } from '../../targets/w3/events/event-types';
import { describeIssues, type StartupFaultSpec, type WorkerFaultSpec } from '../../faults/spec';
import { sendSignal } from '../../faults/process/signals';
import { ControlClient, errorText } from './control-client';
import { isPlainObject } from './deep-merge';
import { endpointOf } from './endpoint';
import { EventProcess } from './event-process';
import { TargetError } from './errors';
import { labPaths } from './repo-paths';
import type { Endpoint, StartedTarget, Target, TargetContext, WorkerInfo } from './types';

export const CLUSTER_START_TIMEOUT_MS = 20_000;
export const CLUSTER_STOP_GRACE_MS = 15_000;

export const nodeClusterSettingsSchema = z.strictObject({
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('the scenario\'s w3 config; only the module of the "/" application (else the first) is used as the app'),
  workers: z.number().int().min(1).max(64).default(1).describe('number of cluster workers (WORKERS)'),
  app: z.string().min(1).optional().describe('app module (a Node request listener); relative to the current directory'),
  pool: z.string().min(1).default('app').describe('pool name the workers are reported under'),
  shutdownTimeoutMs: z.number().int().nonnegative().default(5000).describe('forced kill after disconnect(); 0 = never'),
  restartDelayMs: z.number().int().nonnegative().default(0).describe('delay before re-forking a dead worker'),
});
export type NodeClusterSettings = z.output<typeof nodeClusterSettingsSchema>;

export function parseNodeClusterSettings(settings: unknown): NodeClusterSettings {
  const r = nodeClusterSettingsSchema.safeParse(settings ?? {});
  if (!r.success) throw new TargetError('LAB_ERR_TARGET_SETTINGS', `node-cluster target settings: ${describeIssues(r.error, 'settings')}`);
  return r.data;
}

/** settings.app, else the scenario's "/" application module (else its first module), else lab-app.js. */
export function appModule(s: NodeClusterSettings, labApp: string): string {
  if (s.app) return path.resolve(s.app);
  const apps = s.config?.['applications'];
  if (Array.isArray(apps)) {
    const withModule = apps.filter((a): a is Record<string, unknown> => isPlainObject(a) && typeof a['module'] === 'string');
    const chosen = withModule.find((a) => a['path'] === '/') ?? withModule[0];
    if (chosen) return path.resolve(chosen['module'] as string);
  }
  return labApp;
}

export function createNodeClusterTarget(): Target {
  return { name: 'node-cluster', setup: setupNodeCluster };
}

async function setupNodeCluster(ctx: TargetContext): Promise<StartedTarget> {
  if (ctx.runtime !== 'process') {
    throw new TargetError('LAB_ERR_TARGET_RUNTIME', `target node-cluster supports the "process" runtime only (asked for "${ctx.runtime}")`);
  }
  const s = parseNodeClusterSettings(ctx.settings);
  const paths = labPaths();
  const app = appModule(s, paths.labApp);
  if (!fs.existsSync(app)) throw new TargetError('LAB_ERR_TARGET_SETTINGS', `node-cluster: app module ${app} does not exist`);
  const faults = ctx.faultInjection.enabled;
  if (faults && !fs.existsSync(paths.faultPreload)) {
    throw new TargetError('LAB_ERR_TARGET_START', `node-cluster: the fault agent ${paths.faultPreload} is not built: run \`npm run build\``);
  }
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    W3LAB_RUN_ID: ctx.runId,
    WORKERS: String(s.workers),
    APP: app,
    POOL: s.pool,
    HOST: '127.0.0.1',
    PORT: '0',
    CONTROL_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: String(s.shutdownTimeoutMs),
    RESTART_DELAY_MS: String(s.restartDelayMs),
    W3LAB_FAULTS: faults ? '1' : '0',
    W3LAB_PRELOAD: paths.faultPreload,
    CONTROL_TOKEN: faults ? ctx.faultInjection.token : '',
  };
  const log = ctx.log.child({ target: 'node-cluster' });
  const proc = new EventProcess({
    name: 'node-cluster',
    args: [paths.clusterPrimary],
    cwd: ctx.runDir,
    env,
    logFile: path.join(ctx.runDir, 'node-cluster.log'),
    log,
  });
  let started: W3Event;
  try {
    started = await proc.waitForEvent((e) => e.type === 'HostStarted', CLUSTER_START_TIMEOUT_MS, 'HostStarted event');
  } catch (err) {
    await proc.kill();
    throw err;
  }
  const endpoint = endpointOf(started['listen']);
  const c = started['control'] as { host?: string; port?: number } | undefined;
  if (typeof c?.port !== 'number') {
    await proc.kill();
    throw new TargetError('LAB_ERR_TARGET_START', `node-cluster: HostStarted has no control port: ${JSON.stringify(started)}`);
  }
  const control = new ControlClient({ name: 'node-cluster', host: c.host ?? '127.0.0.1', port: c.port, ...(faults ? { token: ctx.faultInjection.token } : {}) });
  log.info({ pid: proc.pid, url: endpoint.url, control: c.port, workers: s.workers, app }, 'node-cluster started');
  return new StartedNodeCluster(proc, control, endpoint, s.pool, faults);
}

class StartedNodeCluster implements StartedTarget {
  readonly name = 'node-cluster';
  readonly pid: number;

  constructor(
    private readonly proc: EventProcess,
    private readonly control: ControlClient,
    readonly endpoint: Endpoint,
    private readonly pool: string,
    private readonly faultsEnabled: boolean,
  ) {
    this.pid = proc.pid;
  }

  private checkPool(pool: string | undefined): void {
    if (pool !== undefined && pool !== this.pool) {
      throw new TargetError('LAB_ERR_TARGET_CONTROL', `node-cluster has a single pool "${this.pool}" (asked for "${pool}")`);
    }
  }

  /** A control request whose non-2xx answer becomes a TargetError with `code`. */
  private async call<T>(method: string, route: string, body: unknown, code: 'LAB_ERR_TARGET_CONTROL' | 'LAB_ERR_FAULT', what: string): Promise<T> {
    const reply = await this.control.request<T>(method, route, body);
    if (reply.status < 200 || reply.status > 299) {
      throw new TargetError(code, `node-cluster: ${what} failed (HTTP ${reply.status}): ${errorText(reply.body)}`);
    }
    return reply.body;
  }

  private needFaults(what: string): void {
    if (!this.faultsEnabled) throw new TargetError('LAB_ERR_FAULT', `cannot ${what}: fault injection is not enabled for this run`);
  }

  async recycle(pool?: string): Promise<void> {
    this.checkPool(pool);
    await this.call('POST', '/recycle', undefined, 'LAB_ERR_TARGET_CONTROL', 'rolling restart');
  }

  async workers(pool?: string): Promise<WorkerInfo[]> {
    this.checkPool(pool);
    return this.call<WorkerInfo[]>('GET', '/workers', undefined, 'LAB_ERR_TARGET_CONTROL', 'listing workers');
  }

  async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.pid}`);
    await this.call('POST', `/workers/${worker.pid}/faults`, spec, 'LAB_ERR_FAULT', `injecting ${spec.kind} into worker ${worker.pid}`);
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.pid}`);
    await this.call('DELETE', `/workers/${worker.pid}/faults`, undefined, 'LAB_ERR_FAULT', `healing worker ${worker.pid}`);
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.checkPool(pool);
    this.needFaults('set a startup fault');
    if (spec === null) await this.call('DELETE', '/startup-fault', undefined, 'LAB_ERR_FAULT', 'clearing the startup fault');
    else await this.call('POST', '/startup-fault', { mode: spec.mode, count: spec.count }, 'LAB_ERR_FAULT', 'setting a startup fault');
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    if (!this.proc.owns(pid)) throw new TargetError('LAB_ERR_TARGET_CONTROL', `pid ${pid} is not a process of this node-cluster target`);
    sendSignal(pid, signal);
  }

  events(): W3Event[] {
    return this.proc.events();
  }

  stop(): Promise<void> {
    return this.proc.stop(CLUSTER_STOP_GRACE_MS);
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }
}

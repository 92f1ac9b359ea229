// Target "w3": runs `w3lab serve` as a local process on a config generated into the run folder (w3-config.ts), waits
// for its HostStarted event, and offers every capability through w3's public admin API (AdminClient over the admin
// socket): recycle, pool start/stop, worker list, fault injection, startup faults. Events come from the host's
// stdout (every event is logged as `{"event":{...}}`), so no second stream is needed and nothing is lost when the
// host dies. stop()/kill() leave no process behind (event-process.ts).
import fs from 'node:fs';
import path from 'node:path';
import { AdminClient, AdminError } from '../../targets/w3/admin/admin-client';
import type { W3Event } from '../../targets/w3/events/event-types';
import type { StartupFaultSpec, WorkerFaultSpec } from '../../faults/spec';
import { sendSignal } from '../../faults/process/signals';
import { EventProcess } from './event-process';
import { TargetError } from './errors';
import { endpointOf } from './endpoint';
import { labPaths } from './repo-paths';
import { buildW3Config, parseW3Settings } from './w3-config';
import type { Endpoint, StartedTarget, Target, TargetContext, WorkerInfo } from './types';

export const W3_START_TIMEOUT_MS = 20_000;
export const W3_STOP_GRACE_MS = 15_000;

interface PoolSnapshot {
  name: string;
  state: string;
  workers: { id: number; pid: number; state: string; requests?: number }[];
}

export function createW3Target(): Target {
  return { name: 'w3', setup: setupW3 };
}

async function setupW3(ctx: TargetContext): Promise<StartedTarget> {
  if (ctx.runtime !== 'process') {
    throw new TargetError('LAB_ERR_TARGET_RUNTIME', `target w3 supports the "process" runtime only here (asked for "${ctx.runtime}")`);
  }
  const settings = parseW3Settings(ctx.settings);
  const paths = labPaths();
  if (!fs.existsSync(paths.w3CliEntry)) {
    throw new TargetError('LAB_ERR_TARGET_START', `w3 is not built (${paths.w3CliEntry} is missing): run \`npm run build\``);
  }
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const generated = buildW3Config(ctx.runDir, paths.labApp, settings.config);
  const configFile = path.join(ctx.runDir, 'w3.json');
  fs.writeFileSync(configFile, JSON.stringify(generated.config, null, 2) + '\n');
  const faults = ctx.faultInjection.enabled;
  const args = [paths.w3Cli, 'serve', '--config', configFile, ...(faults ? ['--enable-faults', '--fault-token', ctx.faultInjection.token] : [])];
  const log = ctx.log.child({ target: 'w3' });
  const proc = new EventProcess({
    name: 'w3',
    args,
    cwd: ctx.runDir,
    env: { ...process.env, W3LAB_RUN_ID: ctx.runId },
    logFile: path.join(ctx.runDir, 'w3.log'),
    log,
  });
  let started: W3Event;
  try {
    started = await proc.waitForEvent((e) => e.type === 'HostStarted', W3_START_TIMEOUT_MS, 'HostStarted event');
    // AlwaysRunning pools start their workers at boot: the target is up once each has one ready, so a workload
    // does not begin by measuring the cold start.
    for (const pool of alwaysRunningPools(generated.config)) {
      await proc.waitForEvent((e) => e.type === 'WorkerReady' && e.pool === pool, W3_START_TIMEOUT_MS, `the first ready worker of pool ${pool}`);
    }
  } catch (err) {
    await proc.kill();
    removeSocket(generated.temporarySocket, generated.adminSocket);
    throw err;
  }
  const endpoint = endpointOf(started['listen']);
  log.info({ pid: proc.pid, url: endpoint.url, admin: generated.adminSocket }, 'w3 started');
  const admin = new AdminClient({ socketPath: generated.adminSocket, ...(faults ? { faultToken: ctx.faultInjection.token } : {}) });
  return new StartedW3(proc, admin, endpoint, faults, () => removeSocket(generated.temporarySocket, generated.adminSocket));
}

function alwaysRunningPools(config: Record<string, unknown>): string[] {
  const pools = Array.isArray(config['pools']) ? (config['pools'] as Record<string, unknown>[]) : [];
  return pools.filter((p) => p['startMode'] === 'AlwaysRunning' && p['autoStart'] !== false).map((p) => String(p['name']));
}

class StartedW3 implements StartedTarget {
  readonly name = 'w3';
  readonly pid: number;

  constructor(
    private readonly proc: EventProcess,
    private readonly admin: AdminClient,
    readonly endpoint: Endpoint,
    private readonly faultsEnabled: boolean,
    private readonly cleanup: () => void,
  ) {
    this.pid = proc.pid;
  }

  private async call<T>(method: string, route: string, body?: unknown, code: 'LAB_ERR_TARGET_CONTROL' | 'LAB_ERR_FAULT' = 'LAB_ERR_TARGET_CONTROL'): Promise<T> {
    try {
      return await this.admin.request<T>(method, route, body);
    } catch (err) {
      const status = err instanceof AdminError && err.status !== undefined ? ` (HTTP ${err.status})` : '';
      throw new TargetError(code, `w3 admin ${method} ${route} failed${status}: ${(err as Error).message}`, { cause: err });
    }
  }

  private needFaults(what: string): void {
    if (!this.faultsEnabled) throw new TargetError('LAB_ERR_FAULT', `cannot ${what}: fault injection is not enabled for this run`);
  }

  async pools(): Promise<PoolSnapshot[]> {
    return this.call<PoolSnapshot[]>('GET', '/pools');
  }

  async recycle(pool?: string): Promise<void> {
    const names = pool !== undefined ? [pool] : (await this.pools()).filter((p) => p.state === 'Started').map((p) => p.name);
    for (const name of names) await this.call('POST', `/pools/${encodeURIComponent(name)}/recycle`);
  }

  async startPool(pool: string): Promise<void> {
    await this.call('POST', `/pools/${encodeURIComponent(pool)}/start`);
  }

  async stopPool(pool: string): Promise<void> {
    await this.call('POST', `/pools/${encodeURIComponent(pool)}/stop`);
  }

  async workers(pool?: string): Promise<WorkerInfo[]> {
    const pools = await this.pools();
    if (pool !== undefined && !pools.some((p) => p.name === pool)) {
      throw new TargetError('LAB_ERR_TARGET_CONTROL', `w3 has no pool "${pool}" (pools: ${pools.map((p) => p.name).join(', ')})`);
    }
    return pools
      .filter((p) => pool === undefined || p.name === pool)
      .flatMap((p) => p.workers.map((w) => ({ pool: p.name, id: w.id, pid: w.pid, state: w.state, ...(w.requests !== undefined ? { requests: w.requests } : {}) })));
  }

  async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.id}`);
    await this.call('POST', `/pools/${encodeURIComponent(worker.pool)}/workers/${worker.id}/faults`, spec, 'LAB_ERR_FAULT');
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.id}`);
    await this.call('DELETE', `/pools/${encodeURIComponent(worker.pool)}/workers/${worker.id}/faults`, undefined, 'LAB_ERR_FAULT');
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.needFaults(`set a startup fault on pool ${pool}`);
    const route = `/pools/${encodeURIComponent(pool)}/faults`;
    if (spec === null) await this.call('DELETE', route, undefined, 'LAB_ERR_FAULT');
    else await this.call('POST', route, spec, 'LAB_ERR_FAULT');
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    if (!this.proc.owns(pid)) throw new TargetError('LAB_ERR_TARGET_CONTROL', `pid ${pid} is not a process of this w3 target`);
    sendSignal(pid, signal);
  }

  events(): W3Event[] {
    return this.proc.events();
  }

  async stop(): Promise<void> {
    try {
      await this.proc.stop(W3_STOP_GRACE_MS);
    } finally {
      this.cleanup();
    }
  }

  async kill(): Promise<void> {
    try {
      await this.proc.kill();
    } finally {
      this.cleanup();
    }
  }
}

function removeSocket(temporary: boolean, file: string): void {
  if (!temporary) return;
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}

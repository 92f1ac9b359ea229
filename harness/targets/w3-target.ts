// Target "w3": w3 on a config generated into the run folder, as a local process or in a container
// (w3-launch.ts brings it up either way), ready once every AlwaysRunning pool has a ready worker. Every capability
// goes through w3's public admin API (over the admin socket, or over exec inside the container): recycle, pool
// start/stop, worker list, fault injection, startup faults. Events come from the host's output (every event is
// logged as `{"event":{...}}`), so no second stream is needed and nothing is lost when the host dies. Signals,
// stop/kill and the container-level capabilities come from the runtime host (hosted-target.ts).
import fs from 'node:fs';
import type { StartupFaultSpec, WorkerFaultSpec } from '../../faults/spec';
import { TargetError } from './errors';
import type { TargetLogEvent } from './event-log';
import { HostedTarget } from './hosted-target';
import { labEventFromW3 } from './w3-events';
import type { W3Event } from '../../targets/w3/events/event-types';
import type { LabEvent } from '../events';
import { checkW3Settings, parseW3Settings } from './w3-config';
import { labPaths } from './repo-paths';
import {
  launchW3Container,
  launchW3Process,
  W3_START_TIMEOUT_MS,
  type AdminTransport,
  type LaunchedW3,
} from './w3-launch';
import type { StartedTarget, Target, TargetContext, WorkerInfo } from './types';

export { W3_START_TIMEOUT_MS } from './w3-launch';
export const W3_STOP_GRACE_MS = 15_000;

interface PoolSnapshot {
  name: string;
  state: string;
  workers: { id: number; pid: number; state: string; requests?: number; privateMemoryKB?: number }[];
}

export function createW3Target(): Target {
  return { name: 'w3', setup: setupW3, checkSettings: (settings) => checkW3Settings(settings, labPaths().labApp) };
}

async function setupW3(ctx: TargetContext): Promise<StartedTarget> {
  const settings = parseW3Settings(ctx.settings);
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const log = ctx.log.child({ target: 'w3' });
  const up =
    ctx.runtime === 'container' ? await launchW3Container(ctx, settings) : await launchW3Process(ctx, settings, log);
  try {
    // AlwaysRunning pools start their workers at boot: the target is up once each has one ready, so a workload
    // does not begin by measuring the cold start.
    for (const pool of alwaysRunningPools(up.config)) {
      await up.host.waitForEvent(
        (e) => e.type === 'WorkerReady' && e.pool === pool,
        W3_START_TIMEOUT_MS,
        `the first ready worker of pool ${pool}`,
      );
    }
  } catch (err) {
    await up.host.kill();
    up.cleanup();
    throw err;
  }
  log.info({ url: up.endpoint.url, ...up.host.details() }, 'w3 started');
  return new StartedW3(up, ctx.faultInjection.enabled);
}

function alwaysRunningPools(config: Record<string, unknown>): string[] {
  const pools = Array.isArray(config['pools']) ? (config['pools'] as Record<string, unknown>[]) : [];
  return pools
    .filter((p) => p['startMode'] === 'AlwaysRunning' && p['autoStart'] !== false)
    .map((p) => String(p['name']));
}

/** A worker as the lab sees it; w3 reports privateMemoryKB 0 until its first memory sample. */
function workerInfo(pool: string, w: PoolSnapshot['workers'][number]): WorkerInfo {
  return {
    pool,
    id: w.id,
    pid: w.pid,
    state: w.state,
    ...(w.requests !== undefined ? { requests: w.requests } : {}),
    ...(typeof w.privateMemoryKB === 'number' && w.privateMemoryKB > 0 ? { privateMemoryKB: w.privateMemoryKB } : {}),
  };
}

class StartedW3 extends HostedTarget {
  readonly name = 'w3';
  private readonly admin: AdminTransport;
  constructor(
    up: LaunchedW3,
    private readonly faultsEnabled: boolean,
  ) {
    super(up.host, up.endpoint, W3_STOP_GRACE_MS);
    this.admin = up.admin;
    this.releaseWhenEnded(() => up.cleanup());
    Object.assign(this.runtimeDetails, up.details);
  }

  protected mapEvent(raw: TargetLogEvent): LabEvent | null {
    return labEventFromW3(raw as W3Event);
  }

  private async call<T>(
    method: string,
    route: string,
    body?: unknown,
    code: 'LAB_ERR_TARGET_CONTROL' | 'LAB_ERR_FAULT' = 'LAB_ERR_TARGET_CONTROL',
  ): Promise<T> {
    try {
      return await this.admin.request<T>(method, route, body);
    } catch (err) {
      const http = (err as { status?: unknown }).status;
      const status = typeof http === 'number' ? ` (HTTP ${http})` : '';
      throw new TargetError(code, `w3 admin ${method} ${route} failed${status}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private needFaults(what: string): void {
    if (!this.faultsEnabled)
      throw new TargetError('LAB_ERR_FAULT', `cannot ${what}: fault injection is not enabled for this run`);
  }

  async pools(): Promise<PoolSnapshot[]> {
    return this.call<PoolSnapshot[]>('GET', '/pools');
  }

  async recycle(pool?: string): Promise<void> {
    const names =
      pool !== undefined ? [pool] : (await this.pools()).filter((p) => p.state === 'Started').map((p) => p.name);
    for (const name of names) await this.call('POST', `/pools/${encodeURIComponent(name)}/recycle`);
  }

  /** w3's front is its listener: a configuration reload (the admin API's POST /reload) keeps every connection. */
  async frontReload(): Promise<void> {
    await this.call('POST', '/reload');
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
      throw new TargetError(
        'LAB_ERR_TARGET_CONTROL',
        `w3 has no pool "${pool}" (pools: ${pools.map((p) => p.name).join(', ')})`,
      );
    }
    return pools
      .filter((p) => pool === undefined || p.name === pool)
      .flatMap((p) => p.workers.map((w) => workerInfo(p.name, w)));
  }

  override async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.id}`);
    await this.call(
      'POST',
      `/pools/${encodeURIComponent(worker.pool)}/workers/${worker.id}/faults`,
      spec,
      'LAB_ERR_FAULT',
    );
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.id}`);
    await this.call(
      'DELETE',
      `/pools/${encodeURIComponent(worker.pool)}/workers/${worker.id}/faults`,
      undefined,
      'LAB_ERR_FAULT',
    );
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.needFaults(`set a startup fault on pool ${pool}`);
    const route = `/pools/${encodeURIComponent(pool)}/faults`;
    if (spec === null) await this.call('DELETE', route, undefined, 'LAB_ERR_FAULT');
    else await this.call('POST', route, spec, 'LAB_ERR_FAULT');
  }
}

// Target "node-cluster": a typical Node `cluster` setup (targets/peers/node-cluster/primary.js) run as a local
// process or in its image (node-cluster-launch.ts brings it up either way), driven only through its documented
// interface — environment variables, the JSON event lines on its output and the control endpoint (see the README
// there). Capabilities: recycle (the rolling restart a SIGUSR2 would trigger), workers, fault injection through the
// primary's IPC relay to the agent preloaded into the workers, startup faults for the next forks; signals, events,
// stop/kill and the container-level capabilities come from the runtime host (hosted-target.ts). No pool
// start/stop: cluster has no such thing. The cluster has a single group of workers; it is reported as one pool
// (settings.pool, default "app").
import fs from 'node:fs';
import type { StartupFaultSpec, WorkerFaultSpec } from '../../faults/spec';
import { errorText } from './control-client';
import { TargetError } from './errors';
import type { TargetLogEvent } from './event-log';
import { HostedTarget } from './hosted-target';
import { checkSettingsWith } from './settings-check';
import { labEventFromPeerLine } from './peer-events';
import type { LabEvent } from '../events';
import {
  launchClusterContainer,
  launchClusterProcess,
  type ControlTransport,
  type LaunchedCluster,
} from './node-cluster-launch';
import { nodeClusterSettingsSchema, parseNodeClusterSettings } from './node-cluster-settings';
import type { StartedTarget, Target, TargetContext, WorkerInfo } from './types';
import type { Capability } from './capabilities';

export { CLUSTER_START_TIMEOUT_MS } from './node-cluster-launch';
export {
  nodeClusterSettingsSchema,
  parseNodeClusterSettings,
  appModule,
  type NodeClusterSettings,
} from './node-cluster-settings';
export const CLUSTER_STOP_GRACE_MS = 15_000;

/** Rolling restart, worker list, signals and in-worker faults; no health pings, rapid-fail, memory limits or pools. */
export const NODE_CLUSTER_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
];

export function createNodeClusterTarget(): Target {
  return {
    name: 'node-cluster',
    capabilities: () => NODE_CLUSTER_CAPABILITIES,
    checkSettings: (settings) => checkSettingsWith(nodeClusterSettingsSchema, settings),
    setup: setupNodeCluster,
  };
}

async function setupNodeCluster(ctx: TargetContext): Promise<StartedTarget> {
  const s = parseNodeClusterSettings(ctx.settings);
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const log = ctx.log.child({ target: 'node-cluster' });
  const up =
    ctx.runtime === 'container' ? await launchClusterContainer(ctx, s) : await launchClusterProcess(ctx, s, log);
  log.info({ url: up.endpoint.url, workers: s.workers, app: up.app, ...up.host.details() }, 'node-cluster started');
  return new StartedNodeCluster(up, s.pool, ctx.faultInjection.enabled);
}

class StartedNodeCluster extends HostedTarget {
  readonly name = 'node-cluster';
  private readonly control: ControlTransport;

  constructor(
    up: LaunchedCluster,
    private readonly pool: string,
    private readonly faultsEnabled: boolean,
  ) {
    super(up.host, up.endpoint, CLUSTER_STOP_GRACE_MS);
    this.control = up.control;
  }

  protected mapEvent(raw: TargetLogEvent): LabEvent | null {
    return labEventFromPeerLine(raw, 'node-cluster');
  }

  private checkPool(pool: string | undefined): void {
    if (pool !== undefined && pool !== this.pool) {
      throw new TargetError(
        'LAB_ERR_TARGET_CONTROL',
        `node-cluster has a single pool "${this.pool}" (asked for "${pool}")`,
      );
    }
  }

  /** A control request whose non-2xx answer becomes a TargetError with `code`. */
  private async call<T>(
    method: string,
    route: string,
    body: unknown,
    code: 'LAB_ERR_TARGET_CONTROL' | 'LAB_ERR_FAULT',
    what: string,
  ): Promise<T> {
    const reply = await this.control.request<T>(method, route, body);
    if (reply.status < 200 || reply.status > 299) {
      throw new TargetError(code, `node-cluster: ${what} failed (HTTP ${reply.status}): ${errorText(reply.body)}`);
    }
    return reply.body;
  }

  private needFaults(what: string): void {
    if (!this.faultsEnabled)
      throw new TargetError('LAB_ERR_FAULT', `cannot ${what}: fault injection is not enabled for this run`);
  }

  async recycle(pool?: string): Promise<void> {
    this.checkPool(pool);
    await this.call('POST', '/recycle', undefined, 'LAB_ERR_TARGET_CONTROL', 'rolling restart');
  }

  async workers(pool?: string): Promise<WorkerInfo[]> {
    this.checkPool(pool);
    return this.call<WorkerInfo[]>('GET', '/workers', undefined, 'LAB_ERR_TARGET_CONTROL', 'listing workers');
  }

  override async injectFault(worker: WorkerInfo, spec: WorkerFaultSpec): Promise<void> {
    this.needFaults(`inject ${spec.kind} into worker ${worker.pid}`);
    await this.call(
      'POST',
      `/workers/${worker.pid}/faults`,
      spec,
      'LAB_ERR_FAULT',
      `injecting ${spec.kind} into worker ${worker.pid}`,
    );
  }

  async healFaults(worker: WorkerInfo): Promise<void> {
    this.needFaults(`heal worker ${worker.pid}`);
    await this.call(
      'DELETE',
      `/workers/${worker.pid}/faults`,
      undefined,
      'LAB_ERR_FAULT',
      `healing worker ${worker.pid}`,
    );
  }

  async setStartupFault(pool: string, spec: StartupFaultSpec | null): Promise<void> {
    this.checkPool(pool);
    this.needFaults('set a startup fault');
    if (spec === null)
      await this.call('DELETE', '/startup-fault', undefined, 'LAB_ERR_FAULT', 'clearing the startup fault');
    else
      await this.call(
        'POST',
        '/startup-fault',
        { mode: spec.mode, count: spec.count },
        'LAB_ERR_FAULT',
        'setting a startup fault',
      );
  }
}

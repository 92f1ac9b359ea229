// The container runtime: starts a target's image under testcontainers the way the lab needs it and hands back a
// handle the targets and container faults use. Guarantees:
//   - every container carries the labels w3lab=1, w3lab.run=<runId>, w3lab.role=<role>, so `w3lab clean`
//     (removeLabContainers) finds leftovers of interrupted runs; Ryuk is not used (it cannot be pulled offline);
//   - ports are published on 127.0.0.1 only, and only the ports asked for (the admin socket never leaves); on an
//     engine of another machine (DOCKER_HOST) on that machine's interfaces, the only way the lab can reach them;
//   - Docker's init is PID 1 (signals work, orphans are reaped); optional memory quota without swap;
//   - readiness without a shell (log line or HTTP wait); a container that fails to start is removed and the
//     error carries its last log lines;
//   - the container's stdout/stderr are kept as lines (and appended to a file), across restarts;
//   - stop() and remove() are idempotent and always remove the container.
// testcontainers is loaded lazily so the process runtime never pays for it.
import { importOptional } from '../optional-package';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import type Dockerode from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { engineIsLocal, prepareTestcontainersEnv } from './docker-env';
import { LogCollector } from './container-logs';
import { ContainerHandle } from './container-handle';
import {
  ContainerRuntimeError,
  LABEL_INSTANCE,
  LABEL_LAB,
  LABEL_ROLE,
  LABEL_RUN,
  type StartContainerOptions,
  type StartedContainerHandle,
} from './container-types';

export * from './container-types';

async function dockerClient(): Promise<{ docker: Dockerode; host: string }> {
  prepareTestcontainersEnv();
  const tc = await importOptional('testcontainers', 'the container runtime', () => import('testcontainers'));
  const client = await tc.getContainerRuntimeClient();
  return { docker: client.container.dockerode, host: client.info.containerRuntime.host };
}

function sanitize(s: string): string {
  return (
    s
      .replace(/[^a-zA-Z0-9_.-]/g, '-')
      .replace(/^[^a-zA-Z0-9]+/, '')
      .slice(0, 60) || 'x'
  );
}

/** A free TCP port on 127.0.0.1 right now (the kernel's choice), for a stable published port. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a container; on failure nothing is left behind and the error carries the container's last output. */
export async function startContainer(opts: StartContainerOptions): Promise<StartedContainerHandle> {
  // A stable host port is chosen before Docker binds it: another process may take it in between. Rare, so retried.
  const attempts = opts.stableHostPorts && opts.ports?.length ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      const clash = /port is already allocated|address already in use/i.test((err as Error).message);
      if (!clash || attempt >= attempts) throw err;
    }
  }
}

async function startOnce(opts: StartContainerOptions): Promise<StartedContainerHandle> {
  const { docker } = await dockerClient();
  const tc = await importOptional('testcontainers', 'the container runtime', () => import('testcontainers'));
  const { LabContainer } = await import('./lab-container');
  const instance = crypto.randomBytes(6).toString('hex');
  const role = opts.role ?? 'target';
  const name = `w3lab-${sanitize(role)}-${sanitize(opts.runId).slice(0, 30)}-${instance}`;
  const labels = {
    ...opts.labels,
    [LABEL_LAB]: '1',
    [LABEL_RUN]: opts.runId,
    [LABEL_ROLE]: role,
    [LABEL_INSTANCE]: instance,
  };

  const c = new LabContainer(opts.image).withName(name).withLabels(labels).withAutoRemove(false);
  if (!engineIsLocal()) c.withPublicPorts();
  if (opts.ports?.length) {
    if (opts.stableHostPorts) {
      const bound = [];
      for (const p of opts.ports) bound.push({ container: p, host: await freeLoopbackPort() });
      c.withExposedPorts(...bound);
    } else c.withExposedPorts(...opts.ports);
  }
  if (opts.env) c.withEnvironment(opts.env);
  if (opts.command) c.withCommand(opts.command);
  if (opts.tmpfs) c.withTmpFs(opts.tmpfs);
  if (opts.binds?.length) c.withBindMounts(opts.binds.map((b) => ({ ...b, mode: 'rw' as const })));
  if (opts.files?.length) {
    c.withCopyContentToContainer(
      opts.files.map((f) => ({ content: f.content, target: f.path, mode: f.mode ?? 0o644 })),
    );
  }
  if (opts.memoryLimitGiB !== undefined || opts.cpus !== undefined) {
    c.withResourcesQuota({ memory: opts.memoryLimitGiB, cpu: opts.cpus });
  }
  const timeout = opts.startupTimeoutMs ?? 60_000;
  if (opts.waitForLog !== undefined) {
    c.withWaitStrategy(tc.Wait.forLogMessage(opts.waitForLog));
  } else if (opts.waitForHttp) {
    const w = tc.Wait.forHttp(opts.waitForHttp.path, opts.waitForHttp.port, {
      abortOnContainerExit: true,
    }).withReadTimeout(1000);
    c.withWaitStrategy(opts.waitForHttp.status ? w.forStatusCode(opts.waitForHttp.status) : w);
  } else {
    throw new ContainerRuntimeError(
      'LAB_ERR_CONTAINER_START',
      'startContainer needs waitForLog or waitForHttp (the image has no shell for the default wait)',
    );
  }
  c.withStartupTimeout(timeout);

  // The consumer is attached before the wait starts, so a container that dies during startup still has its
  // output (testcontainers removes such a container before start() rejects).
  const logs = new LogCollector(opts.logFile, opts.onLogLine);
  c.withLogConsumer((stream) => logs.attach(stream));
  let started: StartedTestContainer;
  try {
    started = await c.start();
  } catch (err) {
    await new Promise((r) => setTimeout(r, 100)); // let the last chunks of the log stream arrive
    const tail = logs.lines.slice(-30).join('\n');
    logs.close();
    await removeByLabel(docker, `${LABEL_INSTANCE}=${instance}`);
    throw new ContainerRuntimeError(
      'LAB_ERR_CONTAINER_START',
      `container ${name} (${opts.image}) did not become ready: ${(err as Error).message}` +
        (tail ? `\n--- last output ---\n${tail}` : ''),
      { cause: err },
    );
  }
  return new ContainerHandle(docker, started, opts, name, logs);
}

/** A lab container as `w3lab clean` sees it. */
export interface LabContainerInfo {
  id: string;
  name: string;
  image: string;
  state: string;
  labels: Record<string, string>;
}

/** Every lab container (label w3lab=1) on the engine, any state. Throws when no engine answers. */
export async function listLabContainers(
  deps: { connect?: () => Promise<{ docker: Dockerode }> } = {},
): Promise<LabContainerInfo[]> {
  const { docker } = await (deps.connect ?? dockerClient)();
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_LAB}=1`] }) });
  return list.map((i) => ({
    id: i.Id,
    name: i.Names[0]?.replace(/^\//, '') ?? i.Id.slice(0, 12),
    image: i.Image,
    state: i.State,
    labels: i.Labels ?? {},
  }));
}

/** Removes one container (unpausing it first); false when it was already gone. */
export async function removeContainerById(
  id: string,
  deps: { connect?: () => Promise<{ docker: Dockerode }> } = {},
): Promise<boolean> {
  const { docker } = await (deps.connect ?? dockerClient)();
  const c = docker.getContainer(id);
  try {
    await c.unpause().catch(() => undefined);
    await c.remove({ force: true, v: true });
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

async function removeByLabel(docker: Dockerode, label: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) });
  const removed: string[] = [];
  for (const info of list) {
    const c = docker.getContainer(info.Id);
    try {
      if (info.State === 'paused') await c.unpause().catch(() => undefined);
      await c.remove({ force: true, v: true });
      removed.push(`${info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12)} (${info.Image}, ${info.State})`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
  return removed;
}

/**
 * Removes lab containers (all, or one run's) by label, whatever their state. Used by `w3lab clean` and by tests.
 * Returns one line per container removed; on a machine without a Docker engine, a line saying so.
 */
export async function removeLabContainers(
  runId?: string,
  deps: { connect?: () => Promise<{ docker: Dockerode }> } = {},
): Promise<string[]> {
  let docker: Dockerode;
  try {
    docker = (await (deps.connect ?? dockerClient)()).docker;
  } catch (err) {
    return [`no Docker engine answering (${(err as Error).message.split('\n')[0]}); no lab containers to remove`];
  }
  const removed = await removeByLabel(docker, runId === undefined ? `${LABEL_LAB}=1` : `${LABEL_RUN}=${runId}`);
  return removed.length ? removed.map((r) => `removed container ${r}`) : ['no leftover lab containers'];
}

/**
 * Last resort at harness exit (a process 'exit' handler cannot wait for promises): removes a run's containers
 * with the docker CLI, synchronously. Best effort and silent; `w3lab clean` catches anything it misses.
 */
export function removeLabContainersSync(runId: string): void {
  const opts = { encoding: 'utf8' as const, timeout: 15_000 };
  const ids =
    spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL_RUN}=${runId}`], opts)
      .stdout?.split('\n')
      .filter(Boolean) ?? [];
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', '-v', ...ids], opts);
}

/** Starts containers for one run and removes them all in stopAll() (call it in a finally). */
export class ContainerRuntime {
  private readonly started = new Set<StartedContainerHandle>();
  /** `labels` go on every container it starts (the targets pass ownership labels: harness/targets/ownership.ts). */
  constructor(
    readonly runId: string,
    private readonly labels: Record<string, string> = {},
  ) {}

  async start(opts: Omit<StartContainerOptions, 'runId'>): Promise<StartedContainerHandle> {
    const h = await startContainer({ ...opts, runId: this.runId, labels: { ...this.labels, ...opts.labels } });
    this.started.add(h);
    return h;
  }

  async stopAll(opts: { timeoutMs?: number } = {}): Promise<void> {
    const all = [...this.started];
    this.started.clear();
    await Promise.allSettled(all.map((h) => h.stop(opts)));
    // Anything this run started by other means (or a start interrupted half-way) goes too.
    await removeLabContainers(this.runId).catch(() => undefined);
  }
}

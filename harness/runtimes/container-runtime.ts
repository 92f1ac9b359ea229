// The container runtime: starts a target's image under testcontainers the way the lab needs it and hands back a
// handle the targets and container faults use. Guarantees:
//   - every container carries the labels w3lab=1, w3lab.run=<runId>, w3lab.role=<role>, so `w3lab clean`
//     (removeLabContainers) finds leftovers of interrupted runs; Ryuk is not used (it cannot be pulled offline);
//   - ports are published on 127.0.0.1 only, and only the ports asked for (the admin socket never leaves);
//   - Docker's init is PID 1 (signals work, orphans are reaped); optional memory quota without swap;
//   - readiness without a shell (log line or HTTP wait); a container that fails to start is removed and the
//     error carries its last log lines;
//   - the container's stdout/stderr are kept as lines (and appended to a file), across restarts;
//   - stop() and remove() are idempotent and always remove the container.
// testcontainers is loaded lazily so the process runtime never pays for it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { prepareTestcontainersEnv } from './docker-env';

export const LABEL_LAB = 'w3lab';
export const LABEL_RUN = 'w3lab.run';
export const LABEL_ROLE = 'w3lab.role';
export const LABEL_INSTANCE = 'w3lab.instance';

export class ContainerRuntimeError extends Error {
  readonly code: string;
  constructor(code: 'LAB_ERR_CONTAINER_START' | 'LAB_ERR_CONTAINER' | 'LAB_ERR_DOCKER', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface FileToPlace {
  /** Absolute path inside the container. */
  path: string;
  content: string | Buffer;
  mode?: number;
}

export interface StartContainerOptions {
  image: string;
  runId: string;
  /** What the container is (w3, node-cluster, ...): label w3lab.role and part of the name. */
  role?: string;
  /** Container ports to publish (on 127.0.0.1, random host ports). The first is the main one. */
  ports?: number[];
  env?: Record<string, string>;
  /** Arguments after the image's entrypoint. */
  command?: string[];
  /** Files written into the container before it starts (config, ...). */
  files?: FileToPlace[];
  /** Memory quota in GiB (fractions allowed: 0.25 = 256 MiB); swap is disabled with it. */
  memoryLimitGiB?: number;
  cpus?: number;
  /** Ready when a log line matches (e.g. /"type":"HostStarted"/). */
  waitForLog?: RegExp | string;
  /** Ready when GET path on a container port answers (with a short read timeout). */
  waitForHttp?: { path: string; port: number; status?: number };
  startupTimeoutMs?: number;
  /** stdout+stderr lines are appended here (synchronously, so a crash of the harness keeps them). */
  logFile?: string;
  onLogLine?: (line: string) => void;
  tmpfs?: Record<string, string>;
  /** Extra labels (the lab's labels always win). */
  labels?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  output: string;
  stdout: string;
  stderr: string;
}

export interface ContainerState {
  status: string;
  running: boolean;
  paused: boolean;
  /** The kernel OOM-killed the container's main process (PID 1's child tree root). Not set for workers. */
  oomKilled: boolean;
  exitCode: number;
  /** Host PID of the container's PID 1. */
  pid: number;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
}

export interface StartedContainerHandle {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly runId: string;
  /** Host to connect to (127.0.0.1). */
  readonly host: string;
  /** Mapped host port of a container port (default: the first). Changes after restart(). */
  port(containerPort?: number): number;
  url(containerPort?: number): string;
  /** Runs a command inside (no shell there: pass argv, e.g. ['node', '-e', '...']). */
  exec(argv: string[], opts?: { user?: string; env?: Record<string, string>; workingDir?: string }): Promise<ExecResult>;
  /** Sends a signal to the container's PID 1 (Docker's init forwards it to the server). SIGKILL ends the container. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Freezes every process of the container (cgroup freezer). */
  pause(): Promise<void>;
  /** Idempotent: no error when not paused. */
  unpause(): Promise<void>;
  /** Docker restart (SIGTERM, SIGKILL after timeoutMs); waits for readiness again; returns the new main port. */
  restart(opts?: { timeoutMs?: number }): Promise<number>;
  state(): Promise<ContainerState>;
  /** Resolves when the container is no longer running (or rejects after timeoutMs). */
  waitForExit(timeoutMs?: number): Promise<ContainerState>;
  /** All stdout/stderr lines so far (across restarts). */
  logLines(): readonly string[];
  /** Waits for a log line (at index >= fromIndex) matching pred. */
  waitForLogLine(pred: (line: string) => boolean, opts?: { timeoutMs?: number; fromIndex?: number }): Promise<{ line: string; index: number }>;
  /** Graceful: SIGTERM, SIGKILL after timeoutMs (default 10 s), then removed. Idempotent. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Forced: removed at once. Idempotent. */
  remove(): Promise<void>;
}

async function dockerClient(): Promise<{ docker: Dockerode; host: string }> {
  prepareTestcontainersEnv();
  const tc = await import('testcontainers');
  const client = await tc.getContainerRuntimeClient();
  return { docker: client.container.dockerode, host: client.info.containerRuntime.host };
}

function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 60) || 'x';
}

function toState(info: Dockerode.ContainerInspectInfo): ContainerState {
  const s = info.State;
  return {
    status: s.Status,
    running: s.Running,
    paused: s.Paused,
    oomKilled: s.OOMKilled,
    exitCode: s.ExitCode,
    pid: s.Pid,
    startedAt: s.StartedAt,
    finishedAt: s.FinishedAt,
    restartCount: info.RestartCount,
  };
}

/** Starts a container; on failure nothing is left behind and the error carries the container's last output. */
export async function startContainer(opts: StartContainerOptions): Promise<StartedContainerHandle> {
  const { docker } = await dockerClient();
  const tc = await import('testcontainers');
  const { LabContainer } = await import('./lab-container');
  const instance = crypto.randomBytes(6).toString('hex');
  const role = opts.role ?? 'target';
  const name = `w3lab-${sanitize(role)}-${sanitize(opts.runId).slice(0, 30)}-${instance}`;
  const labels = { ...opts.labels, [LABEL_LAB]: '1', [LABEL_RUN]: opts.runId, [LABEL_ROLE]: role, [LABEL_INSTANCE]: instance };

  const c = new LabContainer(opts.image).withName(name).withLabels(labels).withAutoRemove(false);
  if (opts.ports?.length) c.withExposedPorts(...opts.ports);
  if (opts.env) c.withEnvironment(opts.env);
  if (opts.command) c.withCommand(opts.command);
  if (opts.tmpfs) c.withTmpFs(opts.tmpfs);
  if (opts.files?.length) {
    c.withCopyContentToContainer(opts.files.map((f) => ({ content: f.content, target: f.path, mode: f.mode ?? 0o644 })));
  }
  if (opts.memoryLimitGiB !== undefined || opts.cpus !== undefined) {
    c.withResourcesQuota({ memory: opts.memoryLimitGiB, cpu: opts.cpus });
  }
  const timeout = opts.startupTimeoutMs ?? 60_000;
  if (opts.waitForLog !== undefined) {
    c.withWaitStrategy(tc.Wait.forLogMessage(opts.waitForLog));
  } else if (opts.waitForHttp) {
    const w = tc.Wait.forHttp(opts.waitForHttp.path, opts.waitForHttp.port, { abortOnContainerExit: true }).withReadTimeout(1000);
    c.withWaitStrategy(opts.waitForHttp.status ? w.forStatusCode(opts.waitForHttp.status) : w);
  } else {
    throw new ContainerRuntimeError('LAB_ERR_CONTAINER_START', 'startContainer needs waitForLog or waitForHttp (the image has no shell for the default wait)');
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
      `container ${name} (${opts.image}) did not become ready: ${(err as Error).message}` + (tail ? `\n--- last output ---\n${tail}` : ''),
      { cause: err },
    );
  }
  return new Handle(docker, started, opts, name, logs);
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

/** Container output as lines (and appended to a file), from one or more follow streams (one per start). */
class LogCollector {
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private streams: Readable[] = [];

  constructor(
    private readonly file?: string,
    private readonly onLine?: (line: string) => void,
  ) {
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  attach(stream: Readable): void {
    this.streams.push(stream);
    let buf = '';
    stream.on('data', (chunk: string | Buffer) => {
      const text = chunk.toString();
      if (this.file) fs.appendFileSync(this.file, text);
      buf += text;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      if (buf) this.push(buf);
      buf = '';
    });
    stream.on('error', () => undefined);
  }

  private push(line: string): void {
    this.lines.push(line);
    try {
      this.onLine?.(line);
    } catch {
      /* a consumer's bug must not stop log capture */
    }
    for (const w of [...this.waiters]) w();
  }

  waitFor(pred: (line: string) => boolean, from: number, timeoutMs: number, what: string): Promise<{ line: string; index: number }> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!;
          if (pred(line)) {
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve({ line, index: scanned });
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new ContainerRuntimeError('LAB_ERR_CONTAINER', `no matching log line from ${what} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  close(): void {
    for (const s of this.streams) s.destroy();
    this.streams = [];
  }
}

class Handle implements StartedContainerHandle {
  readonly id: string;
  readonly image: string;
  readonly runId: string;
  readonly host: string;
  private readonly ports: number[];
  private removed: Promise<void> | null = null;

  constructor(
    private readonly docker: Dockerode,
    private readonly tc: StartedTestContainer,
    opts: StartContainerOptions,
    readonly name: string,
    private readonly logs: LogCollector,
  ) {
    this.id = tc.getId();
    this.image = opts.image;
    this.runId = opts.runId;
    this.host = tc.getHost();
    this.ports = opts.ports ?? [];
  }

  port(containerPort?: number): number {
    const p = containerPort ?? this.ports[0];
    if (p === undefined) throw new ContainerRuntimeError('LAB_ERR_CONTAINER', `container ${this.name} publishes no ports`);
    return this.tc.getMappedPort(p);
  }

  url(containerPort?: number): string {
    return `http://${this.host}:${this.port(containerPort)}`;
  }

  private get container(): Dockerode.Container {
    return this.docker.getContainer(this.id);
  }

  async exec(argv: string[], opts: { user?: string; env?: Record<string, string>; workingDir?: string } = {}): Promise<ExecResult> {
    const r = await this.tc.exec(argv, opts);
    return { exitCode: r.exitCode, output: r.output, stdout: r.stdout, stderr: r.stderr };
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    try {
      await this.container.kill({ signal });
    } catch (err) {
      // 409: not running (already dead) — killing a dead container is not an error (idempotent).
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
  }

  async pause(): Promise<void> {
    await this.container.pause();
  }

  async unpause(): Promise<void> {
    if ((await this.state()).paused) await this.container.unpause();
  }

  async restart(opts: { timeoutMs?: number } = {}): Promise<number> {
    await this.unpause();
    await this.tc.restart({ timeout: opts.timeoutMs ?? 10_000 });
    const st = await this.state();
    // The follow stream of the previous start ended with it; read the new start's output from its start time
    // (lines written before we attach are included, none of the previous start's are repeated).
    this.logs.attach(await this.tc.logs({ since: new Date(st.startedAt).getTime() / 1000 }));
    return this.ports.length ? this.port() : 0;
  }

  async state(): Promise<ContainerState> {
    return toState(await this.container.inspect());
  }

  async waitForExit(timeoutMs = 30_000): Promise<ContainerState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.state();
      if (!st.running) return st;
      if (Date.now() > deadline) throw new ContainerRuntimeError('LAB_ERR_CONTAINER', `container ${this.name} still running after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  logLines(): readonly string[] {
    return this.logs.lines;
  }

  waitForLogLine(pred: (line: string) => boolean, opts: { timeoutMs?: number; fromIndex?: number } = {}): Promise<{ line: string; index: number }> {
    return this.logs.waitFor(pred, opts.fromIndex ?? 0, opts.timeoutMs ?? 15_000, this.name);
  }

  stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.removed ??= (async () => {
      try {
        await this.unpause().catch(() => undefined);
        await this.tc.stop({ timeout: opts.timeoutMs ?? 10_000, remove: true, removeVolumes: true });
      } catch (err) {
        await this.forceRemove(err);
      } finally {
        this.closeLogs();
      }
    })();
    return this.removed;
  }

  remove(): Promise<void> {
    this.removed ??= (async () => {
      try {
        await this.forceRemove(null);
      } finally {
        this.closeLogs();
      }
    })();
    return this.removed;
  }

  private async forceRemove(cause: unknown): Promise<void> {
    try {
      await this.container.remove({ force: true, v: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw new ContainerRuntimeError('LAB_ERR_CONTAINER', `could not remove container ${this.name}: ${(err as Error).message}`, { cause: cause ?? err });
    }
  }

  private closeLogs(): void {
    this.logs.close();
  }
}

/** Starts containers for one run and removes them all in stopAll() (call it in a finally). */
export class ContainerRuntime {
  private readonly started = new Set<StartedContainerHandle>();
  constructor(readonly runId: string) {}

  async start(opts: Omit<StartContainerOptions, 'runId'>): Promise<StartedContainerHandle> {
    const h = await startContainer({ ...opts, runId: this.runId });
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

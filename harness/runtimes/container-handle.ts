// The handle of a started lab container: ports (re-read after restart), exec, signals, pause, restart with log
// capture continuing across starts, state, and idempotent stop/remove that always remove the container.
import type Dockerode from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import type { LogCollector } from './container-logs';
import {
  ContainerRuntimeError,
  type ContainerState,
  type ExecResult,
  type StartContainerOptions,
  type StartedContainerHandle,
} from './container-types';

export function toState(info: Dockerode.ContainerInspectInfo): ContainerState {
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

export class ContainerHandle implements StartedContainerHandle {
  readonly id: string;
  readonly image: string;
  readonly runId: string;
  readonly host: string;
  private readonly ports: number[];
  private removed: Promise<void> | null = null;
  private readonly onRemoved: (() => void) | undefined;

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
    this.onRemoved = opts.onRemoved;
  }

  port(containerPort?: number): number {
    const p = containerPort ?? this.ports[0];
    if (p === undefined)
      throw new ContainerRuntimeError('LAB_ERR_CONTAINER', `container ${this.name} publishes no ports`);
    return this.tc.getMappedPort(p);
  }

  url(containerPort?: number): string {
    return `http://${this.host}:${this.port(containerPort)}`;
  }

  private get container(): Dockerode.Container {
    return this.docker.getContainer(this.id);
  }

  async exec(
    argv: string[],
    opts: { user?: string; env?: Record<string, string>; workingDir?: string } = {},
  ): Promise<ExecResult> {
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
      if (Date.now() > deadline)
        throw new ContainerRuntimeError(
          'LAB_ERR_CONTAINER',
          `container ${this.name} still running after ${timeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  logLines(): readonly string[] {
    return this.logs.lines;
  }

  waitForLogLine(
    pred: (line: string) => boolean,
    opts: { timeoutMs?: number; fromIndex?: number } = {},
  ): Promise<{ line: string; index: number }> {
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
      throw new ContainerRuntimeError(
        'LAB_ERR_CONTAINER',
        `could not remove container ${this.name}: ${(err as Error).message}`,
        { cause: cause ?? err },
      );
    }
  }

  private closeLogs(): void {
    this.logs.close();
    try {
      this.onRemoved?.();
    } catch {
      /* host-side cleanup is best effort */
    }
  }
}

// A target's main program in a container (the container runtime, harness/runtimes/): startInContainer() makes
// Docker answer, builds or reuses the image, starts the container labelled with the run id and with the run's log
// file, and feeds every output line to the event log — the same `{"event":...}` lines the process runtime reads
// from stdout. ContainerHost then offers the TargetHost interface: PIDs are the container's own (what the admin API
// and the control endpoint report) and are signalled inside it; stop()/kill() always remove the container; and the
// container-level controls (kill with a signal, pause/unpause, restart, OOM kill under a memory quota).
import { ownershipLabels } from './ownership';
import fs from 'node:fs';
import path from 'node:path';
import { FaultError } from '../../faults/errors';
import { oomKillWorker, restartContainer, signalProcessInContainer } from '../../faults/container';
import {
  ContainerRuntime,
  ensureAppImage,
  ensureImage,
  removeLabContainersSync,
  requireDocker,
  type AppDir,
  type BuiltImage,
  type ImageSpec,
  type StartedContainerHandle,
} from '../runtimes';
import { TargetError } from './errors';
import { EventLog, type TargetLogEvent } from './event-log';
import type { ContainerControls, TargetHost } from './target-host';
import type { OomKill, TargetContext } from './types';

/** What every lab container of a target is started with (the target adds its image-specific options). */
export interface ContainerStartCommon {
  image: string;
  runId: string;
  runtime: ContainerRuntime;
  logFile: string;
  onLogLine: (line: string) => void;
  memoryLimitGiB?: number;
  stableHostPorts: boolean;
  startupTimeoutMs: number;
}

/** A file the program writes inside the container, copied into the run folder when the target stops. */
export interface CopyOut {
  from: string;
  to: string;
}

export interface StartInContainerOptions<T> {
  /** Target name: the log file is <runDir>/<name>.log. */
  name: string;
  image: ImageSpec;
  /** Application folders the lab image does not hold: built into a layer on top of it (runtimes/app-image.ts). */
  appDirs?: AppDir[];
  memoryLimitGiB?: number;
  startupTimeoutMs: number;
  copyOut?: CopyOut[];
  start(common: ContainerStartCommon): Promise<T>;
}

export async function startInContainer<T extends { container: StartedContainerHandle }>(
  ctx: TargetContext,
  o: StartInContainerOptions<T>,
): Promise<{ host: ContainerHost; started: T }> {
  let baseImage: string;
  try {
    baseImage = requireDocker().baseImage;
  } catch (err) {
    throw new TargetError('LAB_ERR_TARGET_RUNTIME', `target ${o.name}: ${(err as Error).message}`, { cause: err });
  }
  const log = (msg: string): void => ctx.log.info({ target: o.name }, msg);
  let built: BuiltImage;
  try {
    built = await ensureImage(o.image, { baseImage, log });
    if (o.appDirs?.length) {
      const lab = built;
      const withApps = await ensureAppImage(lab.tag, o.appDirs, { log });
      built = { ...withApps, built: lab.built || withApps.built, durationMs: lab.durationMs + withApps.durationMs };
    }
  } catch (err) {
    throw new TargetError('LAB_ERR_TARGET_START', `target ${o.name}: ${(err as Error).message}`, { cause: err });
  }
  const events = new EventLog();
  const runtime = new ContainerRuntime(ctx.runId, ownershipLabels(ctx.runDir));
  const logFile = path.join(ctx.runDir, `${o.name}.log`);
  let started: T;
  try {
    started = await o.start({
      image: built.tag,
      runId: ctx.runId,
      runtime,
      logFile,
      onLogLine: (line) => events.recordLine(line),
      ...(o.memoryLimitGiB !== undefined ? { memoryLimitGiB: o.memoryLimitGiB } : {}),
      stableHostPorts: true,
      startupTimeoutMs: o.startupTimeoutMs,
    });
  } catch (err) {
    await runtime.stopAll().catch(() => undefined);
    throw new TargetError(
      'LAB_ERR_TARGET_START',
      `target ${o.name} (container ${built.tag}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const image = { built: built.built, imageMs: built.durationMs };
  const host = new ContainerHost(
    o.name,
    started.container,
    runtime,
    events,
    logFile,
    o.copyOut ?? [],
    image,
    o.memoryLimitGiB,
  );
  ctx.log.info(
    { target: o.name, container: started.container.name, image: built.tag, built: built.built },
    'target container started',
  );
  return { host, started };
}

export class ContainerHost implements TargetHost, ContainerControls {
  readonly runtime = 'container' as const;
  readonly container: ContainerControls = this;
  private ending: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    readonly handle: StartedContainerHandle,
    private readonly containers: ContainerRuntime,
    private readonly log: EventLog,
    private readonly logFile: string,
    private readonly copyOut: CopyOut[],
    /** Whether setup had to build the image (dist/ changed), and how long checking or building it took. */
    private readonly image: { built: boolean; imageMs: number },
    private readonly memoryLimitGiB?: number,
  ) {}

  events(): TargetLogEvent[] {
    return this.log.events();
  }

  waitForEvent(
    pred: (e: TargetLogEvent) => boolean,
    timeoutMs: number,
    what: string,
    from = 0,
  ): Promise<TargetLogEvent> {
    const failure = (message: string): TargetError => {
      const tail = this.handle.logLines().slice(-30).join('\n');
      return new TargetError(
        'LAB_ERR_TARGET_START',
        `${this.name} (container ${this.handle.name}): ${message}; log ${this.logFile} ends with:\n${tail}`,
      );
    };
    return this.log.waitFor(pred, timeoutMs, what, failure, from);
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    if (!this.log.reportedWorker(pid)) {
      throw new TargetError(
        'LAB_ERR_TARGET_CONTROL',
        `pid ${pid} is not a process of this ${this.name} target (container ${this.handle.name})`,
      );
    }
    if (!(await signalProcessInContainer(this.handle, pid, signal))) {
      throw new FaultError('LAB_ERR_NO_PROCESS', `no process with pid ${pid} in container ${this.handle.name}`);
    }
  }

  stop(graceMs: number): Promise<void> {
    this.ending ??= this.end(async () => {
      await this.copyFilesOut();
      await this.handle.stop({ timeoutMs: graceMs });
    });
    return this.ending;
  }

  kill(): Promise<void> {
    // A stop under way shares the handle's removal: remove() joins it rather than starting another.
    this.ending ??= this.end(() => this.handle.remove());
    return this.ending;
  }

  private async end(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } finally {
      // Anything else this run started (a start interrupted half-way) goes too.
      await this.containers.stopAll({ timeoutMs: 1000 });
      this.log.end(
        (what) =>
          new TargetError('LAB_ERR_TARGET_START', `${this.name}: the container was removed while waiting for ${what}`),
      );
    }
  }

  killSync(): void {
    removeLabContainersSync(this.handle.runId);
  }

  details(): Record<string, unknown> {
    return {
      runtime: 'container',
      container: this.handle.name,
      containerId: this.handle.id.slice(0, 12),
      image: this.handle.image,
      imageBuilt: this.image.built,
      imageMs: this.image.imageMs,
      ...(this.memoryLimitGiB !== undefined ? { memoryLimitGiB: this.memoryLimitGiB } : {}),
    };
  }

  /** Files the server wrote inside (e.g. HTTPERR) into the run folder, as the process runtime has them. Best effort. */
  private async copyFilesOut(): Promise<void> {
    for (const f of this.copyOut) {
      try {
        const r = await this.handle.exec([
          'node',
          '-e',
          "process.stdout.write(require('fs').readFileSync(process.argv[1], 'latin1'))",
          f.from,
        ]);
        if (r.exitCode === 0) fs.writeFileSync(f.to, r.stdout, 'latin1');
      } catch {
        /* not written, or the container is not running */
      }
    }
  }

  // Container-level controls (CanControlContainer through the target).

  async containerKill(signal: NodeJS.Signals): Promise<void> {
    await this.handle.kill(signal);
  }

  async containerPause(): Promise<void> {
    await this.handle.pause();
  }

  async containerUnpause(): Promise<void> {
    try {
      await this.handle.unpause();
    } catch (err) {
      // A container removed meanwhile needs no heal.
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }

  async containerRestart(): Promise<{ durationMs: number }> {
    const r = await restartContainer(this.handle, { timeoutMs: 10_000 });
    return { durationMs: r.durationMs };
  }

  async oomKill(
    worker: { pid: number; id?: number },
    injectLeak: () => Promise<void>,
    timeoutMs = 60_000,
  ): Promise<OomKill> {
    if (this.memoryLimitGiB === undefined) {
      throw new TargetError(
        'LAB_ERR_FAULT',
        `${this.name}: an OOM kill needs a memory quota (target setting memoryLimitGiB)`,
      );
    }
    const obs = await oomKillWorker(this.handle, { workerPid: worker.pid, injectLeak, timeoutMs });
    return {
      pid: obs.workerPid,
      ...(typeof obs.crashed.workerId === 'number' ? { workerId: obs.crashed.workerId } : {}),
      ...(typeof obs.replacement.pid === 'number' ? { replacementPid: obs.replacement.pid } : {}),
      oomKillCount: obs.countersAfter.oomKill,
      cgroup: obs.countersAfter.source,
      kernelOomKill: obs.kernelOomKill,
      injectedAt: obs.injectedAt,
      crashedAt: obs.crashedAt,
      replacedAt: obs.replacedAt,
    };
  }
}

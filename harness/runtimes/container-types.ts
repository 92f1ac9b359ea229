// Types and labels of the container runtime (container-runtime.ts): what a caller asks for and the handle it gets.
export const LABEL_LAB = 'w3lab';
export const LABEL_RUN = 'w3lab.run';
export const LABEL_ROLE = 'w3lab.role';
export const LABEL_INSTANCE = 'w3lab.instance';

export class ContainerRuntimeError extends Error {
  readonly code: string;
  constructor(
    code: 'LAB_ERR_CONTAINER_START' | 'LAB_ERR_CONTAINER' | 'LAB_ERR_DOCKER',
    message: string,
    options?: { cause?: unknown },
  ) {
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
  /**
   * Publish each port on a free host port chosen once, so the address survives restart() (Docker keeps an explicit
   * binding; a random one changes on every start). Clients that reconnect after a restart find the server again.
   */
  stableHostPorts?: boolean;
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
  /** Host folders mounted read-write (the w3 admin socket's folder: admin-access.ts). Local engines only. */
  binds?: { source: string; target: string }[];
  /** Called once the container is removed (stop() or remove()): cleans up what was made for it on the host. */
  onRemoved?: () => void;
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
  exec(
    argv: string[],
    opts?: { user?: string; env?: Record<string, string>; workingDir?: string },
  ): Promise<ExecResult>;
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
  waitForLogLine(
    pred: (line: string) => boolean,
    opts?: { timeoutMs?: number; fromIndex?: number },
  ): Promise<{ line: string; index: number }>;
  /** Graceful: SIGTERM, SIGKILL after timeoutMs (default 10 s), then removed. Idempotent. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Forced: removed at once. Idempotent. */
  remove(): Promise<void>;
}

// What container faults need from a running container: a structural interface the container runtime's handle
// (harness/runtimes/container-runtime.ts) satisfies, so faults/ does not depend on the harness or on Docker types.
export interface ContainerExecResult {
  exitCode: number;
  output: string;
  stdout: string;
  stderr: string;
}

export interface ContainerStateSnapshot {
  running: boolean;
  paused: boolean;
  /** Docker's flag: the container's main process was OOM-killed (says nothing about other processes). */
  oomKilled: boolean;
  exitCode: number;
}

export interface ContainerControl {
  readonly name: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  restart(opts?: { timeoutMs?: number }): Promise<number>;
  exec(argv: string[]): Promise<ContainerExecResult>;
  state(): Promise<ContainerStateSnapshot>;
  waitForExit(timeoutMs?: number): Promise<ContainerStateSnapshot>;
  logLines(): readonly string[];
  waitForLogLine(
    pred: (line: string) => boolean,
    opts?: { timeoutMs?: number; fromIndex?: number },
  ): Promise<{ line: string; index: number }>;
}

// Container-level faults: a signal to the whole container (through Docker's init to the server), pause/unpause
// (cgroup freezer: every process of the target hangs, sockets stay open), restart, and a signal to one process
// inside by its in-container PID. Every fault that has a heal step runs it in finally; heals are idempotent.
// The memory-quota OOM fault is in oom-kill.ts.
import { holdThenHeal } from '../hold-then-heal';
import type { ContainerControl, ContainerStateSnapshot } from './container-control';

export type ContainerFaultErrorCode = 'LAB_ERR_CONTAINER_FAULT' | 'LAB_ERR_OOM_NOT_OBSERVED';

export class ContainerFaultError extends Error {
  readonly code: ContainerFaultErrorCode;
  constructor(code: ContainerFaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerFaultError';
    this.code = code;
  }
}

export interface KillResult {
  signal: NodeJS.Signals;
  /** When waitForExitMs was given: the state after the container stopped. */
  state?: ContainerStateSnapshot;
}

/**
 * Sends `signal` to the container's PID 1 (Docker's init), which forwards it to the server: SIGTERM = graceful
 * stop, SIGKILL = everything in the container dies at once. With waitForExitMs, waits until the container stopped.
 */
export async function killContainer(
  c: ContainerControl,
  signal: NodeJS.Signals = 'SIGKILL',
  opts: { waitForExitMs?: number } = {},
): Promise<KillResult> {
  await c.kill(signal);
  if (opts.waitForExitMs === undefined) return { signal };
  return { signal, state: await c.waitForExit(opts.waitForExitMs) };
}

export interface PausedContainer {
  /** Unpauses; idempotent, never throws for a container that is gone or not paused. */
  heal(): Promise<void>;
}

/** Freezes every process of the container until heal() (prefer withContainerPaused, which always heals). */
export async function pauseContainer(c: ContainerControl): Promise<PausedContainer> {
  await c.pause();
  let healed: Promise<void> | null = null;
  return {
    heal: () =>
      (healed ??= c.unpause().catch((err: unknown) => {
        // A container removed meanwhile needs no heal.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      })),
  };
}

/**
 * Pauses the container for at least `ms` and until `body` (if given) settles; the unpause (heal) runs in finally,
 * at once when body throws.
 */
export async function withContainerPaused<T>(
  c: ContainerControl,
  ms: number,
  body?: () => T | Promise<T>,
): Promise<T | undefined> {
  const paused = await pauseContainer(c);
  return holdThenHeal(ms, body, () => paused.heal());
}

export interface RestartResult {
  /** New mapped host port of the container's main port (it changes on every restart). */
  port: number;
  durationMs: number;
}

/** docker restart: SIGTERM, SIGKILL after timeoutMs (0 = at once), start again, wait until ready again. */
export async function restartContainer(c: ContainerControl, opts: { timeoutMs?: number } = {}): Promise<RestartResult> {
  const started = Date.now();
  const port = await c.restart({ timeoutMs: opts.timeoutMs ?? 10_000 });
  return { port, durationMs: Date.now() - started };
}

/**
 * Signals one process inside the container by its PID there (what w3's admin API and node-cluster's control
 * endpoint report). Runs `node -e process.kill(...)` inside, as the container's user. Returns false when no such
 * process exists.
 */
export async function signalProcessInContainer(
  c: ContainerControl,
  pid: number,
  signal: NodeJS.Signals,
): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1) {
    throw new ContainerFaultError(
      'LAB_ERR_CONTAINER_FAULT',
      `refusing to signal pid ${pid} inside ${c.name}: not a single server process`,
    );
  }
  const script =
    'try { process.kill(Number(process.argv[1]), process.argv[2]); } ' +
    "catch (e) { process.stderr.write(e.code || e.message); process.exitCode = e.code === 'ESRCH' ? 3 : 2; }";
  const r = await c.exec(['node', '-e', script, String(pid), signal]);
  if (r.exitCode === 0) return true;
  if (r.exitCode === 3) return false;
  throw new ContainerFaultError(
    'LAB_ERR_CONTAINER_FAULT',
    `could not send ${signal} to pid ${pid} inside ${c.name}: ${r.stderr.trim()}`,
  );
}

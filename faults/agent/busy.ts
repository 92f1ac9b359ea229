// Burning CPU on purpose: the synchronous busy loop behind hang{block-loop} and the duty-cycled spinner behind
// cpu-spin. Both read the monotonic clock (not the agent's injectable clock): they must really spend wall time.
import { performance } from 'node:perf_hooks';

/** Hard ceiling for any synchronous block, so a "forever" hang cannot outlive a forgotten test run. */
export const MAX_BLOCK_MS = 10 * 60 * 1000;

/** Keeps the event loop (and one core) busy for `ms`; nothing else in this process runs meanwhile. */
export function busyWait(ms: number): void {
  const end = performance.now() + Math.min(Math.max(0, ms), MAX_BLOCK_MS);
  // The loop body must do something the optimiser cannot drop; reading the clock is enough.
  while (performance.now() < end) {
    /* spin */
  }
}

export interface CpuSpinner {
  stop(): void;
}

/**
 * Spins `dutyPercent` of every `sliceMs` slice. Between slices the event loop runs, so the process stays
 * responsive but slow — the load pattern of a hot loop in an app, which is what cpu.limit is meant to catch.
 * The timer is unref'd: a spinner alone must not keep a process alive.
 */
export function startCpuSpinner(dutyPercent: number, sliceMs = 100): CpuSpinner {
  const spinMs = (sliceMs * Math.min(100, Math.max(0, dutyPercent))) / 100;
  const timer = setInterval(() => busyWait(spinMs), sliceMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

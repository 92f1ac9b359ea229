// The longest delay a Node timer holds. Config durations that arm timers are validated against it
// (config/duration.ts); the manager also clamps at the call site, so a value from anywhere else (a reload, a
// computed delay) can never overflow into a timer that fires after 1 ms.
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function timerMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < 1) return 1;
  return Math.min(Math.floor(ms), MAX_TIMER_MS);
}

// The rapid-fail window rule the checker judges by — the same rule w3 implements (its rapid-fail window): the
// window slides; failures at times a <= b are in one window when b - a < interval. A failure exactly one interval
// older than the newest has left the window. Both sides pin this at exactly one interval in their tests.

/** True when a failure at `firstT` still counts together with one at `lastT` (lastT >= firstT). */
export function inRapidFailWindow(firstT: number, lastT: number, intervalMs: number): boolean {
  return lastT - firstT < intervalMs;
}

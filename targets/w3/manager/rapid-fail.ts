// Rapid-fail protection as a pure state machine with an injected clock: failures are counted in a SLIDING window
// of `intervalMs` (IIS leaves sliding vs fixed open; w3 chooses sliding: the pool stops when `maxCrashes` failures
// fall within any `intervalMs` span). Counted: crash, ping failure, startup timeout, shutdown timeout, malformed
// control message, request-progress stall. Orderly recycles, idle shutdowns and CPU-limit kills are never recorded
// here. A failed overlap is not a failure of its own: the replacement's crash or startup timeout already counted.

export type FailureKind = 'crash' | 'ping' | 'startup-timeout' | 'shutdown-timeout' | 'malformed-message' | 'stalled';

export class RapidFailWindow {
  private failures: { t: number; kind: FailureKind }[] = [];

  constructor(
    private enabled: boolean,
    private maxCrashes: number,
    private intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** New settings (configuration reload): failures already recorded stay and are judged by the new window. */
  configure(enabled: boolean, maxCrashes: number, intervalMs: number): void {
    this.enabled = enabled;
    this.maxCrashes = maxCrashes;
    this.intervalMs = intervalMs;
  }

  /** Records a failure; returns true when the pool must now be stopped. */
  record(kind: FailureKind): boolean {
    const t = this.now();
    this.failures.push({ t, kind });
    this.prune(t);
    return this.enabled && this.failures.length >= this.maxCrashes;
  }

  count(): number {
    this.prune(this.now());
    return this.failures.length;
  }

  reset(): void {
    this.failures = [];
  }

  get windowMs(): number {
    return this.intervalMs;
  }

  private prune(t: number): void {
    const from = t - this.intervalMs;
    // Strictly inside the window: a failure exactly intervalMs old has left it.
    while (this.failures.length > 0 && this.failures[0]!.t <= from) this.failures.shift();
  }
}

// How late the host's own event loop ran lately, for the web-garden placement (dispatch-policy.ts). The listener
// judges a worker by when it reads the worker's answers; when the host itself did not run (descheduled on a busy
// machine, or busy with other work), answers that came in time are read late, and the worker looks stalled or slow
// although only the listener was late. A heartbeat measures that: a beat that runs L ms after it was due means the
// host's loop did not get to its timers for those L ms. The placement subtracts such time from what it blames on a
// worker (dispatch-policy.ts stalled, ServiceTime). One timer for the whole host, not one per request; it runs only
// while a packing pool asks for it (watch) and stops by itself HOST_LAG_IDLE_MS after the last ask, so a host that
// does not pack never starts it. What it cannot see: a stop with no beat due within it, and when, within the beat
// interval before a late beat, the stop began — up to HOST_BEAT_MS of the host's own lateness may still count
// against a worker.

import type { HostLateness } from './dispatch-policy';

/** The heartbeat's period: the most of the host's lateness the placement may miss. */
export const HOST_BEAT_MS = 10;
/** A beat later than this is a stop of the host; below it, the timers' own granularity. */
export const HOST_LATE_MIN_MS = 2;
/** The heartbeat stops this long after the last watch (a packing pool that serves nothing needs no heartbeat). */
export const HOST_LAG_IDLE_MS = 2_000;
/** Late spans kept: when the host is late at every beat, over a second of them (older ones are forgotten). */
export const HOST_LAG_SPANS = 128;

export class HostLag implements HostLateness {
  private timer: NodeJS.Timeout | null = null;
  private lastBeat = 0;
  private watchedAt = 0;
  /** The loop was late over [end - ms, end], oldest first. */
  private readonly spans: { end: number; ms: number }[] = [];

  constructor(private readonly clock: () => number = () => Date.now()) {}

  /** The heartbeat is running. */
  get running(): boolean {
    return this.timer !== null;
  }

  /** A packing pool is placing a request: keeps the heartbeat running, starting it if it was not. */
  watch(now: number): void {
    this.watchedAt = now;
    if (this.timer) return;
    this.lastBeat = now;
    this.timer = setInterval(() => this.beat(this.clock()), HOST_BEAT_MS);
    this.timer.unref();
  }

  private beat(now: number): void {
    const late = now - this.lastBeat - HOST_BEAT_MS;
    this.lastBeat = now;
    if (late > HOST_LATE_MIN_MS) {
      this.spans.push({ end: now, ms: late });
      if (this.spans.length > HOST_LAG_SPANS) this.spans.shift();
    }
    if (now - this.watchedAt > HOST_LAG_IDLE_MS) this.stop();
  }

  lateMs(since: number, now: number): number {
    // A beat overdue now: the loop is running late at this very moment (the answers it has not read yet included).
    let ms = this.timer ? Math.min(Math.max(0, now - this.lastBeat - HOST_BEAT_MS), now - since) : 0;
    for (let i = this.spans.length - 1; i >= 0; i--) {
      const s = this.spans[i]!;
      if (s.end <= since) break;
      ms += Math.min(s.ms, s.end - since);
    }
    return ms;
  }

  stop(): void {
    clearInterval(this.timer ?? undefined);
    this.timer = null;
  }
}

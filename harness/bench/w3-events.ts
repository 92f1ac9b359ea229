// w3's event stream (admin `GET /events?follow=1`) buffered for the bench, with deadline-bounded waits for an event
// that may already have arrived (a RecycleCompleted can come before the POST that caused it has been answered).
import type { AdminClient } from '../../targets/w3/admin/admin-client';

export type W3StreamEvent = Record<string, unknown> & { t: number; type: string };

export interface EventFollower {
  events: W3StreamEvent[];
  waitFor(pred: (e: W3StreamEvent) => boolean, timeoutMs: number): Promise<W3StreamEvent>;
  stop(): Promise<void>;
}

export class EventWaitTimeout extends Error {
  readonly code = 'LAB_ERR_BENCH_EVENT_TIMEOUT';
}

export function followW3Events(admin: AdminClient, since: number): EventFollower {
  const events: W3StreamEvent[] = [];
  const waiters = new Set<() => void>();
  const stream = admin.followEvents((e) => {
    events.push(e as W3StreamEvent);
    for (const w of [...waiters]) w();
  }, since);
  return {
    events,
    waitFor(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = events.find(pred);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new EventWaitTimeout(`no matching w3 event within ${timeoutMs} ms (${events.length} events seen)`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      stream.stop();
      await stream.done;
    },
  };
}

/** A numeric event field, or null when it is missing or not a finite number (recorded as "not measured"). */
export function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export interface Replacement {
  /** The replacement's WorkerReady event. */
  ready: W3StreamEvent;
  /** WorkerReady.startupMs: the replacement's own spawn → ready. */
  startupMs: number | null;
  newPid: number | null;
}

/** The first WorkerReady in `pool` at or after `since` from a worker other than `oldPid` (the one that was broken). */
export async function waitForReplacement(
  events: EventFollower,
  pool: string,
  oldPid: number,
  since: number,
  timeoutMs: number,
): Promise<Replacement> {
  const isReplacement = (e: W3StreamEvent): boolean =>
    e.type === 'WorkerReady' && e['pool'] === pool && e['pid'] !== oldPid && e.t >= since;
  const ready = await events.waitFor(isReplacement, timeoutMs);
  return { ready, startupMs: numberOrNull(ready['startupMs']), newPid: numberOrNull(ready['pid']) };
}

// The EntityBody timer (HTTP.sys's, timers.entityBodyTimeout): an inactivity timer on a request body, restarted
// by every chunk that arrives — a slow but steady upload passes, a client that stops mid-body is cut
// (Timer_EntityBody). Node has no per-chunk body timer (its requestTimeout bounds the whole request), hence this.
// Armed while the listener is reading the body for a worker, not while the request waits in a pool queue (nothing
// reads it then; the queue timer applies). Silence caused by backpressure from the worker does not count.
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';

/** Node timers cannot exceed 2^31-1 ms (longer ones fire at once); a listener timer that long is effectively off. */
export function clampTimer(ms: number): number {
  return Math.min(ms, 0x7fffffff);
}

/** Watches `req`'s body as it is piped into `sink`; calls `onExpire` after `ms` without a chunk. */
export function armEntityBodyTimer(
  req: IncomingMessage,
  sink: Writable,
  ms: number,
  onExpire: () => void,
): NodeJS.Timeout {
  const timer = setTimeout(() => {
    if (req.complete || req.destroyed) return;
    // The worker is not taking the body: the silence is ours, not the client's.
    if (sink.writableNeedDrain || req.isPaused()) return void timer.refresh();
    onExpire();
  }, clampTimer(ms));
  const restart = (): void => void timer.refresh();
  req.on('data', restart);
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', restart);
  };
  req.once('end', stop);
  req.once('close', stop);
  return timer;
}

// GET /events: the event log as NDJSON, written with backpressure. The snapshot is written in batches that wait for
// 'drain', so a slow reader holds the snapshot's references, not a second copy in the socket buffer. With follow=1
// the stream stays open; events that arrive while the snapshot is still being written wait in a bounded list, and
// a follower that falls more than MAX_FOLLOW_BACKLOG_BYTES behind (unsent in memory) is cut: it reconnects with
// ?since= if it wants more. Nothing a reader does can make the host buffer without bound.
import { once } from 'node:events';
import type http from 'node:http';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../util/logger';

/** How far a follower may fall behind (bytes held for it) before it is cut. */
export const MAX_FOLLOW_BACKLOG_BYTES = 1024 * 1024;
const BATCH_LINES = 256;

export async function streamEvents(
  events: EventLog,
  res: http.ServerResponse,
  opts: { since: number; follow: boolean; log: Logger },
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  let pending: string[] | null = opts.follow ? [] : null;
  let pendingBytes = 0;
  let closed = false;
  const cut = (why: string): void => {
    if (closed) return;
    closed = true;
    opts.log.warn({ why }, 'GET /events?follow=1: slow follower cut');
    res.destroy();
  };
  const off = opts.follow
    ? events.subscribe((_e, json) => {
        if (closed) return;
        if (pending) {
          pending.push(json);
          pendingBytes += json.length + 1;
          if (pendingBytes > MAX_FOLLOW_BACKLOG_BYTES) cut('events piled up during the snapshot');
          return;
        }
        res.write(json + '\n');
        if (res.writableLength > MAX_FOLLOW_BACKLOG_BYTES) cut('reader too slow');
      })
    : () => undefined;
  res.once('close', () => {
    closed = true;
    off();
  });
  const lines = events.linesSince(opts.since);
  for (let i = 0; i < lines.length && !closed; i += BATCH_LINES) {
    const ok = res.write(lines.slice(i, i + BATCH_LINES).join('\n') + '\n');
    if (!ok && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  if (closed) return;
  if (!opts.follow) return void res.end();
  const backlog = pending ?? [];
  pending = null;
  if (backlog.length > 0) res.write(backlog.join('\n') + '\n');
}

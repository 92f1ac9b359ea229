// The event log: every event is stamped, logged through pino (so it lands in the host's log), kept in a bounded
// ring for `GET /events`, and pushed to live subscribers (streaming /events, the lab's recorder).
import { EVENT_IDS, type W3Event, type W3EventType } from './event-types';
import type { Logger } from '../util/logger';

export type EventInput = Partial<W3Event> & { type: W3EventType };

export class EventLog {
  private readonly ring: W3Event[] = [];
  private readonly subscribers = new Set<(e: W3Event) => void>();

  constructor(
    private readonly log: Logger,
    private readonly capacity = 20_000,
  ) {}

  emit(input: EventInput): W3Event {
    const e = { ...input, t: input.t ?? Date.now() } as W3Event;
    if (e.eventId === undefined) {
      const id = (EVENT_IDS as Record<string, number>)[e.type as W3EventType];
      if (id !== undefined && !(e.type === 'PoolStopped' && e.reason !== 'RapidFail')) e.eventId = id;
    }
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
    this.log.info({ event: e }, e.type);
    for (const s of this.subscribers) s(e);
    return e;
  }

  since(t = 0): W3Event[] {
    return t <= 0 ? [...this.ring] : this.ring.filter((e) => e.t >= t);
  }

  subscribe(fn: (e: W3Event) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

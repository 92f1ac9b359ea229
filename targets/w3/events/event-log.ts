// The event log: every event is stamped, logged through pino (so it lands in the host's log), kept in a bounded
// ring for `GET /events`, and pushed to live subscribers (streaming /events, the lab's recorder).
// Bounded memory: an event's string fields are cut to MAX_FIELD_CHARS (a 15 KB URL or a worker's long reason must not
// be retained thousands of times), and the ring holds at most `capacity` events and `maxBytes` of their JSON — the
// oldest go first. The ring is a fixed array with a moving head: no shift() of 20,000 elements per event.
import { EVENT_IDS, type W3Event, type W3EventType } from './event-types';
import type { Logger } from '../util/logger';

export type EventInput = Partial<W3Event> & { type: W3EventType };

/** Longest string kept in an event field; longer ones are cut and marked. */
export const MAX_FIELD_CHARS = 1024;
const DEFAULT_CAPACITY = 20_000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

interface Slot {
  e: W3Event;
  /** The event as one NDJSON line (without the newline), serialised once. */
  json: string;
}

export class EventLog {
  private readonly ring: (Slot | undefined)[];
  private head = 0;
  private size = 0;
  private bytes = 0;
  private readonly subscribers = new Set<(e: W3Event, json: string) => void>();

  constructor(
    private readonly log: Logger,
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {
    this.ring = new Array<Slot | undefined>(capacity);
  }

  emit(input: EventInput): W3Event {
    const e = bounded({ ...input, t: input.t ?? Date.now() }) as W3Event;
    if (e.eventId === undefined) {
      const id = (EVENT_IDS as Record<string, number>)[e.type];
      if (id !== undefined && !(e.type === 'PoolStopped' && e.reason !== 'RapidFail')) e.eventId = id;
    }
    const json = JSON.stringify(e);
    this.push({ e, json });
    this.log.info({ event: e }, e.type);
    for (const s of this.subscribers) s(e, json);
    return e;
  }

  /** Events at or after `t` (all when t <= 0), oldest first. */
  since(t = 0): W3Event[] {
    return this.slots(t).map((s) => s.e);
  }

  /** The same as since(), as NDJSON lines (serialised once, when emitted). */
  linesSince(t = 0): string[] {
    return this.slots(t).map((s) => s.json);
  }

  /** Events kept and the bytes of their JSON (GET /health shows them). */
  stats(): { events: number; bytes: number; capacity: number; maxBytes: number } {
    return { events: this.size, bytes: this.bytes, capacity: this.capacity, maxBytes: this.maxBytes };
  }

  subscribe(fn: (e: W3Event, json: string) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private push(slot: Slot): void {
    while (this.size > 0 && (this.size >= this.capacity || this.bytes + slot.json.length > this.maxBytes)) this.evict();
    this.ring[(this.head + this.size) % this.capacity] = slot;
    this.size++;
    this.bytes += slot.json.length;
  }

  private evict(): void {
    const old = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    this.bytes -= old?.json.length ?? 0;
  }

  private slots(t: number): Slot[] {
    const out: Slot[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.ring[(this.head + i) % this.capacity]!;
      if (t <= 0 || s.e.t >= t) out.push(s);
    }
    return out;
  }
}

/** A copy of `v` whose strings are at most MAX_FIELD_CHARS (nested objects and arrays too, a few levels deep). */
function bounded(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > MAX_FIELD_CHARS ? cut(v) : v;
  if (v === null || typeof v !== 'object' || depth > 4) return v;
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => bounded(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = bounded(x, depth + 1);
  return out;
}

function cut(s: string): string {
  return `${s.slice(0, MAX_FIELD_CHARS)}…[${s.length - MAX_FIELD_CHARS} more characters cut]`;
}

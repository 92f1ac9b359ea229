// Test support for checker tests: builds a small run (history + event log) with times given as ms offsets from the
// run start, so each test reads like the timeline it models.
import type { W3Event, W3EventType } from '../../../targets/w3/events/event-types';
import type { HistoryRecord, MarkRecord, RequestRecord, SocketRecord } from '../../history/types';
import type { CheckInput } from '../types';

export const T0 = 1_760_000_000_000;

export class RunBuilder {
  readonly history: HistoryRecord[] = [];
  readonly events: W3Event[] = [];
  private nextId = 1;

  constructor(
    readonly durationMs = 60_000,
    readonly start = T0,
  ) {}

  at(ms: number): number {
    return this.start + ms;
  }

  /** A request written at `ms`; defaults: GET /, ok 200 in 5 ms on connection 1. */
  request(ms: number, fields: Partial<RequestRecord> = {}): this {
    const r: RequestRecord = {
      kind: 'request',
      t: this.at(ms),
      id: this.nextId++,
      conn: 1,
      method: 'GET',
      path: '/',
      outcome: 'ok',
      status: 200,
      latencyMs: 5,
      ...fields,
    };
    this.history.push(r);
    return this;
  }

  /** One request every `everyMs` in [fromMs, toMs); `fields` may depend on the write time. */
  load(fromMs: number, toMs: number, everyMs: number, fields: (ms: number) => Partial<RequestRecord> = () => ({})) {
    for (let ms = fromMs; ms < toMs; ms += everyMs) this.request(ms, fields(ms));
    return this;
  }

  socket(conn: number, fields: Partial<SocketRecord> = {}): this {
    const s: SocketRecord = {
      kind: 'socket',
      conn,
      opened: this.start,
      closed: this.at(this.durationMs),
      closeKind: 'client',
      requests: 10,
      ...fields,
    };
    this.history.push(s);
    return this;
  }

  mark(ms: number, name: string, extra: Record<string, unknown> = {}): this {
    const m: MarkRecord = { kind: 'mark', t: this.at(ms), name, ...extra };
    this.history.push(m);
    return this;
  }

  event(ms: number, type: W3EventType, fields: Partial<W3Event> = {}): this {
    this.events.push({ t: this.at(ms), type, ...fields });
    return this;
  }

  /** The usual start of a worker: Starting, then Ready `readyAfterMs` later. */
  workerUp(ms: number, pool: string, workerId: number, pid: number, readyAfterMs = 300, extra: Partial<W3Event> = {}) {
    this.event(ms, 'WorkerStarting', { pool, workerId, pid });
    return this.event(ms + readyAfterMs, 'WorkerReady', { pool, workerId, pid, ...extra });
  }

  input(): CheckInput {
    return { history: this.history, events: this.events, start: this.start, end: this.at(this.durationMs) };
  }
}

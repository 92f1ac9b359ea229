// Test support for checker tests: builds a small run (history + event log) with times given as ms offsets from the
// run start, so each test reads like the timeline it models. Events are built with the vocabulary's typed
// constructor: a field the vocabulary does not have, or a missing required one, does not compile.
import { labEvent, type LabEvent, type LabEventFields, type LabEventType } from '../../events';

/** An event's fields as a test gives them: time and source are filled in by the builder. */
export type EventFields<K extends LabEventType> = Omit<LabEventFields<K>, 't' | 'source'>;
import type { HistoryRecord, MarkRecord, RequestRecord, SocketRecord } from '../../history/types';
import type { CheckInput } from '../types';

export const T0 = 1_760_000_000_000;

export class RunBuilder {
  readonly history: HistoryRecord[] = [];
  readonly events: LabEvent[] = [];
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

  event<K extends LabEventType>(ms: number, type: K, fields: EventFields<K>, source = 'w3'): this {
    this.events.push(labEvent(type, { ...fields, t: this.at(ms), source } as unknown as LabEventFields<K>));
    return this;
  }

  /** The usual start of a worker: Starting, then Ready `readyAfterMs` later. */
  workerUp(
    ms: number,
    pool: string,
    workerId: number,
    pid: number,
    readyAfterMs = 300,
    extra: { recycleId?: number } = {},
  ) {
    this.event(ms, 'WorkerStarting', { pool, workerId, pid });
    return this.event(ms + readyAfterMs, 'WorkerReady', { pool, workerId, pid, ...extra });
  }

  /** A worker that died unasked (SIGKILL by default). */
  crash(
    ms: number,
    pool: string,
    workerId: number,
    pid: number,
    how: { exitCode?: number | null; signal?: string | null } = {},
  ) {
    const signal = how.signal === undefined ? (how.exitCode != null ? null : 'SIGKILL') : how.signal;
    return this.event(ms, 'WorkerCrashed', {
      pool,
      workerId,
      pid,
      exitCode: how.exitCode ?? null,
      signal,
      duringStartup: false,
    });
  }

  input(): CheckInput {
    return { history: this.history, events: this.events, start: this.start, end: this.at(this.durationMs) };
  }
}

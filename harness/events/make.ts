// Building and reading lab events. labEvent() is the typed constructor: its fields are checked against the
// vocabulary at compile time, so code (and tests) cannot invent a field or misspell a type. readLabEvent() is the
// run-time check for what comes from outside the process (events.jsonl of a stored run): a line that does not fit
// the vocabulary is reported, not guessed at.
import { labEventSchema, type LabEvent, type LabEventOf, type LabEventType } from './vocabulary';

/** The fields of one event type (everything but `type`). */
export type LabEventFields<K extends LabEventType> = Omit<LabEventOf<K>, 'type'>;

/** The event of `type` with `fields`; a field given as undefined is left out (absent, not `undefined`, on disk). */
export function labEvent<K extends LabEventType>(type: K, fields: LabEventFields<K>): LabEventOf<K> {
  const e: Record<string, unknown> = { type };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) e[k] = v;
  return e as unknown as LabEventOf<K>;
}

/** Narrows an event to one type. */
export function isEvent<K extends LabEventType>(e: LabEvent, type: K): e is LabEventOf<K> {
  return e.type === type;
}

export type ReadResult = { ok: true; event: LabEvent } | { ok: false; reason: string };

/** Validates one event read back from disk; unknown fields are dropped, a missing or wrong field is an error. */
export function readLabEvent(raw: unknown): ReadResult {
  const r = labEventSchema.safeParse(raw);
  if (r.success) return { ok: true, event: r.data };
  const first = r.error.issues[0];
  const where = first?.path.length ? `${first.path.map(String).join('.')}: ` : '';
  return { ok: false, reason: `${where}${first?.message ?? 'not a lab event'}` };
}

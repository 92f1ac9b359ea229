// Durations in the config file: the one place that turns "90s", "1h30m" or an IIS timespan "00:01:30" into
// milliseconds. IIS users copy values from applicationHost.config ([d.]hh:mm:ss), Node users think in ms, and
// the lab writes short timings ("200ms"), so all three are accepted; anything else is rejected with the bad value
// and an example, never guessed (a bare "120" could mean seconds to an IIS user and ms to a Node user).
import { z } from 'zod';
import { MAX_TIMER_MS } from '../util/timer-limit';

export const DURATION_HINT = 'use ms or "500ms", "90s", "20m", "29h", "00:01:30"';

/** Structural pattern (unit form or timespan); exported into the JSON Schema so editors flag typos early.
 *  parseDuration checks what a regex cannot say cleanly (unit order, field ranges). */
export const DURATION_PATTERN = '^(?:(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+|(?:\\d+\\.)?\\d+:\\d{2}:\\d{2}(?:\\.\\d+)?)$';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
// Largest first: "1h30m" reads naturally, "30m1h" or "1m1m" is almost certainly a typo worth reporting.
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

const UNIT_FORM = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const UNIT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
// .NET TimeSpan as written by IIS: [d.]hh:mm:ss[.fffffff]
const TIMESPAN = /^(?:(\d+)\.)?(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

/** The message every rejected duration carries; `reason` replaces the generic hint when we know better. */
export function badDurationMessage(v: unknown, reason?: string): string {
  return `bad duration ${show(v)} (${reason ?? DURATION_HINT})`;
}

export class DurationError extends Error {
  constructor(
    readonly value: unknown,
    reason?: string,
  ) {
    super(badDurationMessage(value, reason));
    this.name = 'DurationError';
  }
}

function parseUnitForm(s: string): number {
  let total = 0;
  let lastRank = -1;
  for (const m of s.matchAll(UNIT_PART)) {
    const unit = m[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) throw new DurationError(s, 'units must appear once each, largest first, e.g. "1h30m"');
    lastRank = rank;
    total += Number(m[1]) * UNIT_MS[unit];
  }
  return total;
}

function parseTimespan(s: string, m: RegExpMatchArray): number {
  const [, days, hours, minutes, seconds, fraction] = m;
  const h = Number(hours);
  const min = Number(minutes);
  const sec = Number(seconds);
  // With a day part the hours are a time of day (.NET rule); without one, "29:00:00" (how IIS docs write the
  // periodicRestart default) is unambiguous, so it is allowed.
  if (days !== undefined && h > 23) throw new DurationError(s, 'hours must be 0-23 when a day part is given');
  if (min > 59) throw new DurationError(s, 'minutes must be 0-59');
  if (sec > 59) throw new DurationError(s, 'seconds must be 0-59');
  const frac = fraction === undefined ? 0 : Number(`0.${fraction}`);
  return ((Number(days ?? 0) * 24 + h) * 60 + min) * 60_000 + (sec + frac) * 1000;
}

/** Milliseconds from a non-negative number of ms, a unit string ("500ms", "1.5s", "1h30m", "1d") or an IIS
 *  timespan ("00:01:30", "1.02:00:00"). Results are rounded to whole ms: no timer here is finer than that.
 *  Throws DurationError naming the value otherwise. */
export function parseDuration(v: number | string): number {
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new DurationError(v, 'must be a finite number of ms >= 0');
    ms = v;
  } else if (typeof v === 'string') {
    const ts = TIMESPAN.exec(v);
    if (ts) ms = parseTimespan(v, ts);
    else if (UNIT_FORM.test(v)) ms = parseUnitForm(v);
    else throw new DurationError(v);
  } else {
    throw new DurationError(v);
  }
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded)) throw new DurationError(v, 'too large');
  return rounded;
}

/** A duration field of the file format: input number | string, output ms. Each branch carries the duration
 *  message itself so the user sees `bad duration "3x" (...)` rather than zod's generic union/regex text. */
export const durationSchema = z
  .union(
    [
      z
        .number({ error: (iss) => badDurationMessage(iss.input) })
        .min(0, { error: (iss) => badDurationMessage(iss.input, 'must be >= 0') }),
      z.string().regex(new RegExp(DURATION_PATTERN), { error: (iss) => badDurationMessage(iss.input) }),
    ],
    { error: (iss) => badDurationMessage(iss.input) },
  )
  .transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', input: v, message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  });

/** For timers where 0 would mean "fire immediately forever" (ping interval, time limits). */
export const positiveDurationSchema = durationSchema.refine((ms) => ms > 0, { error: 'must be greater than 0' });

/** The longest delay a Node timer holds (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export { MAX_TIMER_MS };
const TIMER_LIMIT = {
  error: (iss: { input?: unknown }) =>
    `too long: ${String(iss.input)} ms is more than ${MAX_TIMER_MS} ms (about 24.8 days), ` +
    'the longest timer w3 can hold',
};

/** A duration that runs a timer: bounded so it can never overflow into an immediate expiry. */
export const timerDurationSchema = durationSchema.refine((ms) => ms <= MAX_TIMER_MS, TIMER_LIMIT);
export const positiveTimerDurationSchema = positiveDurationSchema.refine((ms) => ms <= MAX_TIMER_MS, TIMER_LIMIT);

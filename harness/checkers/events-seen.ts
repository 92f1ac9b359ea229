// Checker eventsSeen: the target reported a kind of event (at least `min`, at most `max` times) — the evidence that
// a behaviour a scenario is about happened at all: an idle worker shut down (IdleShutdown), a pool was stopped by
// rapid-fail protection, a memory recycle started. Without it, a scenario whose behaviour never happened can pass
// on checks that are also true of a steady state.
import { z } from 'zod';
import { LAB_EVENT_TYPES, type LabEvent } from '../events';
import {
  defineChecker,
  describeWindow,
  eventBrief,
  eventsOf,
  EXAMPLES,
  inWindow,
  resolveWindow,
  timeRefSchema,
  verdict,
} from './shared';

export const eventsSeenOptions = z.strictObject({
  type: z.enum(LAB_EVENT_TYPES as [string, ...string[]]).describe('the event type (harness/events)'),
  pool: z.string().optional().describe('only events of this pool'),
  reason: z.string().optional().describe('only events whose reason is this (e.g. rapid-fail, private-memory)'),
  min: z.number().int().nonnegative().default(1).describe('at least this many'),
  max: z.number().int().nonnegative().optional().describe('at most this many'),
  from: timeRefSchema.optional(),
  to: timeRefSchema.optional(),
});

const reasonOf = (e: LabEvent): unknown => ('reason' in e ? e.reason : undefined);

export const eventsSeen = defineChecker('eventsSeen', eventsSeenOptions, (input, o) => {
  const w = resolveWindow(input, o.from, o.to);
  if (!w.ok) return verdict('unknown', `Cannot place the window: ${w.reason}.`, {});
  const seen = eventsOf(input, o.pool)
    .filter((e) => e.type === o.type && inWindow(w.value, e.t))
    .filter((e) => o.reason === undefined || reasonOf(e) === o.reason);
  const reason = o.reason !== undefined ? ` (reason ${o.reason})` : '';
  const what = `${o.type}${reason}${o.pool !== undefined ? ` of pool ${o.pool}` : ''}`;
  const details = {
    count: seen.length,
    min: o.min,
    max: o.max ?? null,
    window: describeWindow(input, w.value),
    examples: seen.slice(0, EXAMPLES).map((e) => eventBrief(input, e)),
  };
  if (seen.length < o.min)
    return verdict(false, `The target reported ${what} ${seen.length} time(s), expected at least ${o.min}.`, details);
  if (seen.length > (o.max ?? Infinity))
    return verdict(false, `The target reported ${what} ${seen.length} time(s), expected at most ${o.max}.`, details);
  return verdict(true, `The target reported ${what} ${seen.length} time(s).`, details);
});

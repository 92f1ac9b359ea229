// What the w3 benchmark sections have in common, so each section file holds only what it measures: a w3 (and its
// event stream) that is stopped whatever happens, iterations that stop early once nothing is left to break, the
// head every result file starts with, the machine line under each table and the "n of m incomplete" problems.
import path from 'node:path';
import type { RunMeta } from './bench-env';
import type { StopReport } from './managed-process';
import type { BenchContext } from './section';
import { startW3, stopW3, type W3Options, type W3Server } from './servers';
import { followW3Events, type EventFollower, type W3StreamEvent } from './w3-events';

/** startW3's options without what the context already knows. */
export type SectionW3Options = Omit<W3Options, 'registry' | 'bin'>;

export interface W3Outcome<T> {
  value: T;
  /** How w3 stopped (null when it never started). */
  w3Stop: StopReport | null;
}

/** An app under targets/apps. */
export function benchApp(ctx: BenchContext, file: string): string {
  return path.join(ctx.repoRoot, 'targets', 'apps', file);
}

/** Starts w3, runs `body` with it and stops w3 afterwards, also when `body` throws. */
export async function withW3<T>(
  ctx: BenchContext,
  opts: SectionW3Options,
  body: (w3: W3Server) => Promise<T>,
): Promise<W3Outcome<T>> {
  const out = await withW3Events(ctx, opts, (w3) => body(w3), { follow: false });
  return { value: out.value, w3Stop: out.w3Stop };
}

/**
 * Starts w3 and follows its event stream (from a minute back, so nothing of the start is missed), runs `body`, then
 * stops the stream and w3, also when `body` throws. The events are returned for the section's result file.
 */
export async function withW3Events<T>(
  ctx: BenchContext,
  opts: SectionW3Options,
  body: (w3: W3Server, events: EventFollower) => Promise<T>,
  how: { follow: boolean } = { follow: true },
): Promise<W3Outcome<T> & { events: W3StreamEvent[] }> {
  let w3: W3Server | undefined;
  let follower: EventFollower | undefined;
  let value: T;
  let w3Stop: StopReport | null;
  try {
    w3 = await startW3({ registry: ctx.processes, bin: ctx.params.w3Bin, ...opts });
    follower = how.follow ? followW3Events(w3.admin, Date.now() - 60_000) : undefined;
    value = await body(w3, follower ?? NO_EVENTS);
  } finally {
    w3Stop = await stopW3(w3, follower);
  }
  return { value, w3Stop, events: follower?.events ?? [] };
}

const NO_EVENTS: EventFollower = {
  events: [],
  waitFor: () => Promise.reject(new Error('bench: this section does not follow w3 events')),
  stop: () => Promise.resolve(),
};

/**
 * Runs `one(i)` for i = 1..n and returns the samples in order. After each, `after(sample, i)` reports progress and
 * answers whether to stop early (e.g. no ready worker left to break, so the remaining iterations could only time
 * out one after the other).
 */
export async function repeatSamples<S>(
  n: number,
  one: (i: number) => Promise<S>,
  after: (sample: S, i: number) => Promise<boolean>,
): Promise<S[]> {
  const samples: S[] = [];
  for (let i = 1; i <= n; i++) {
    const s = await one(i);
    samples.push(s);
    if (await after(s, i)) break;
  }
  return samples;
}

/** "<section>: 2/10 <what>: <first line of the first error>", or nothing when every sample is complete. */
export function incompleteProblems(section: string, what: string, samples: readonly { error?: string }[]): string[] {
  const failed = samples.filter((s) => s.error);
  if (failed.length === 0) return [];
  return [`${section}: ${failed.length}/${samples.length} ${what}: ${firstLine(failed[0]!.error!)}`];
}

/** A section that stopped early says so: its medians rest on fewer samples than asked for. */
export function shortRunProblems(section: string, ran: number, expected: number): string[] {
  return ran < expected ? [`${section}: only ${ran}/${expected} iterations ran`] : [];
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** The fields every section's result file starts with. */
export function resultHead(ctx: BenchContext, meta: RunMeta, section: string, app: string): Record<string, unknown> {
  return { section, ...meta, machineAfter: ctx.meta().machine, app };
}

/** "2 cores, load 1.2 0.9 0.7": ends each section's headline, since every number depends on it. */
export function machineLine(meta: RunMeta): string {
  return `${meta.machine.cores} cores, load ${meta.machine.loadavg.join(' ')}`;
}

export function goalWord(met: boolean | null): string {
  return met === null ? 'unknown' : met ? 'met' : 'NOT met';
}

/** Events of the given types from `since` on (1 ms of clock slack), for a section's result file. */
export function eventsOfTypes(
  events: readonly W3StreamEvent[],
  types: readonly string[],
  since: number,
): W3StreamEvent[] {
  const wanted = new Set(types);
  return events.filter((e) => wanted.has(e.type) && e.t >= since - 1);
}

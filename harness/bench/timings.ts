// Summaries of repeated timing samples (ms) for the bench's tables and JSON: n, median, max, min, with samples
// that could not be measured (null) counted apart rather than dropped silently.
import { summarize } from '../results/stats';

export interface TimingSummary {
  /** Samples measured. */
  n: number;
  /** Samples that produced no value (the event never came, the iteration failed). */
  missing: number;
  median: number | null;
  min: number | null;
  max: number | null;
}

export function summarizeTimings(values: readonly (number | null | undefined)[]): TimingSummary {
  const measured = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const s = summarize(measured);
  return {
    n: s.n,
    missing: values.length - measured.length,
    median: s.p50,
    min: measured.length > 0 ? Math.min(...measured) : null,
    max: s.max,
  };
}

/** Median of the measured values, or undefined (for `ratio`). */
export function medianOf(values: readonly (number | null | undefined)[]): number | undefined {
  return summarizeTimings(values).median ?? undefined;
}

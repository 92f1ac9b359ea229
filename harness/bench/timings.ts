// Summaries of repeated samples (timings in ms, rates) for the bench's tables and JSON: n, median, max, min, with
// samples that could not be measured (null) counted apart rather than dropped silently. The median is the midpoint
// of the two middle values for an even n (with 2 rounds, the nearest-rank p50 would just report the lower one).

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
  const sorted = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median =
    n === 0 ? null : n % 2 === 1 ? sorted[mid]! : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 100) / 100;
  return { n, missing: values.length - n, median, min: n > 0 ? sorted[0]! : null, max: n > 0 ? sorted[n - 1]! : null };
}

/** Median of the measured values, or undefined (for `ratio`). */
export function medianOf(values: readonly (number | null | undefined)[]): number | undefined {
  return summarizeTimings(values).median ?? undefined;
}

/** A table of TimingSummary rows: the headers (first column named by the caller) and one row per metric. */
export function timingTableHeaders(firstColumn: string): string[] {
  return [firstColumn, 'median', 'max', 'min', 'n', 'missing'];
}

export function timingRow(name: string, s: TimingSummary): (string | number | null)[] {
  return [name, s.median, s.max, s.min, s.n, s.missing];
}

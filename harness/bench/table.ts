// Plain-text tables for the bench's stdout: left-aligned first column, right-aligned numbers.

export type Cell = string | number | null | undefined;

function show(c: Cell): string {
  if (c === null || c === undefined) return '-';
  if (typeof c === 'number') return Number.isInteger(c) ? String(c) : c.toFixed(2);
  return c;
}

export function formatTable(headers: string[], rows: Cell[][]): string[] {
  const cells = [headers, ...rows.map((r) => r.map(show))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

/** a / b rounded to 2 decimals, or null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

// Target selectors: which of a target's workers (or containers, or connections) a fault hits. One schema for
// scenario files and the admin API, and one pure picking function driven by an injected seeded random source,
// so the same seed always picks the same workers.
import { z } from 'zod';
import type { Random } from './seeded-random';

export const targetSelector = z
  .object({
    select: z
      .union([
        z.enum(['one', 'all']),
        z.object({ count: z.number().int().positive().describe('this many, or all when fewer exist') }).strict(),
        z.object({ percent: z.number().gt(0).max(100).describe('rounded up; at least one when any exist') }).strict(),
      ])
      .default('one')
      .describe("'one' (chosen at random), 'all', { count: N } or { percent: P }"),
  })
  .strict();

export type TargetSelector = z.infer<typeof targetSelector>;
export type Selection = TargetSelector['select'];

/** How many of `total` items the selection takes. */
export function selectionSize(total: number, select: Selection): number {
  if (total <= 0) return 0;
  if (select === 'all') return total;
  if (select === 'one') return 1;
  if ('count' in select) return Math.min(total, select.count);
  // Rounded up so a small pool still gets hit: 10% of 3 workers is one worker, not none.
  return Math.min(total, Math.max(1, Math.ceil((total * select.percent) / 100)));
}

/**
 * Picks the targets a selector names. The result keeps the input order (easier to read in logs); which items
 * are picked depends only on `rng`, so a seeded rng makes it repeatable.
 */
export function pickTargets<T>(items: readonly T[], selector: TargetSelector | Selection, rng: Random): T[] {
  const select: Selection = typeof selector === 'object' && 'select' in selector ? selector.select : selector;
  const k = selectionSize(items.length, select);
  if (k === items.length) return [...items];
  // Partial Fisher-Yates over indices: the first k slots end up a uniform random k-subset.
  const idx = items.map((_, i) => i);
  for (let i = 0; i < k; i++) {
    // Clamped: an injected rng that returns 1 must not index past the end.
    const j = Math.min(idx.length - 1, i + Math.floor(rng() * (idx.length - i)));
    const a = idx[i] as number;
    idx[i] = idx[j] as number;
    idx[j] = a;
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => items[i] as T);
}

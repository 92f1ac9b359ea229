// Sharding a suite across CI jobs (`w3lab run --shard 2/4`): every job gets the same ordered list of scenarios
// and takes its own contiguous slice, so the split is deterministic (no coordination, no randomness) and the
// slices differ in size by at most one. Order: by scenario name, then file path, so a renamed folder does not
// reshuffle the shards. `w3lab merge` puts the shards' suites back together.
import { ShardError } from './errors';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ShardError(`--shard must look like INDEX/TOTAL (e.g. 2/4), not "${text}"`);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || index < 1 || index > total) {
    throw new ShardError(`--shard ${text}: INDEX must be between 1 and TOTAL, and TOTAL at least 1`);
  }
  return { index, total };
}

/** The items of shard `s` among `items`, ordered by key(item) (ties: the original order). */
export function selectShard<T>(items: readonly T[], s: Shard, key: (item: T) => string): T[] {
  const ordered = items
    .map((item, i) => ({ item, i, k: key(item) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((x) => x.item);
  const from = Math.floor(((s.index - 1) * ordered.length) / s.total);
  const to = Math.floor((s.index * ordered.length) / s.total);
  return ordered.slice(from, to);
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.total}`;

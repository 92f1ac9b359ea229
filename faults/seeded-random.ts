// Seeded pseudo-random numbers for everything in faults/ that rolls dice (which requests a fault hits, which
// workers a selector picks). A run is only repeatable if its seed decides these choices, so nothing here uses
// Math.random. mulberry32: tiny, fast and good enough for sampling — not for cryptography.

export type Random = () => number;

/** Returns a generator of numbers in [0, 1) fully determined by `seed` (any number; fractional parts ignored). */
export function seededRandom(seed: number): Random {
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

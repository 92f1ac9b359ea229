import { settleMs } from './hang-detection';

describe('settleMs', () => {
  it('spreads ten injections over the whole ping interval, each within base + interval', () => {
    const pauses = Array.from({ length: 10 }, (_, i) => settleMs(i + 1));
    for (const p of pauses) {
      expect(p).toBeGreaterThanOrEqual(300);
      expect(p).toBeLessThanOrEqual(500);
    }
    // Every fifth of the interval is hit at least once.
    const fifths = new Set(pauses.map((p) => Math.min(4, Math.floor((p - 300) / 40))));
    expect(fifths.size).toBe(5);
  });
});

import { alternatingPairs } from './tracked-client-rate';

const round = (ac: number, tr: number) => ({
  autocannon: { rps: ac, requests: 0, errors: 0, non2xx: 0 },
  tracked: { rps: tr, requests: 0, ok: 0, historyRecords: 0 },
});

describe('alternatingPairs', () => {
  it('pairs neighbouring measurements in both orders', () => {
    // Sequence AC1 TR1 AC2 TR2: (AC1,TR1) autocannon first, (TR1,AC2) tracked first, (AC2,TR2) autocannon first.
    const pairs = alternatingPairs([round(100, 80), round(200, 150)]);
    expect(pairs.map((p) => [p.order, p.autocannonRound, p.trackedRound, p.ratio])).toEqual([
      ['autocannon-first', 1, 1, 0.8],
      ['tracked-first', 2, 1, 0.4],
      ['autocannon-first', 2, 2, 0.75],
    ]);
  });

  it('gives no ratio when autocannon measured nothing', () => {
    expect(alternatingPairs([round(0, 10)])[0]!.ratio).toBeNull();
  });
});

import { targetSelector, pickTargets, selectionSize } from './selector';
import { seededRandom } from './seeded-random';

const workers = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10'];

test('the schema defaults to one and rejects unknown shapes with the path', () => {
  expect(targetSelector.parse({})).toEqual({ select: 'one' });
  expect(targetSelector.parse({ select: { percent: 25 } })).toEqual({ select: { percent: 25 } });
  expect(targetSelector.safeParse({ select: 'some' }).success).toBe(false);
  expect(targetSelector.safeParse({ select: { count: 0 } }).success).toBe(false);
  expect(targetSelector.safeParse({ select: { percent: 0 } }).success).toBe(false);
  expect(targetSelector.safeParse({ select: { count: 2, extra: 1 } }).success).toBe(false);
  expect(targetSelector.safeParse({ select: 'all', other: 1 }).success).toBe(false);
});

test('sizes: one, all, count capped at the total, percent rounded up and at least one', () => {
  expect(selectionSize(10, 'one')).toBe(1);
  expect(selectionSize(10, 'all')).toBe(10);
  expect(selectionSize(10, { count: 3 })).toBe(3);
  expect(selectionSize(2, { count: 3 })).toBe(2);
  expect(selectionSize(10, { percent: 25 })).toBe(3);
  expect(selectionSize(3, { percent: 1 })).toBe(1);
  expect(selectionSize(0, { percent: 50 })).toBe(0);
  expect(selectionSize(0, 'one')).toBe(0);
});

test('the same seed picks the same targets; picks are distinct and keep input order', () => {
  const a = pickTargets(workers, { select: { count: 4 } }, seededRandom(42));
  const b = pickTargets(workers, { select: { count: 4 } }, seededRandom(42));
  expect(a).toEqual(b);
  expect(new Set(a).size).toBe(4);
  expect([...a].sort((x, y) => workers.indexOf(x) - workers.indexOf(y))).toEqual(a);
});

test("'one' picks one at random: different seeds reach different workers", () => {
  const picked = new Set<string>();
  for (let seed = 1; seed <= 50; seed++) {
    const p = pickTargets(workers, 'one', seededRandom(seed));
    expect(p).toHaveLength(1);
    picked.add(p[0]!);
  }
  expect(picked.size).toBeGreaterThan(5);
});

test('all returns every item; empty input returns nothing; a boundary rng stays in range', () => {
  expect(pickTargets(workers, { select: 'all' }, seededRandom(1))).toEqual(workers);
  expect(pickTargets([], { select: { percent: 50 } }, seededRandom(1))).toEqual([]);
  expect(pickTargets(workers, { select: { count: 3 } }, () => 0.999999999)).toHaveLength(3);
  expect(pickTargets(workers, { select: { count: 3 } }, () => 1)).toHaveLength(3);
});

test('seededRandom is deterministic and in [0, 1)', () => {
  const r1 = seededRandom(9);
  const r2 = seededRandom(9);
  for (let i = 0; i < 1000; i++) {
    const x = r1();
    expect(x).toBe(r2());
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1);
  }
});

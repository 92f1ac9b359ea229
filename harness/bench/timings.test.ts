import { medianOf, summarizeTimings } from './timings';

describe('summarizeTimings', () => {
  it('takes the middle value of an odd count and the midpoint of an even one', () => {
    expect(summarizeTimings([30, 10, 20])).toEqual({ n: 3, missing: 0, median: 20, min: 10, max: 30 });
    expect(summarizeTimings([10, 40, 20, 30]).median).toBe(25);
  });

  it('counts samples without a value as missing instead of dropping them silently', () => {
    expect(summarizeTimings([null, 5, undefined, Number.NaN])).toEqual({ n: 1, missing: 3, median: 5, min: 5, max: 5 });
  });

  it('has no median without samples', () => {
    expect(summarizeTimings([null])).toMatchObject({ n: 0, median: null, min: null, max: null });
    expect(medianOf([])).toBeUndefined();
  });
});

import { cacheOrder } from './cache-throughput';

describe('cacheOrder', () => {
  it('alternates ABBA over the rounds', () => {
    expect([1, 2, 3].map(cacheOrder)).toEqual([
      ['on', 'off'],
      ['off', 'on'],
      ['on', 'off'],
    ]);
  });
});

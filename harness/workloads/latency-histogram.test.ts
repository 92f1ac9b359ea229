import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it('is all zeros when empty', () => {
    expect(new LatencyHistogram().summary()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, count: 0 });
  });

  it('gives percentiles within 1 % and an exact max', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i); // 1..1000 ms
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeGreaterThanOrEqual(500);
    expect(s.p50).toBeLessThanOrEqual(505.1);
    expect(s.p90).toBeGreaterThanOrEqual(900);
    expect(s.p90).toBeLessThanOrEqual(909.1);
    expect(s.p99).toBeGreaterThanOrEqual(990);
    expect(s.p99).toBeLessThanOrEqual(1000);
    expect(s.max).toBe(1000);
  });

  it('handles sub-microsecond, huge and invalid values', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(1e9);
    h.record(Number.NaN);
    h.record(-1);
    expect(h.count).toBe(2);
    expect(h.percentile(0.5)).toBeLessThanOrEqual(0.001);
    expect(h.summary().max).toBe(1e9);
  });
});

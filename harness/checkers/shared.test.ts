import { percentile, resolveTimeRef, selectRequests, summarise } from './shared';
import { RunBuilder } from './test-support/run-builder';

describe('checker helpers', () => {
  it('computes nearest-rank percentiles', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 90)).toBe(9);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 50)).toBeUndefined();
    expect(summarise([3, 1, 2])).toMatchObject({ count: 3, min: 1, p50: 2, max: 3, mean: 2 });
  });

  it('resolves offsets, marks with offsets, start/end and names ending in digits', () => {
    const run = new RunBuilder(10_000).mark(1_000, 'fault-injected').mark(3_000, 'phase-2');
    const input = run.input();
    const at = (ref: number | string): unknown => {
      const r = resolveTimeRef(input, ref);
      return r.ok ? r.value - run.start : r.reason;
    };
    expect(at(500)).toBe(500);
    expect(at('fault-injected')).toBe(1_000);
    expect(at('fault-injected+250')).toBe(1_250);
    expect(at('fault-injected-250')).toBe(750);
    expect(at('phase-2')).toBe(3_000);
    expect(at('end-1000')).toBe(9_000);
    expect(at('start')).toBe(0);
    expect(at('fault-healed+5')).toBe('no mark "fault-healed" in the history');
  });

  it('selects requests in a half-open window', () => {
    const run = new RunBuilder().load(0, 1_000, 100);
    const sel = selectRequests(run.input(), { from: 200, to: 500 });
    expect(sel.ok && sel.value.requests.map((r) => r.t - run.start)).toEqual([200, 300, 400]);
  });
});

import { latencyBudget } from './latency-budget';
import { RunBuilder } from './test-support/run-builder';

/** 100 requests with latencies 1..100 ms in a shuffled order, from 0 to 10 s. */
function steady(): RunBuilder {
  return new RunBuilder(20_000).load(0, 10_000, 100, (ms) => ({ latencyMs: (((ms / 100) * 37) % 100) + 1 }));
}

describe('latencyBudget', () => {
  it('is valid when the percentiles are within budget', () => {
    const v = latencyBudget.check(steady().input(), { p50: 50, p99: 99, max: 100 });
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ samples: 100, stats: { p50: 50, p90: 90, p99: 99, max: 100, min: 1 } });
  });

  it('is false when the tail is over budget (a recycle stall)', () => {
    const run = steady()
      .mark(10_000, 'recycle-requested')
      .load(10_000, 12_000, 100, () => ({ latencyMs: 2_500 }));
    expect(latencyBudget.check(run.input(), { p99: 200, to: 'recycle-requested' }).valid).toBe(true);
    const v = latencyBudget.check(run.input(), { p50: 100, p99: 200 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/p99 2500 ms > 200 ms/);
    expect(v.summary).not.toMatch(/p50/);
  });

  it('does not pass a run of fast failures (review: only ok requests counted)', () => {
    // 100 fast 503s and 20 ok requests: the ok ones alone would meet any budget.
    const run = new RunBuilder()
      .load(0, 2_000, 100, () => ({ latencyMs: 3 }))
      .load(2_000, 12_000, 100, () => ({ outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 1 }));
    const v = latencyBudget.check(run.input(), { p99: 250 });
    expect(v.valid).toBe(false);
    expect(v.summary).toBe('Latency over budget: p99 is a failed request (> 250 ms) (120 requests; 100 failed).');
    expect(latencyBudget.check(run.input(), { p99: 250, failed: 'measured' }).valid).toBe(true);
    expect(latencyBudget.check(run.input(), { p99: 250, failed: 'excluded' })).toMatchObject({
      valid: true,
      summary: expect.stringMatching(/100 failed requests left out \(failed: excluded\)/),
    });
  });

  it('lets a failure below the percentile pass (1 of 200 fails: p99 is still an ok request)', () => {
    const run = steady()
      .load(10_000, 19_900, 100, () => ({ latencyMs: 5 }))
      .request(19_950, { outcome: 'info', error: 'timeout', latencyMs: 30_000 });
    const v = latencyBudget.check(run.input(), { p99: 100 });
    expect(v).toMatchObject({ valid: true, summary: expect.stringMatching(/; 1 failed\.$/) });
    expect(latencyBudget.check(run.input(), { max: 100 }).summary).toMatch(/max is a failed request/);
    expect(latencyBudget.check(run.input(), { max: 100, failed: 'measured' }).summary).toMatch(/max 30000 ms > 100 ms/);
  });

  it('is unknown with fewer than minSamples requests', () => {
    const run = new RunBuilder().load(0, 1_000, 100);
    const v = latencyBudget.check(run.input(), { p99: 10 });
    expect(v.valid).toBe('unknown');
    expect(v.summary).toMatch(/Only 10 requests/);
    expect(latencyBudget.check(run.input(), { p99: 10, minSamples: 10 }).valid).toBe(true);
    expect(latencyBudget.check(steady().input(), { from: 'fault-injected' }).valid).toBe('unknown');
  });

  it('sorts before taking percentiles: a stall at the start is as slow as one at the end', () => {
    // 10 slow requests first, then 90 fast: in arrival order the 99th value would be a fast one.
    const run = new RunBuilder(20_000)
      .load(0, 1_000, 100, () => ({ latencyMs: 2_500 }))
      .load(1_000, 10_000, 100, () => ({ latencyMs: 5 }));
    const v = latencyBudget.check(run.input(), { p50: 10, p99: 200 });
    expect(v.valid).toBe(false);
    expect(v.summary).toBe('Latency over budget: p99 2500 ms > 200 ms (100 requests).');
    expect(v.details['stats']).toMatchObject({ min: 5, p50: 5, p90: 5, p99: 2_500, max: 2_500 });
  });

  it('names every budget that was missed, and says exactly what passed', () => {
    const both = latencyBudget.check(steady().input(), { p50: 10, p90: 95, p99: 20 });
    expect(both.summary).toBe('Latency over budget: p50 50 ms > 10 ms, p99 99 ms > 20 ms (100 requests).');
    const ok = latencyBudget.check(steady().input(), { p50: 50 });
    expect(ok.summary).toBe('Latency within budget over 100 requests: p50 50 ms, p99 99 ms, max 100 ms.');
    // Only the budgets that were given are shown (and judged).
    expect(ok.details['budgets']).toStrictEqual({ p50: 50 });
    expect(both.details['budgets']).toStrictEqual({ p50: 10, p90: 95, p99: 20 });
  });

  it('pathPrefix: only requests whose path starts with it count', () => {
    const run = steady().load(10_000, 12_000, 100, () => ({ path: '/static/big.bin', latencyMs: 9_000 }));
    run.load(12_000, 14_000, 100, () => ({ path: '/api/orders', latencyMs: 7 }));
    expect(latencyBudget.check(run.input(), { p99: 200 }).valid).toBe(false);
    const api = latencyBudget.check(run.input(), { p99: 200, pathPrefix: '/api', minSamples: 20 });
    expect(api).toMatchObject({ valid: true, details: { samples: 20, stats: { max: 7 } } });
    // A prefix, not a suffix or a substring.
    expect(latencyBudget.check(run.input(), { p99: 200, pathPrefix: '/orders' }).details['samples']).toBe(0);
  });

  it('the latency statistics leave out failed requests (their time is "never"), while the verdict counts them', () => {
    const run = new RunBuilder()
      .load(0, 2_000, 100, () => ({ latencyMs: 3 }))
      .load(2_000, 3_000, 100, () => ({ outcome: 'fail', status: 503, latencyMs: 1 }));
    const v = latencyBudget.check(run.input(), { p99: 250 });
    expect(v.valid).toBe(false);
    expect(v.details).toMatchObject({
      samples: 30,
      failedRequests: 10,
      failedCountAs: 'over-budget',
      stats: { count: 20, max: 3 },
    });
  });

  it('shows the phase it judged, and nothing when none was given', () => {
    const run = steady().load(10_000, 12_000, 100, () => ({ phase: 'load', latencyMs: 2 }));
    expect(latencyBudget.check(run.input(), { phase: 'load' }).details).toMatchObject({ phase: 'load', samples: 20 });
    expect(latencyBudget.check(run.input(), {}).details).not.toHaveProperty('phase');
  });

  it('says why when the window cannot be placed', () => {
    const v = latencyBudget.check(steady().input(), { from: 'fault-injected' });
    expect(v.summary).toMatch(/^Cannot place the window: .*fault-injected.*\.$/);
  });
});

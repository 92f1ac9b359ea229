import { latencyBudget } from './latency-budget';
import { RunBuilder } from './test-support/run-builder';

/** 100 requests with latencies 1..100 ms in a shuffled order, from 0 to 10 s. */
function steady(): RunBuilder {
  return new RunBuilder(20_000).load(0, 10_000, 100, (ms) => ({ latencyMs: ((ms / 100) * 37) % 100 + 1 }));
}

describe('latencyBudget', () => {
  it('is valid when the percentiles are within budget', () => {
    const v = latencyBudget.check(steady().input(), { p50: 50, p99: 99, max: 100 });
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ samples: 100, stats: { p50: 50, p90: 90, p99: 99, max: 100, min: 1 } });
  });

  it('is false when the tail is over budget (a recycle stall)', () => {
    const run = steady().mark(10_000, 'recycle-requested').load(10_000, 12_000, 100, () => ({ latencyMs: 2_500 }));
    expect(latencyBudget.check(run.input(), { p99: 200, to: 'recycle-requested' }).valid).toBe(true);
    const v = latencyBudget.check(run.input(), { p50: 100, p99: 200 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/p99 2500 ms > 200 ms/);
    expect(v.summary).not.toMatch(/p50/);
  });

  it('does not pass a run of fast failures (review: only ok requests counted)', () => {
    // 100 fast 503s and 20 ok requests: the ok ones alone would meet any budget.
    const run = new RunBuilder().load(0, 2_000, 100, () => ({ latencyMs: 3 })).load(2_000, 12_000, 100, () => ({ outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 1 }));
    const v = latencyBudget.check(run.input(), { p99: 250 });
    expect(v.valid).toBe(false);
    expect(v.summary).toBe('Latency over budget: p99 is a failed request (> 250 ms) (120 requests; 100 failed).');
    expect(latencyBudget.check(run.input(), { p99: 250, failed: 'measured' }).valid).toBe(true);
    expect(latencyBudget.check(run.input(), { p99: 250, failed: 'excluded' })).toMatchObject({ valid: true, summary: expect.stringMatching(/100 failed requests left out \(failed: excluded\)/) });
  });

  it('lets a failure below the percentile pass (1 of 200 fails: p99 is still an ok request)', () => {
    const run = steady().load(10_000, 19_900, 100, () => ({ latencyMs: 5 })).request(19_950, { outcome: 'info', error: 'timeout', latencyMs: 30_000 });
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
});

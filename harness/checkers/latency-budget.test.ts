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

  it('leaves failed requests out unless includeFailed', () => {
    const run = steady().load(10_000, 11_000, 50, () => ({ outcome: 'info', error: 'timeout', latencyMs: 30_000 }));
    expect(latencyBudget.check(run.input(), { max: 100 }).valid).toBe(true);
    expect(latencyBudget.check(run.input(), { max: 100, includeFailed: true }).valid).toBe(false);
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

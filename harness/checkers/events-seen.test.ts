import { eventsSeen } from './events-seen';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

describe('eventsSeen', () => {
  it('is false when the behaviour never happened (review: idle-demand-start passed with idleTimeout 0)', () => {
    const run = new RunBuilder().workerUp(0, pool, 1, 101).load(0, 5_000, 50);
    const v = eventsSeen.check(run.input(), { type: 'IdleShutdown' });
    expect(v).toMatchObject({
      valid: false,
      summary: 'The target reported IdleShutdown 0 time(s), expected at least 1.',
    });
  });

  it('is valid when it happened, within bounds, in the window, for the pool and reason asked', () => {
    const run = new RunBuilder()
      .event(2_000, 'IdleShutdown', { pool, pid: 101, idleMs: 1_000 })
      .event(3_000, 'PoolStopped', { pool: 'other', reason: 'admin' })
      .event(4_000, 'PoolStopped', { pool, reason: 'rapid-fail' });
    expect(eventsSeen.check(run.input(), { type: 'IdleShutdown' })).toMatchObject({
      valid: true,
      summary: 'The target reported IdleShutdown 1 time(s).',
    });
    expect(eventsSeen.check(run.input(), { type: 'IdleShutdown', from: 2_001 }).valid).toBe(false);
    expect(eventsSeen.check(run.input(), { type: 'PoolStopped', reason: 'rapid-fail', pool }).valid).toBe(true);
    expect(eventsSeen.check(run.input(), { type: 'PoolStopped', reason: 'rapid-fail', pool: 'other' }).valid).toBe(
      false,
    );
    expect(eventsSeen.check(run.input(), { type: 'PoolStopped', max: 1 })).toMatchObject({
      valid: false,
      summary: expect.stringMatching(/2 time\(s\), expected at most 1/),
    });
    expect(eventsSeen.check(run.input(), { type: 'PoolStopped', min: 2, max: 2 }).valid).toBe(true);
  });

  it('refuses an event type outside the vocabulary', () => {
    expect(() => eventsSeen.check(new RunBuilder().input(), { type: 'IdleShutdownn' })).toThrow();
  });
});

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

  it('names the reason and pool it looked for, and details the window, bounds and first examples', () => {
    const run = new RunBuilder(10_000);
    for (let i = 0; i < 7; i++) run.event(1_000 + i * 100, 'IdleShutdown', { pool, pid: 100 + i, idleMs: 500 });
    run.event(5_000, 'WorkerKilled', { pool, pid: 99, reason: 'ping' });
    const v = eventsSeen.check(run.input(), { type: 'IdleShutdown', pool, to: 'end-1000' });
    expect(v.summary).toBe('The target reported IdleShutdown of pool app 7 time(s).');
    expect(v.details).toMatchObject({ count: 7, min: 1, max: null, window: { from: null, to: 9_000 } });
    expect(v.details['examples']).toHaveLength(5);
    expect((v.details['examples'] as unknown[])[0]).toStrictEqual({
      at: 1_000,
      type: 'IdleShutdown',
      pool,
      pid: 100,
      idleMs: 500,
    });
    expect(eventsSeen.check(run.input(), { type: 'IdleShutdown', to: 1_200 }).details['count']).toBe(2);
    expect(eventsSeen.check(run.input(), { type: 'WorkerKilled', reason: 'stalled', pool, max: 3 })).toMatchObject({
      valid: false,
      summary: 'The target reported WorkerKilled (reason stalled) of pool app 0 time(s), expected at least 1.',
      details: { max: 3 },
    });
    // An event type without a reason never matches a reason.
    expect(eventsSeen.check(run.input(), { type: 'IdleShutdown', reason: 'idle' }).details['count']).toBe(0);
    expect(eventsSeen.check(run.input(), { type: 'IdleShutdown', from: 'no-mark' })).toMatchObject({
      valid: 'unknown',
      summary: 'Cannot place the window: no mark "no-mark" in the history.',
    });
  });
});

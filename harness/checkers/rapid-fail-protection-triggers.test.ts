import { RapidFailWindow } from '../../targets/w3/manager/rapid-fail';
import { rapidFailProtectionTriggers } from './rapid-fail-protection-triggers';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';
const rfp = { pool, maxCrashes: 5, intervalMs: 10_000, pathPrefix: '/app' };

/** A worker that crashes right after each start, at the given offsets; each crash is followed by a restart. */
function crashLoop(crashesAt: number[], durationMs = 60_000): RunBuilder {
  const run = new RunBuilder(durationMs).event(0, 'PoolStarted', { pool, reason: 'boot' });
  crashesAt.forEach((ms, i) => {
    run.workerUp(ms - 400, pool, i + 1, 100 + i, 200);
    run.crash(ms, pool, i + 1, 100 + i, { exitCode: 1 });
  });
  return run;
}

const stopAt = (run: RunBuilder, ms: number): RunBuilder =>
  run.event(ms, 'PoolStopped', { pool, reason: 'rapid-fail' });

describe('rapidFailProtectionTriggers', () => {
  it('is valid when the 5th crash within the interval stops the pool and it answers 503 until started', () => {
    const run = stopAt(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]), 5_005);
    run.load(5_100, 20_000, 100, () => ({ path: '/app/x', outcome: 'fail', status: 503, error: 'status-5xx' }));
    run.request(6_000, { path: '/other' }); // another pool keeps serving
    run.event(20_000, 'PoolStarted', { pool, reason: 'admin' }).workerUp(20_010, pool, 9, 199);
    run.load(20_500, 21_000, 100, () => ({ path: '/app/x', workerPid: 199 }));
    const v = rapidFailProtectionTriggers.check(run.input(), rfp);
    expect(v.summary).toMatch(/stopped 5 ms after failure 5/);
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ trippingFailure: 5, stopDelayMs: 5, requestsWhileStopped: 149 });
    expect(v.details['restartedAt']).toBe(20_000);
  });

  it('uses a sliding window: crashes 1..5 span too long, crashes 2..6 trip it', () => {
    const at = [0, 11_000, 12_000, 13_000, 14_000, 15_000].map((ms) => ms + 1_000);
    expect(rapidFailProtectionTriggers.check(stopAt(crashLoop(at), 16_001).input(), rfp).valid).toBe(true);
    const early = rapidFailProtectionTriggers.check(stopAt(crashLoop(at), 15_001).input(), rfp);
    expect(early.valid).toBe(false);
    expect(early.summary).toMatch(/too early: after 5 failures/);
  });

  it('counts ping failures and startup timeouts, and restarts the count after PoolStarted', () => {
    const counted = crashLoop([1_000, 2_000, 3_000]);
    counted
      .event(4_000, 'PingFailed', { pool, workerId: 4, pid: 104 })
      .event(4_500, 'StartupTimeout', { pool, pid: 105, limitMs: 500 });
    counted.event(4_010, 'WorkerKilled', { pool, workerId: 4, pid: 104, reason: 'ping' }); // the same failure: once
    counted.event(4_200, 'WorkerExited', { pool, workerId: 5, pid: 105, reason: 'recycle' }); // orderly: not counted
    expect(rapidFailProtectionTriggers.check(stopAt(counted, 4_510).input(), rfp).valid).toBe(true);

    const run = crashLoop([1_000, 2_000, 3_000]).event(3_500, 'PoolStarted', { pool, reason: 'admin' });
    run
      .event(4_000, 'PingFailed', { pool, workerId: 4, pid: 104 })
      .event(4_500, 'StartupTimeout', { pool, pid: 105, limitMs: 500 });
    // Only 2 failures since the start: not enough to trip, the pool was stopped anyway.
    expect(rapidFailProtectionTriggers.check(stopAt(run, 4_510).input(), rfp).valid).toBe(false);
  });

  it('counts a kill for a malformed control message (w3 counts it; the review found the checker did not)', () => {
    const run = crashLoop([1_000, 2_000, 3_000, 4_000]);
    run.event(5_000, 'WorkerKilled', { pool, workerId: 6, pid: 106, reason: 'malformed-message' });
    expect(rapidFailProtectionTriggers.check(stopAt(run, 5_001).input(), rfp).valid).toBe(true);
  });

  it('is false when the failures were dense enough but the pool kept running', () => {
    const v = rapidFailProtectionTriggers.check(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]).input(), rfp);
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/never stopped/);
  });

  it('is false when it trips late or keeps starting workers or serving while stopped', () => {
    const late = stopAt(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000, 6_000]), 6_001);
    expect(rapidFailProtectionTriggers.check(late.input(), rfp).summary).toMatch(/late, after 1 more failure/);

    const restarted = stopAt(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]), 5_001).workerUp(8_000, pool, 7, 107);
    restarted.request(9_000, { path: '/app', workerPid: 107 });
    const v = rapidFailProtectionTriggers.check(restarted.input(), rfp);
    expect(v.valid).toBe(false);
    expect(v.details['problems']).toEqual([
      '1 worker(s) started while the pool was stopped',
      '1 of 1 requests to the stopped pool were not 503',
    ]);
  });

  it('with TcpLevel expects resets instead of 503', () => {
    const run = stopAt(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]), 5_001);
    run.load(6_000, 7_000, 100, () => ({ path: '/app', outcome: 'info', error: 'reset', status: undefined }));
    expect(rapidFailProtectionTriggers.check(run.input(), { ...rfp, tcpLevel: true }).valid).toBe(true);
    expect(rapidFailProtectionTriggers.check(run.input(), rfp).valid).toBe(false);
  });

  it('is unknown when fewer than maxCrashes failures were observed, or they were too spread out', () => {
    const few = rapidFailProtectionTriggers.check(crashLoop([1_000, 2_000, 3_000]).input(), rfp);
    expect(few.valid).toBe('unknown');
    expect(few.summary).toMatch(/only 3 of 5/);
    const spread = crashLoop([1_000, 4_000, 7_000, 10_000, 13_000, 16_000]).input();
    expect(rapidFailProtectionTriggers.check(spread, rfp).valid).toBe('unknown');
  });

  describe('the window boundary (one rule with w3: a failure exactly one interval old has left the window)', () => {
    const two = { ...rfp, maxCrashes: 2 };
    it('two failures exactly one interval apart do not trip; one millisecond less does', () => {
      const exactly = crashLoop([1_000, 11_000]);
      expect(rapidFailProtectionTriggers.check(exactly.input(), two).valid).toBe('unknown');
      expect(rapidFailProtectionTriggers.check(stopAt(crashLoop([1_000, 11_000]), 11_001).input(), two).valid).toBe(
        false,
      );
      expect(rapidFailProtectionTriggers.check(stopAt(crashLoop([1_000, 10_999]), 11_000).input(), two).valid).toBe(
        true,
      );
      expect(rapidFailProtectionTriggers.check(crashLoop([1_000, 10_999]).input(), two).valid).toBe(false);
    });

    it('agrees with w3 at the boundary', () => {
      for (const gap of [9_999, 10_000, 10_001]) {
        let now = 0;
        const w3 = new RapidFailWindow(true, 2, 10_000, () => now);
        w3.record('crash');
        now = gap;
        const w3Stops = w3.record('crash');
        const v = rapidFailProtectionTriggers.check(crashLoop([1_000, 1_000 + gap]).input(), two);
        // The checker says "never stopped" (false) exactly when w3 would have stopped.
        expect(v.valid === false).toBe(w3Stops);
      }
    });
  });

  describe('expectStopped: false', () => {
    const spread = [1_000, 4_000, 7_000, 10_000, 13_000, 16_000];
    const opts = { ...rfp, expectStopped: false };
    it('is valid when failures spread over more than the interval do not stop the pool', () => {
      expect(rapidFailProtectionTriggers.check(crashLoop(spread).input(), opts).valid).toBe(true);
    });
    it('is false when the pool was stopped anyway', () => {
      expect(rapidFailProtectionTriggers.check(stopAt(crashLoop(spread), 16_001).input(), opts).valid).toBe(false);
    });
    it('is unknown with too few failures', () => {
      expect(rapidFailProtectionTriggers.check(crashLoop([1_000]).input(), opts).valid).toBe('unknown');
    });
  });
});

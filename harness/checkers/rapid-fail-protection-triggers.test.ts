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

  describe('exact summaries and boundaries', () => {
    const five = [1_000, 2_000, 3_000, 4_000, 5_000];

    it('says how long the stop took and how the stopped pool answered', () => {
      const run = stopAt(crashLoop(five), 5_005);
      run.load(5_100, 6_000, 100, () => ({ path: '/app', outcome: 'info', error: 'closed', status: undefined }));
      expect(rapidFailProtectionTriggers.check(run.input(), { ...rfp, tcpLevel: true }).summary).toBe(
        'Pool app stopped 5 ms after failure 5 and stayed stopped (9 requests answered with a reset).',
      );
      const v = rapidFailProtectionTriggers.check(stopAt(crashLoop(five), 5_000).input(), rfp);
      expect(v.summary).toBe('Pool app stopped 0 ms after failure 5 and stayed stopped (0 requests answered 503).');
    });

    it('with TcpLevel, a request the server answered (even with an error status) is not a reset', () => {
      const run = stopAt(crashLoop(five), 5_001);
      run.request(6_000, { path: '/app', outcome: 'fail', error: 'status-5xx', status: 503 });
      expect(rapidFailProtectionTriggers.check(run.input(), { ...rfp, tcpLevel: true }).details['problems']).toEqual([
        '1 of 1 requests to the stopped pool were not reset',
      ]);
      const ok = stopAt(crashLoop(five), 5_001).request(6_000, { path: '/app', error: 'closed' });
      expect(rapidFailProtectionTriggers.check(ok.input(), { ...rfp, tcpLevel: true }).valid).toBe(false);
    });

    it('allows toleranceMs from the tripping failure to the stop, not more', () => {
      const run = stopAt(crashLoop(five), 6_000);
      expect(rapidFailProtectionTriggers.check(run.input(), rfp).valid).toBe(true);
      expect(rapidFailProtectionTriggers.check(run.input(), { ...rfp, toleranceMs: 999 }).summary).toBe(
        'Rapid-fail protection of app: stopped 1000 ms after the tripping failure (max 999).',
      );
    });

    it('judges requests from graceMs after the stop until the restart, and worker starts in between', () => {
      const run = stopAt(crashLoop(five), 5_000);
      run.request(5_049, { path: '/app', workerPid: 104 }); // within the grace: not judged
      run.request(5_050, { path: '/app', outcome: 'fail', status: 503, error: 'status-5xx' });
      run.request(9_950, { path: '/app', latencyMs: 50 }); // answered when the pool was started again
      run.event(10_000, 'PoolStarted', { pool, reason: 'admin' }).workerUp(10_000, pool, 9, 199);
      const v = rapidFailProtectionTriggers.check(run.input(), rfp);
      expect(v.valid).toBe(true);
      expect(v.details).toMatchObject({ requestsWhileStopped: 1, requestsByAnswer: { '503': 1 }, restartedAt: 10_000 });
      run.request(9_940, { path: '/app', latencyMs: 59, outcome: 'info', error: 'timeout', status: undefined });
      const late = rapidFailProtectionTriggers.check(run.input(), rfp);
      expect(late.details).toMatchObject({ requestsByAnswer: { '503': 1, timeout: 1 }, wrongAnswers: [{ at: 9_940 }] });
    });

    it('lists at most maxExamples wrong answers and worker starts, and the failures up to the trip and after', () => {
      const run = stopAt(crashLoop([1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000]), 5_001);
      run.load(6_000, 7_000, 100, () => ({ path: '/app', workerPid: 150 }));
      const v = rapidFailProtectionTriggers.check(run.input(), { ...rfp, maxExamples: 2 });
      expect(v.details['wrongAnswers']).toHaveLength(2);
      expect(v.details['workerStartsWhileStopped']).toHaveLength(2);
      expect(v.details['failureTimes']).toHaveLength(7);
      expect(v.details['problems']).toEqual([
        '3 worker(s) started while the pool was stopped',
        '10 of 10 requests to the stopped pool were not 503',
      ]);
    });

    it('does not count an admin stop as protection, nor failures before a pool start at the same moment', () => {
      const admin = crashLoop([1_000, 2_000]).event(2_500, 'PoolStopped', { pool, reason: 'admin' });
      expect(rapidFailProtectionTriggers.check(admin.input(), rfp).summary).toBe(
        'Rapid-fail protection was not exercised: only 2 of 5 failures were observed.',
      );
      const run = crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]).event(1_000, 'PoolStarted', { pool, reason: 'admin' });
      // The admin start at 1 000 came after the crash at 1 000 in the log, but at the same time: that crash counts.
      expect(rapidFailProtectionTriggers.check(stopAt(run, 5_001).input(), rfp).valid).toBe(true);
      const after = crashLoop([1_000, 2_000, 3_000, 4_000, 5_000]).event(1_001, 'PoolStarted', { pool, reason: 'x' });
      expect(rapidFailProtectionTriggers.check(stopAt(after, 5_001).input(), rfp).valid).toBe(false);
    });

    it('names the stop too early, the spread failures, and the pool that was never stopped', () => {
      const early = rapidFailProtectionTriggers.check(stopAt(crashLoop(five), 4_999).input(), rfp);
      expect(early.summary).toBe('Pool app was stopped too early: after 4 failures, before 5 fell within 10000 ms.');
      const spread = crashLoop([1_000, 4_000, 7_000, 10_000, 13_000, 16_000]).input();
      expect(rapidFailProtectionTriggers.check(spread, rfp).summary).toBe(
        'Rapid-fail protection was not exercised: the 6 failures never had 5 within 10000 ms.',
      );
      expect(rapidFailProtectionTriggers.check(crashLoop(five).input(), rfp).summary).toBe(
        '5 failures fell within 10000 ms but pool app was never stopped.',
      );
      expect(rapidFailProtectionTriggers.check(crashLoop(five).input(), rfp).details).toMatchObject({
        failures: 5,
        failuresByType: { WorkerCrashed: 5 },
        trippingFailure: 5,
        stoppedAt: null,
      });
    });

    it('expectStopped false: counts the failures before the stop, and needs maxCrashes of them', () => {
      const opts = { ...rfp, expectStopped: false };
      const stopped = stopAt(crashLoop([1_000, 4_000, 7_000, 10_000, 13_000, 16_000]), 13_000);
      expect(rapidFailProtectionTriggers.check(stopped.input(), opts).summary).toBe(
        'Pool app was stopped by rapid-fail protection after 5 failures.',
      );
      expect(
        rapidFailProtectionTriggers.check(crashLoop([1_000, 12_000, 23_000, 34_000, 45_000]).input(), opts),
      ).toMatchObject({
        valid: true,
        summary: '5 failures did not stop pool app.',
      });
      expect(rapidFailProtectionTriggers.check(crashLoop([1_000, 12_000, 23_000, 34_000]).input(), opts).summary).toBe(
        'Only 4 of 5 failures observed.',
      );
    });
  });
});

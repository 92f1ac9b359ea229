import type { RequestRecord } from '../history/types';
import { noReadyWorkerGaps, queuedRequestsServed } from './queued-requests-served';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** Worker pid 101 crashes at 5 s; the replacement pid 102 is ready at 5.4 s. Requests every 50 ms. */
function crashGap(inGap: (ms: number) => Partial<RequestRecord> = () => ({})): RunBuilder {
  return new RunBuilder(10_000)
    .event(0, 'PoolStarted', { pool, reason: 'boot' })
    .workerUp(0, pool, 1, 101)
    .crash(5_000, pool, 1, 101)
    .workerUp(5_010, pool, 2, 102, 390)
    .load(500, 10_000, 50, (ms) =>
      ms >= 5_000 && ms < 5_400
        ? { workerPid: 102, latencyMs: 5_405 - ms, ...inGap(ms) }
        : { workerPid: ms < 5_000 ? 101 : 102 },
    );
}

describe('queuedRequestsServed', () => {
  it('is valid when requests that arrived during a crash gap wait and are served by the replacement', () => {
    const v = queuedRequestsServed.check(crashGap().input(), {});
    expect(v.valid).toBe(true);
    expect(v.summary).toBe('8 requests arrived while pool app had no ready worker: 8 served (8 with 200).');
    expect(v.details).toMatchObject({
      pool,
      queuedRequests: 8,
      gapsWithRequests: [{ from: 5_000, to: 5_400, durationMs: 400, requests: 8, ok: 8, notServed: 0 }],
    });
  });

  it('is false when requests in the gap were answered 503 or refused', () => {
    const run = crashGap((ms) =>
      ms < 5_200
        ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 1 }
        : { outcome: 'fail', error: 'refused', status: undefined },
    );
    const v = queuedRequestsServed.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.details).toMatchObject({ notServed: 8, queuedRequests: 8 });
    expect(v.summary).toMatch(/8 requests arrived .*: 0 served \(0 with 200\); 8 were not served/);
  });

  it('counts a reset, a close or a timeout inside a gap as not served', () => {
    for (const r of [
      { outcome: 'info', error: 'reset' },
      { outcome: 'info', error: 'closed' },
      { outcome: 'info', error: 'timeout' },
    ] as const) {
      const run = crashGap((ms) => (ms === 5_100 ? { ...r, status: undefined } : {}));
      const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true });
      expect(v.valid).toBe(false);
      expect(v.details).toMatchObject({ notServed: 1, served: 7 });
    }
  });

  it('says how many of the served got 200', () => {
    const v = queuedRequestsServed.check(crashGap((ms) => (ms < 5_100 ? { status: 204 } : {})).input(), {});
    expect(v.summary).toMatch(/8 served \(6 with 200\)/);
  });

  it('accepts a QueueFull 503 only when allowed and reported by the pool for that request', () => {
    const run = crashGap((ms) =>
      ms === 5_300 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
    );
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).valid).toBe(false);
    run.event(5_301, 'QueueFull', { pool });
    const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true });
    expect(v.valid).toBe(true);
    expect(v.summary).toMatch(/7 served \(7 with 200\), 1 refused with 503 while the queue was full/);
    expect(queuedRequestsServed.check(run.input(), {}).valid).toBe(false);
  });

  it('one QueueFull excuses one 503, not every 503 in the gap (review: one event excused them all)', () => {
    const run = crashGap((ms) =>
      ms >= 5_200 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
    );
    run.event(5_201, 'QueueFull', { pool });
    const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true });
    expect(v.valid).toBe(false);
    expect(v.details).toMatchObject({ queueFull503: 1, notServed: 3 });
    expect(v.summary).toMatch(/; 3 were not served \(3 of them 503 while the queue was not full\)\.$/);
  });

  it('does not excuse a 503 that arrived while fewer requests waited than the queue holds', () => {
    // The pool says its queue holds 10; only 6 requests were outstanding when this one was refused.
    const run = crashGap((ms) =>
      ms === 5_300 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
    );
    run.event(5_301, 'QueueFull', { pool, queueLength: 10 });
    const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/1 of them 503 while the queue was not full/);
    const small = crashGap((ms) =>
      ms === 5_300 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
    );
    small.event(5_301, 'QueueFull', { pool, queueLength: 6 });
    expect(queuedRequestsServed.check(small.input(), { allowQueueFull: true }).valid).toBe(true);
  });

  it('is unknown when every request in the gaps was refused as the queue was full', () => {
    const run = crashGap(() => ({ outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 }));
    for (let ms = 5_000; ms < 5_400; ms += 50) run.event(ms + 1, 'QueueFull', { pool });
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).valid).toBe('unknown');
  });

  it('derives gaps per pool, ignoring stopped time and draining workers', () => {
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .event(1_000, 'WorkerDraining', { pool, workerId: 1, pid: 101, reason: 'recycle' })
      .event(1_200, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle' })
      .workerUp(1_300, pool, 2, 102)
      .event(3_000, 'PoolStopped', { pool, reason: 'admin' })
      .event(3_000, 'WorkerExited', { pool, workerId: 2, pid: 102, reason: 'pool-stop' })
      .event(4_000, 'PoolStarted', { pool, reason: 'admin' })
      .workerUp(4_000, pool, 3, 103)
      .workerUp(0, 'other', 1, 201)
      .crash(2_000, 'other', 1, 201);
    expect(noReadyWorkerGaps(run.input(), pool).map((w) => [w.from - run.start, w.to - run.start])).toEqual([
      [0, 300],
      [1_000, 1_600],
      [4_000, 4_300],
    ]);
  });

  it('is unknown when no request arrived while no worker was ready (overlapped recycle)', () => {
    const run = new RunBuilder(10_000)
      .workerUp(0, pool, 1, 101)
      .workerUp(5_000, pool, 2, 102)
      .event(5_400, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle' })
      .load(1_000, 10_000, 50);
    const v = queuedRequestsServed.check(run.input(), {});
    expect(v.valid).toBe('unknown');
    expect(v.summary).toMatch(/1 gaps/);
  });

  it('is unknown without pool events, or with several pools and no pool option', () => {
    expect(queuedRequestsServed.check(new RunBuilder().load(0, 1_000, 10).input(), {}).valid).toBe('unknown');
    const two = crashGap().workerUp(0, 'other', 1, 201);
    expect(queuedRequestsServed.check(two.input(), {}).summary).toMatch(/set option pool/);
    expect(queuedRequestsServed.check(two.input(), { pool }).valid).toBe(true);
  });

  it('matches a 503 to a QueueFull reported within clockSlackMs of the request, not further', () => {
    // The 503 at 5 300 was written at 5 300 and answered at 5 302.
    const at = (eventMs: number, slack?: number) => {
      const run = crashGap((ms) =>
        ms === 5_300 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
      );
      run.event(eventMs, 'QueueFull', { pool });
      const opts = slack === undefined ? { allowQueueFull: true } : { allowQueueFull: true, clockSlackMs: slack };
      return queuedRequestsServed.check(run.input(), opts).valid;
    };
    expect([at(5_250), at(5_249), at(5_352), at(5_353)]).toEqual([true, false, true, false]);
    expect([at(5_290, 10), at(5_289, 10), at(5_312, 10), at(5_313, 10)]).toEqual([true, false, true, false]);
  });

  it('counts as waiting only other requests written by the 503 and still outstanding then', () => {
    // 6 requests (5 000–5 250) are outstanding at 5 300; the 503 itself and later ones do not count.
    const run = crashGap((ms) =>
      ms === 5_300 ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 } : {},
    );
    run.event(5_301, 'QueueFull', { pool, queueLength: 7 });
    run.request(4_900, { workerPid: 101, latencyMs: 400 }); // ended exactly at 5 300: no longer waiting
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).valid).toBe(false);
    run.request(5_300, { workerPid: 102, latencyMs: 200 }); // written the same millisecond, still waiting
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).valid).toBe(true);
  });

  it('judges only the requests under pathPrefix', () => {
    const run = crashGap().request(5_120, { path: '/other', outcome: 'fail', status: 503, error: 'status-5xx' });
    expect(queuedRequestsServed.check(run.input(), {}).valid).toBe(false);
    // Only the requests in the gap are under /app.
    const only = crashGap((ms) => ({ path: `/app${ms}` })).request(5_120, { path: '/other', outcome: 'fail' });
    expect(queuedRequestsServed.check(only.input(), { pathPrefix: '/app' })).toMatchObject({
      valid: true,
      details: { queuedRequests: 8 },
    });
  });

  it('details each gap that had requests: its window, answers and what was not served', () => {
    const run = new RunBuilder(10_000)
      .workerUp(0, pool, 1, 101)
      .crash(2_000, pool, 1, 101) // a gap with no request in it
      .workerUp(2_000, pool, 2, 102)
      .crash(5_000, pool, 2, 102)
      .workerUp(5_000, pool, 3, 103, 400)
      .crash(8_000, pool, 3, 103) // never replaced: the gap lasts to the end
      .request(5_100, { latencyMs: 400 })
      .request(5_150, { outcome: 'info', error: 'reset', status: undefined })
      .request(5_200, { outcome: 'info', error: undefined, status: undefined })
      .request(8_500, { outcome: 'fail', error: 'refused', status: undefined });
    const v = queuedRequestsServed.check(run.input(), { maxExamples: 2 });
    expect(v.valid).toBe(false);
    expect(v.summary).toBe(
      '4 requests arrived while pool app had no ready worker: 1 served (1 with 200); 3 were not served.',
    );
    expect(v.details).toMatchObject({
      gaps: 4,
      gapsWithRequests: [
        { from: 5_000, to: 5_400, durationMs: 400, requests: 3, ok: 1, notServed: 2 },
        { from: 8_000, to: null, durationMs: null, requests: 1, ok: 0, notServed: 1 },
      ],
      byAnswer: { '200': 1, reset: 1, info: 1, refused: 1 },
      queueFull503: 0,
    });
    expect((v.details['examples'] as { at: number }[]).map((e) => e.at)).toEqual([5_150, 5_200]);
  });

  it('does not count a zero-length gap, and keys workers by pid when they have no worker id', () => {
    const run = new RunBuilder()
      .event(0, 'PoolStarted', { pool, reason: 'boot' })
      .event(0, 'WorkerReady', { pool, pid: 101 })
      .event(100, 'WorkerReady', { pool, pid: 102 })
      .event(1_000, 'WorkerExited', { pool, pid: 101, reason: 'recycle' })
      .event(2_000, 'WorkerCrashed', { pool, pid: 102, exitCode: 1, signal: null, duringStartup: false })
      .event(2_300, 'WorkerReady', { pool, pid: 103 });
    expect(noReadyWorkerGaps(run.input(), pool).map((w) => [w.from - run.start, w.to - run.start])).toEqual([
      [2_000, 2_300],
    ]);
  });

  it('says why the answer is unknown', () => {
    const none = queuedRequestsServed.check(new RunBuilder().load(0, 1_000, 10).input(), {});
    expect(none).toMatchObject({
      summary: 'No pool events: cannot tell when workers were ready.',
      details: { pools: [] },
    });
    const run = crashGap(() => ({ outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 }));
    for (let ms = 5_000; ms < 5_400; ms += 50) run.event(ms + 1, 'QueueFull', { pool });
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).summary).toBe(
      '8 requests arrived while pool app had no ready worker, and every one was refused as the queue was full:' +
        ' none shows a queued request served.',
    );
  });

  it('names 503s the queue state does not excuse only when some are unexcused', () => {
    const run = crashGap((ms) => (ms === 5_100 ? { outcome: 'info', error: 'reset', status: undefined } : {}));
    expect(queuedRequestsServed.check(run.input(), { allowQueueFull: true }).summary).toBe(
      '8 requests arrived while pool app had no ready worker: 7 served (7 with 200), 0 refused with 503 while the' +
        ' queue was full (allowQueueFull); 1 were not served.',
    );
  });

  it('pairs QueueFull reports with 503s so that each 503 that can have one gets one', () => {
    // A (written 5 100, answered 5 400) could take either report; B (5 200 → 5 210) only the one at 5 210. Taking
    // A first in write order gave it 5 210 and left B unexcused.
    const run = crashGap((ms) =>
      ms === 5_100 || ms === 5_200
        ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: ms === 5_100 ? 300 : 10 }
        : {},
    );
    run.event(5_210, 'QueueFull', { pool }).event(5_400, 'QueueFull', { pool });
    const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true, clockSlackMs: 0 });
    expect(v).toMatchObject({ valid: true, details: { queueFull503: 2, notServed: 0 } });
  });

  it('keeps a stopped pool out of the gaps until it is started, whatever the pool reports meanwhile', () => {
    // Rapid-fail: the pool stops, the lab heals the startup fault, an operator starts the pool.
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .event(1_000, 'PoolStopped', { pool, reason: 'rapid-fail' })
      .event(1_000, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'pool-stop' })
      .event(2_000, 'FaultHealed', { pool })
      .event(3_000, 'PoolStarted', { pool, reason: 'admin' })
      .workerUp(3_000, pool, 2, 102);
    expect(noReadyWorkerGaps(run.input(), pool).map((w) => [w.from - run.start, w.to - run.start])).toEqual([
      [0, 300],
      [3_000, 3_300],
    ]);
  });

  it('does not let a 503 the workload counted as ok take the QueueFull report of a refused one', () => {
    // okStatuses: [503] made the first 503 "ok"; the second failed, and the only report is its.
    const run = crashGap((ms) =>
      ms === 5_100
        ? { status: 503, latencyMs: 2 }
        : ms === 5_150
          ? { outcome: 'fail', status: 503, error: 'status-5xx', latencyMs: 2 }
          : {},
    );
    run.event(5_140, 'QueueFull', { pool });
    const v = queuedRequestsServed.check(run.input(), { allowQueueFull: true, clockSlackMs: 40 });
    expect(v).toMatchObject({ valid: true, details: { queueFull503: 1, served: 7 } });
  });
});

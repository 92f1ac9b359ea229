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
});

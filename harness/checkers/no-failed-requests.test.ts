import type { RequestRecord } from '../history/types';
import { noFailedRequests } from './no-failed-requests';
import { RunBuilder } from './test-support/run-builder';

/** Steady load, an admin recycle at 10 s; `during` decides how requests in the 2 s after it end. */
function recycleRun(during: (ms: number) => Partial<RequestRecord>): RunBuilder {
  return new RunBuilder(20_000)
    .mark(10_000, 'recycle-requested', { pool: 'app' })
    .load(0, 20_000, 20, (ms) => (ms >= 10_000 && ms < 12_000 ? during(ms) : { workerPid: ms < 10_500 ? 101 : 102 }));
}

describe('noFailedRequests', () => {
  it('is valid when every request through an overlapped recycle succeeded', () => {
    const run = recycleRun(() => ({ workerPid: 102 }));
    const v = noFailedRequests.check(run.input(), { from: 'recycle-requested', to: 'recycle-requested+5000' });
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({ requests: 250, ok: 250, failed: 0, info: 0 });
    expect(v.details['window']).toEqual({ from: 10_000, to: 15_000 });
  });

  it('is false for 503s while the old worker shuts down (the ASP.NET Core Module complaint)', () => {
    const run = recycleRun((ms) =>
      ms % 400 === 0 ? { outcome: 'fail', status: 503, error: 'status-5xx', workerPid: 101 } : { workerPid: 101 },
    );
    const v = noFailedRequests.check(run.input(), { from: 'recycle-requested', to: 'recycle-requested+5000' });
    expect(v.valid).toBe(false);
    expect(v.details).toMatchObject({ failed: 5, info: 0, byStatus: { '503': 5 }, byError: { 'status-5xx': 5 } });
    expect(v.details['examples']).toHaveLength(5);
    // Absolute counts: tolerating 5 makes it pass, 4 does not.
    expect(noFailedRequests.check(run.input(), { from: 'recycle-requested', maxFailed: 5 }).valid).toBe(true);
    expect(noFailedRequests.check(run.input(), { from: 'recycle-requested', maxFailed: 4 }).valid).toBe(false);
  });

  it('counts unknown outcomes (resets, hangs) separately from failures', () => {
    const run = recycleRun((ms) => (ms === 10_100 ? { outcome: 'info', error: 'reset', status: undefined } : {}));
    const v = noFailedRequests.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.details).toMatchObject({ failed: 0, info: 1, byError: { reset: 1 } });
    expect(noFailedRequests.check(run.input(), { maxInfo: 1 }).valid).toBe(true);
  });

  it('does not count expected statuses', () => {
    const run = new RunBuilder().load(0, 1_000, 10, (ms) =>
      ms % 100 === 0 ? { outcome: 'fail', status: 404, error: 'status-4xx', path: '/missing' } : {},
    );
    expect(noFailedRequests.check(run.input(), {}).valid).toBe(false);
    const v = noFailedRequests.check(run.input(), { allowStatuses: [404] });
    expect(v.valid).toBe(true);
    expect(v.details['allowedByStatus']).toBe(10);
    expect(noFailedRequests.check(run.input(), { pathPrefix: '/missing' }).details['requests']).toBe(10);
  });

  it('selects a phase by request tags or by its phase marks', () => {
    const run = new RunBuilder()
      .mark(1_000, 'phase-start', { phase: 'fault' })
      .mark(2_000, 'phase-end', { phase: 'fault' })
      .load(0, 3_000, 100, (ms) => (ms >= 1_000 && ms < 2_000 ? { outcome: 'fail', status: 502 } : {}))
      .request(2_500, { phase: 'fault', outcome: 'fail', status: 500 });
    const v = noFailedRequests.check(run.input(), { phase: 'fault', minRequests: 1 });
    expect(v.details).toMatchObject({ requests: 11, failed: 11 });
    expect(noFailedRequests.check(run.input(), { to: 'phase-start', minRequests: 1 }).valid).toBe(true);
    // A phase the run never had is named as such (review: "No requests in the window").
    expect(noFailedRequests.check(run.input(), { phase: 'lod' }).summary).toBe('No phase "lod" in this run.');
  });

  it('needs minRequests (default 100) in the window, else unknown (review: a single request passed)', () => {
    const one = new RunBuilder().request(10);
    expect(noFailedRequests.check(one.input(), {})).toMatchObject({
      valid: 'unknown',
      summary: 'Only 1 requests in the window (minRequests 100): too few to show that none fail.',
    });
    const run = new RunBuilder().load(0, 1_000, 10);
    expect(noFailedRequests.check(run.input(), {}).valid).toBe(true);
    expect(noFailedRequests.check(run.input(), { from: 10 }).valid).toBe('unknown');
    expect(noFailedRequests.check(run.input(), { from: 10, minRequests: 99 }).valid).toBe(true);
    // Too few requests never hides a failure among them.
    const bad = new RunBuilder().request(10, { outcome: 'fail', status: 500 });
    expect(noFailedRequests.check(bad.input(), {}).valid).toBe(false);
  });

  it('names allowed exceptions in the verdict (review: "0 failed" while 9381 got 503)', () => {
    const run = new RunBuilder().load(0, 2_000, 10, (ms) =>
      ms % 20 === 0 ? { outcome: 'fail', status: 503, error: 'status-5xx' } : {},
    );
    const v = noFailedRequests.check(run.input(), { allowStatuses: [503] });
    expect(v).toMatchObject({
      valid: true,
      summary: '200 requests in the window: 0 failed, 0 unknown; 100 answered 503, allowed by allowStatuses.',
    });
    const tolerated = noFailedRequests.check(run.input(), { maxFailed: 100 });
    expect(tolerated.summary).toBe(
      '200 requests in the window: 100 failed, 0 unknown (allowed: 100 failed, 0 unknown).',
    );
  });

  it('is unknown when no request falls in the window or the window cannot be placed', () => {
    const run = new RunBuilder().load(0, 1_000, 10);
    expect(noFailedRequests.check(run.input(), { from: 5_000 })).toMatchObject({
      valid: 'unknown',
      summary: 'No requests in the window.',
    });
    const v = noFailedRequests.check(run.input(), { from: 'fault-healed' });
    expect(v.valid).toBe('unknown');
    expect(v.summary).toMatch(/no mark "fault-healed"/);
  });

  it('says which limit was passed, lists failures and unknowns in time order, and at most maxExamples', () => {
    const run = new RunBuilder().load(0, 2_000, 10, (ms) =>
      ms % 200 === 0 ? { outcome: 'fail', status: 500, error: 'status-5xx' } : {},
    );
    run.request(5, { outcome: 'info', error: 'reset', status: undefined });
    const v = noFailedRequests.check(run.input(), {});
    expect(v.summary).toBe('Of 201 requests in the window, 10 failed (max 0) and 1 with unknown outcome (max 0).');
    const examples = v.details['examples'] as { id: number; at: number; outcome: string }[];
    expect(examples.map((e) => [e.at, e.outcome])).toEqual([
      [0, 'fail'],
      [5, 'info'],
      [200, 'fail'],
      [400, 'fail'],
      [600, 'fail'],
    ]);
    expect(noFailedRequests.check(run.input(), { maxExamples: 2 }).details['examples']).toHaveLength(2);
    expect(noFailedRequests.check(run.input(), { maxInfo: 1 }).summary).toBe(
      'Of 201 requests in the window, 10 failed (max 0).',
    );
    expect(noFailedRequests.check(run.input(), { maxFailed: 10 }).summary).toBe(
      'Of 201 requests in the window, 1 with unknown outcome (max 0).',
    );
  });

  it('groups failures by error, else by status, else as other', () => {
    const run = new RunBuilder()
      .load(0, 1_000, 10)
      .request(100, { outcome: 'fail', status: 502, error: undefined })
      .request(200, { outcome: 'fail', status: undefined, error: undefined })
      .request(300, { outcome: 'fail', status: 500, error: 'status-5xx' });
    const v = noFailedRequests.check(run.input(), {});
    expect(v.details['byError']).toEqual({ 'status-502': 1, other: 1, 'status-5xx': 1 });
    expect(v.details['byStatus']).toEqual({ '502': 1, '500': 1 });
  });

  it('picks requests by path prefix, not by any part of the path', () => {
    const run = new RunBuilder()
      .load(0, 1_000, 10, () => ({ path: '/api/items' }))
      .load(5, 1_000, 10, () => ({ path: '/static/api', outcome: 'fail', status: 500 }));
    const v = noFailedRequests.check(run.input(), { pathPrefix: '/api' });
    expect(v).toMatchObject({ valid: true, details: { requests: 100, failed: 0 } });
  });

  it('counts as allowed only failures with an allowed status, and names only the statuses that failed', () => {
    // 404 counted ok by the workload (okStatuses), 503 failed and allowed, one 500 not allowed.
    const run = new RunBuilder()
      .load(0, 1_000, 10, (ms) => (ms % 50 === 0 ? { outcome: 'fail', status: 503, error: 'status-5xx' } : {}))
      .request(3, { status: 404 })
      .request(4, { outcome: 'fail', status: 500, error: 'status-5xx' });
    const allow = { allowStatuses: [404, 503], maxFailed: 1 };
    const v = noFailedRequests.check(run.input(), allow);
    expect(v.details).toMatchObject({ requests: 102, ok: 81, failed: 1, allowedByStatus: 20 });
    expect(v.summary).toBe(
      '102 requests in the window: 1 failed, 0 unknown (allowed: 1 failed, 0 unknown); ' +
        '20 answered 503, allowed by allowStatuses.',
    );
    run.request(6, { outcome: 'fail', status: 404, error: 'status-4xx' });
    expect(noFailedRequests.check(run.input(), allow).summary).toMatch(/; 21 answered 404\/503, allowed/);
    expect(noFailedRequests.check(run.input(), { allowStatuses: [404, 500, 503], maxInfo: 1 }).summary).toMatch(
      /: 0 failed, 0 unknown \(allowed: 0 failed, 1 unknown\); 22 answered 404\/500\/503, allowed/,
    );
  });

  it('says the window and phase it judged, and that an existing phase had no requests in the window', () => {
    const run = new RunBuilder()
      .mark(500, 'phase-start', { phase: 'warmup' })
      .mark(1_000, 'phase-start', { phase: 'load' })
      .load(1_000, 2_000, 10)
      .mark(2_000, 'phase-end', { phase: 'load' });
    const v = noFailedRequests.check(run.input(), { phase: 'load', from: 5_000 });
    expect(v).toStrictEqual({
      valid: 'unknown',
      summary: 'No requests in the window.',
      details: { window: { from: 5_000, to: null }, phase: 'load' },
    });
    expect(noFailedRequests.check(run.input(), { phase: 'load' }).details).toMatchObject({
      phase: 'load',
      requests: 100,
    });
    expect(noFailedRequests.check(run.input(), {}).details).not.toHaveProperty('phase');
  });
});

import { z } from 'zod';
import type { MarkRecord } from '../history/types';
import {
  countBy,
  defineChecker,
  describeWindow,
  endOf,
  eventBrief,
  eventsOf,
  faultKindOf,
  inWindow,
  marksOf,
  numberField,
  percentile,
  poolsOf,
  requestBrief,
  resolveTimeRef,
  resolveWindow,
  selectRequests,
  socketsOf,
  summarise,
  verdict,
} from './shared';
import { RunBuilder } from './test-support/run-builder';

const mark = (fields: Record<string, unknown>): MarkRecord => ({
  kind: 'mark',
  t: 0,
  name: 'fault-injected',
  ...fields,
});

describe('checker helpers', () => {
  it('computes nearest-rank percentiles', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 90)).toBe(9);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 50)).toBeUndefined();
    expect(summarise([3, 1, 2])).toMatchObject({ count: 3, min: 1, p50: 2, max: 3, mean: 2 });
  });

  it('resolves offsets, marks with offsets, start/end and names ending in digits', () => {
    const run = new RunBuilder(10_000).mark(1_000, 'fault-injected').mark(3_000, 'phase-2');
    const input = run.input();
    const at = (ref: number | string): unknown => {
      const r = resolveTimeRef(input, ref);
      return r.ok ? r.value - run.start : r.reason;
    };
    expect(at(500)).toBe(500);
    expect(at('fault-injected')).toBe(1_000);
    expect(at('fault-injected+250')).toBe(1_250);
    expect(at('fault-injected-250')).toBe(750);
    expect(at('phase-2')).toBe(3_000);
    expect(at('end-1000')).toBe(9_000);
    expect(at('start')).toBe(0);
    expect(at('fault-healed+5')).toBe('no mark "fault-healed" in the history');
  });

  it('selects requests in a half-open window', () => {
    const run = new RunBuilder().load(0, 1_000, 100);
    const sel = selectRequests(run.input(), { from: 200, to: 500 });
    expect(sel.ok && sel.value.requests.map((r) => r.t - run.start)).toEqual([200, 300, 400]);
  });

  it('reads the fault kind of a mark: a kind string, or the kind of a fault spec', () => {
    expect(faultKindOf(mark({ fault: 'leak' }))).toBe('leak');
    expect(faultKindOf(mark({ fault: { kind: 'hang', mode: 'block-loop' } }))).toBe('hang');
    expect(faultKindOf(mark({ fault: { kind: 7 } }))).toBeUndefined();
    expect(faultKindOf(mark({ fault: { mode: 'block-loop' } }))).toBeUndefined();
    expect(faultKindOf(mark({ fault: null }))).toBeUndefined();
    expect(faultKindOf(mark({ fault: 3 }))).toBeUndefined();
    expect(faultKindOf(mark({}))).toBeUndefined();
  });

  it('reads only finite numbers from a record', () => {
    const rec = { a: 5, b: NaN, c: Infinity, d: '5', e: null };
    expect(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => numberField(rec, k))).toEqual([
      5,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('picks marks by name in time order, whatever order they were written in', () => {
    const run = new RunBuilder().mark(3_000, 'b').mark(1_000, 'a').mark(2_000, 'b');
    run.request(500);
    const input = run.input();
    expect(marksOf(input, 'b').map((m) => m.t - run.start)).toEqual([2_000, 3_000]);
    expect(marksOf(input).map((m) => m.name)).toEqual(['a', 'b', 'b']);
    expect(marksOf(input, 'c')).toEqual([]);
    // The first mark of a name is the earliest one, not the first written.
    const r = resolveTimeRef(input, 'b');
    expect(r.ok && r.value - run.start).toBe(2_000);
  });

  it('reads offsets with decimals, and names the reference it could not place', () => {
    const run = new RunBuilder(10_000).mark(1_000, 'fault-injected');
    const input = run.input();
    const at = (ref: string): unknown => {
      const r = resolveTimeRef(input, ref);
      return r.ok ? r.value - run.start : r.reason;
    };
    expect(at('fault-injected+2.5')).toBe(1_002.5);
    expect(at('start+100')).toBe(100);
    expect(at('fault-healed')).toBe('no mark "fault-healed" in the history');
    expect(at('fault-injected+250ms')).toBe('no mark "fault-injected+250ms" in the history');
    expect(at('fault-injected+')).toBe('no mark "fault-injected+" in the history');
    expect(at('+250')).toBe('no mark "+250" in the history');
  });

  it('places a window from its two ends, and says which end it could not place', () => {
    const run = new RunBuilder(10_000).mark(1_000, 'm');
    const input = run.input();
    expect(resolveWindow(input)).toEqual({ ok: true, value: { from: -Infinity, to: Infinity } });
    expect(resolveWindow(input, 'm', 'end')).toEqual({ ok: true, value: { from: run.at(1_000), to: run.at(10_000) } });
    expect(resolveWindow(input, 'nope', 'm')).toEqual({ ok: false, reason: 'no mark "nope" in the history' });
    expect(resolveWindow(input, 'm', 'nope')).toEqual({ ok: false, reason: 'no mark "nope" in the history' });
    expect(describeWindow(input, { from: run.at(1_000), to: Infinity })).toEqual({ from: 1_000, to: null });
    expect(describeWindow(input, { from: -Infinity, to: run.at(5) })).toEqual({ from: null, to: 5 });
    const w = { from: 10, to: 20 };
    expect([9, 10, 19, 20].map((t) => inWindow(w, t))).toEqual([false, true, true, false]);
  });

  it("selects a phase's requests: tagged with it, or untagged between its start and end marks", () => {
    const run = new RunBuilder(10_000)
      .mark(500, 'phase-end', { phase: 'load' }) // an end before the start does not end it
      .mark(1_000, 'phase-start', { phase: 'warm' })
      .mark(2_000, 'phase-start', { phase: 'load' })
      .mark(4_000, 'phase-end', { phase: 'warm' })
      .mark(5_000, 'phase-end', { phase: 'load' })
      .load(0, 7_000, 1_000)
      .request(1_500, { phase: 'load' })
      .request(3_500, { phase: 'warm' });
    const sel = (phase: string, from?: number) => {
      const r = selectRequests(run.input(), { phase, ...(from !== undefined ? { from } : {}) });
      return r.ok ? r.value.requests.map((q) => q.t - run.start) : r.reason;
    };
    expect(sel('load')).toEqual([2_000, 3_000, 4_000, 1_500]);
    expect(sel('load', 3_000)).toEqual([3_000, 4_000]);
    expect(sel('warm')).toEqual([1_000, 2_000, 3_000, 3_500]);
    expect(sel('none')).toEqual([]);
    // A phase that ended the moment it started holds no untagged request.
    const empty = new RunBuilder(10_000)
      .mark(2_000, 'phase-start', { phase: 'load' })
      .mark(2_000, 'phase-end', { phase: 'load' })
      .load(0, 4_000, 1_000);
    const none = selectRequests(empty.input(), { phase: 'load' });
    expect(none.ok && none.value.requests).toEqual([]);
    const open = new RunBuilder(10_000).mark(2_000, 'phase-start', { phase: 'load' }).load(0, 4_000, 1_000);
    const r = selectRequests(open.input(), { phase: 'load' });
    expect(r.ok && r.value.requests.map((q) => q.t - open.start)).toEqual([2_000, 3_000]);
    expect(selectRequests(open.input(), { from: 'nope' })).toEqual({
      ok: false,
      reason: 'no mark "nope" in the history',
    });
    expect(selectRequests(open.input(), {})).toMatchObject({ ok: true, value: { window: { from: -Infinity } } });
  });

  it('lists events in time order (stable at equal times), by pool and type; pools sorted and distinct', () => {
    const run = new RunBuilder()
      .event(2_000, 'PoolStopped', { pool: 'b', reason: 'admin' })
      .event(1_000, 'IdleShutdown', { pool: 'a', pid: 1, idleMs: 5 })
      .event(1_000, 'PoolStarted', { pool: 'b', reason: 'boot' })
      .event(1_000, 'ConfigReloaded', {})
      .event(500, 'PoolStarted', { pool: 'a', reason: 'boot' });
    const input = run.input();
    const brief = (es: { t: number; type: string }[]) => es.map((e) => `${e.t - run.start} ${e.type}`);
    expect(brief(eventsOf(input))).toEqual([
      '500 PoolStarted',
      '1000 IdleShutdown',
      '1000 PoolStarted',
      '1000 ConfigReloaded',
      '2000 PoolStopped',
    ]);
    expect(brief(eventsOf(input, 'b'))).toEqual(['1000 PoolStarted', '2000 PoolStopped']);
    expect(brief(eventsOf(input, undefined, ['PoolStarted', 'PoolStopped']))).toEqual([
      '500 PoolStarted',
      '1000 PoolStarted',
      '2000 PoolStopped',
    ]);
    expect(brief(eventsOf(input, 'a', ['PoolStarted']))).toEqual(['500 PoolStarted']);
    expect(poolsOf(input)).toStrictEqual(['a', 'b']);
    expect(eventBrief(input, eventsOf(input)[1]!)).toStrictEqual({
      at: 1_000,
      type: 'IdleShutdown',
      pool: 'a',
      pid: 1,
      idleMs: 5,
    });
  });

  it('describes a request briefly, with the optional fields it has', () => {
    const run = new RunBuilder()
      .request(1_000)
      .request(2_000, { outcome: 'fail', status: 503, error: 'status-5xx', workerPid: 101, latencyMs: 7 });
    const [plain, failed] = run.input().history.filter((r) => r.kind === 'request');
    expect(requestBrief(run.input(), plain!)).toStrictEqual({
      id: 1,
      at: 1_000,
      path: '/',
      outcome: 'ok',
      status: 200,
      latencyMs: 5,
    });
    expect(requestBrief(run.input(), failed!)).toStrictEqual({
      id: 2,
      at: 2_000,
      path: '/',
      outcome: 'fail',
      status: 503,
      error: 'status-5xx',
      workerPid: 101,
      latencyMs: 7,
    });
    const info = new RunBuilder().request(0, { outcome: 'info', status: undefined, error: 'reset' });
    const r = info.input().history[0];
    expect(r?.kind === 'request' && requestBrief(info.input(), r)).toStrictEqual({
      id: 1,
      at: 0,
      path: '/',
      outcome: 'info',
      error: 'reset',
      latencyMs: 5,
    });
    expect(r?.kind === 'request' && endOf(r)).toBe(info.start + 5);
    expect(socketsOf(new RunBuilder().request(0).socket(3).input()).map((x) => x.conn)).toEqual([3]);
  });

  it('takes percentiles by nearest rank, clamped to the values, and a mean to two decimals', () => {
    expect(percentile([4, 8], 100)).toBe(8);
    expect(percentile([4, 8], 150)).toBe(8);
    expect(percentile([4, 8], -10)).toBe(4);
    expect(percentile([4, 8], 50)).toBe(4);
    expect(percentile([4, 8], 51)).toBe(8);
    expect(summarise([])).toStrictEqual({ count: 0 });
    expect(summarise([2, 1, 2])).toStrictEqual({
      count: 3,
      min: 1,
      p50: 2,
      p90: 2,
      p95: 2,
      p99: 2,
      max: 2,
      mean: 1.67,
    });
    expect(summarise([10, 1, 100, 5])).toMatchObject({ min: 1, p50: 5, p90: 100, max: 100, mean: 29 });
  });

  it('counts by key, skipping items without one', () => {
    expect(countBy(['a', 'b', 'a', 'c'], (x) => (x === 'c' ? undefined : x))).toStrictEqual({ a: 2, b: 1 });
  });

  it("defines a checker whose options are parsed first (defaults applied) and whose verdict is the run's", () => {
    const c = defineChecker('probe', z.strictObject({ n: z.number().default(3) }), (input, o) =>
      verdict(true, `n=${o.n}`, { start: input.start }),
    );
    const input = new RunBuilder().input();
    expect(c.check(input, undefined as unknown as { n?: number })).toStrictEqual({
      valid: true,
      summary: 'n=3',
      details: { start: input.start },
    });
    expect(c.check(input, { n: 4 }).summary).toBe('n=4');
    expect(() => c.check(input, { m: 1 } as unknown as { n?: number })).toThrow();
    expect(verdict('unknown', 'why')).toStrictEqual({ valid: 'unknown', summary: 'why', details: {} });
  });
});

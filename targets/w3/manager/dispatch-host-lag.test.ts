// Packing (dispatch-policy.ts) does not blame a worker for the host's own lateness (host-lag.ts): when the host's loop
// did not run for a while — descheduled on a busy machine, or busy — the answers a worker sent in time are read late,
// and without the host's lateness the first worker would look stalled or slow, its connections would drift to the
// second worker and pack back a second later. Jest's fake clock plays the host: jest.setSystemTime moves the time
// while no timer runs (the host stopped), jest.advanceTimersByTime moves it while the host runs on time.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { connection, garden as gardenOf, later } from './test-support/garden-load';
import type { FakeJob } from './test-support/pool-harness';
import {
  AFFINITY_MIN_MS,
  AFFINITY_STALL_MS,
  KEEP_UP_CPU,
  KEEP_UP_MS,
  SERVICE_WINDOW_MS,
  ServiceTime,
  keepsAffinity,
  keepsUp,
  packsBack,
  stalled,
  type HostLateness,
} from './dispatch-policy';
import { HOST_BEAT_MS, HostLag } from './host-lag';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

const now = 100_000;
const load = (inFlight: number, progressAt = now, meanMs = 0, cpuShare: number | null = null) =>
  ({ inFlight, progressAt, service: { meanMs }, cpuShare }) as never;

/** The host was late for `ms` just before `now` (a stand-in for HostLag); records what it was asked. */
function lateBy(ms: number): HostLateness & { asked: [number, number][] } {
  const asked: [number, number][] = [];
  return {
    asked,
    lateMs(since, at) {
      asked.push([since, at]);
      return Math.min(ms, at - since);
    },
  };
}

describe('the rules, given the host lateness', () => {
  const silent = (ms: number) => load(1, now - ms);

  it('a worker is stalled when silent for AFFINITY_STALL_MS the host was not late for', () => {
    const lag = lateBy(300);
    expect(stalled(silent(300 + AFFINITY_STALL_MS), now, lag)).toBe(false);
    expect(lag.asked).toEqual([[now - 300 - AFFINITY_STALL_MS, now]]); // since it last made progress
    expect(stalled(silent(300 + AFFINITY_STALL_MS + 1), now, lag)).toBe(true);
    expect(stalled(silent(300 + AFFINITY_STALL_MS), now)).toBe(true); // lateness not known: as before
    expect(stalled(load(0, now - 10_000), now, lateBy(0))).toBe(false); // idle
  });

  it('keepsUp and packsBack do not take a worker the host did not read for stalled', () => {
    expect(keepsUp(silent(300), now, lateBy(300))).toBe(true);
    expect(keepsUp(silent(300), now)).toBe(false);
    const first = load(10);
    expect(packsBack(silent(300), first, now - AFFINITY_MIN_MS, now, lateBy(300))).toBe(true);
    expect(packsBack(silent(300), first, now - AFFINITY_MIN_MS, now)).toBe(false);
  });

  it('keepsAffinity: no move off a worker only the host was late to hear', () => {
    const lag = lateBy(300);
    for (const pack of [true, false]) {
      expect(keepsAffinity(silent(300), load(0), now, now, pack, lag)).toBe(true);
      expect(keepsAffinity(silent(300), load(0), now, now, pack)).toBe(false);
    }
    // A worker silent beyond the host's lateness leaves one that is only late to be heard.
    expect(keepsAffinity(silent(300 + AFFINITY_STALL_MS + 1), silent(300), now, now, true, lag)).toBe(false);
    // Busy by CPU (no reason to move at once) and silent only while the host was late: it keeps the connection.
    expect(keepsAffinity(load(6, now - 300, 0, KEEP_UP_CPU), load(0), now, now, true, lag)).toBe(true);
    // Slow, and the other worker is only late to be heard: the connection moves to it.
    expect(keepsAffinity(load(6, now, 20), silent(300), now, now, true, lag)).toBe(false);
  });

  it('ServiceTime: the host lateness during a request is subtracted; KEEP_UP_MS or more leaves it out', () => {
    const t = new ServiceTime(0);
    const lag = lateBy(KEEP_UP_MS - 1);
    t.record(KEEP_UP_MS + 5, SERVICE_WINDOW_MS, lag);
    expect(lag.asked).toEqual([[SERVICE_WINDOW_MS - KEEP_UP_MS - 5, SERVICE_WINDOW_MS]]); // since its dispatch
    expect(t.meanMs).toBe(6);
    t.record(300, 2 * SERVICE_WINDOW_MS, lateBy(KEEP_UP_MS));
    expect(t.meanMs).toBe(6); // left out: the window did not close on it
    t.record(4, 2 * SERVICE_WINDOW_MS + 1, lateBy(0));
    expect(t.meanMs).toBe(4);
    t.record(AFFINITY_MIN_MS + 50, 3 * SERVICE_WINDOW_MS + 1, lateBy(1));
    expect(t.meanMs).toBe(AFFINITY_MIN_MS); // the cap, after the host lateness is subtracted
  });
});

/** A packing garden of two workers that reads the host's lateness from `lag`. */
function garden(lag: HostLag) {
  const h = gardenOf({ webGardenDispatch: 'pack' }, { hostLag: lag });
  return { h, w1: h.worker(0), w2: h.worker(1) };
}

/** Submits a connection's next request; returns the id of the worker it went to. */
function send(h: ReturnType<typeof gardenOf>, c: FakeJob): number {
  h.pool.submit(c);
  return c.ranOn.at(-1)!.id;
}

/** Two connections that have been served by the first worker. */
function twoConnections(h: ReturnType<typeof gardenOf>): [FakeJob, FakeJob] {
  const a = connection();
  const b = connection();
  for (const c of [a, b]) {
    send(h, c);
    later(1);
    h.done(c);
  }
  return [a, b];
}

describe('a packing garden and the host lateness', () => {
  it('the host stopped for 300 ms with a request in flight: the first worker keeps every connection', () => {
    const lag = new HostLag();
    const { h, w1 } = garden(lag);
    const [a, b] = twoConnections(h);
    expect(a.ranOn).toEqual([w1]);
    send(h, a);
    later(300); // the host's loop does not run: w1's answer to `a` waits unread
    // The host runs again and reads b's next request and a new connection's before w1's answer.
    expect(send(h, b)).toBe(w1.id);
    const c = connection();
    expect(send(h, c)).toBe(w1.id);
    // Now it reads w1's answer: 300 ms after the dispatch, but not slow for w1, which keeps taking new connections.
    h.done(a);
    later(1);
    expect(send(h, connection())).toBe(w1.id);
    lag.stop();
  });

  it('a worker silent for AFFINITY_STALL_MS while the host runs on time still loses a connection and new ones', () => {
    const lag = new HostLag();
    const { h, w2 } = garden(lag);
    const [a, b] = twoConnections(h);
    send(h, a);
    jest.advanceTimersByTime(AFFINITY_STALL_MS + HOST_BEAT_MS);
    expect(send(h, b)).toBe(w2.id);
    expect(send(h, connection())).toBe(w2.id);
    lag.stop();
  });

  it('a connection moved while the first worker really stalled packs back once it keeps up again', () => {
    const lag = new HostLag();
    const { h, w1, w2 } = garden(lag);
    const [a, b] = twoConnections(h);
    send(h, a);
    jest.advanceTimersByTime(AFFINITY_STALL_MS + HOST_BEAT_MS);
    expect(send(h, b)).toBe(w2.id);
    h.done(a);
    h.done(b);
    later(AFFINITY_MIN_MS); // the host stopped again: w1, idle, keeps up whatever the host did
    expect(send(h, b)).toBe(w1.id);
    lag.stop();
  });

  it('spread, and jobs without a connection, never start the heartbeat', () => {
    const lag = new HostLag();
    const spread = gardenOf({}, { hostLag: lag });
    const [a] = twoConnections(spread);
    send(spread, a);
    spread.done(a);
    expect(lag.running).toBe(false);
    const { h } = garden(lag);
    h.done(h.submit());
    expect(lag.running).toBe(false);
    send(h, connection());
    expect(lag.running).toBe(true);
    lag.stop();
  });

  it('a worker silent for AFFINITY_STALL_MS after the host stopped is stalled: only the stop is discounted', () => {
    const lag = new HostLag();
    const { h, w2 } = garden(lag);
    const [a, b] = twoConnections(h);
    send(h, a);
    later(300);
    jest.advanceTimersByTime(2 * AFFINITY_STALL_MS);
    expect(send(h, b)).toBe(w2.id);
    lag.stop();
  });
});

// Packing (dispatch-policy.ts) does not blame a worker for the host's own lateness (host-lag.ts): when the host's loop
// did not run for a while — descheduled on a busy machine, or busy — the answers a worker sent in time are read late,
// and without the host's lateness the first worker would look stalled or slow, its connections would drift to the
// second worker and pack back a second later. Jest's fake clock plays the host: jest.setSystemTime moves the time
// while no timer runs (the host stopped), jest.advanceTimersByTime moves it while the host runs on time.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: async () => null }));

import { connection, garden as gardenOf, later } from './test-support/garden-load';
import type { FakeJob } from './test-support/pool-harness';
import { AFFINITY_STALL_MS } from './dispatch-policy';
import { HOST_BEAT_MS, HostLag } from './host-lag';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

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
  it.failing('the host stopped for 300 ms with a request in flight: the first worker keeps every connection', () => {
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

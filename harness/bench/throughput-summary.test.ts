import { goals, median, perRequest, quietMachine, ratios, summarize, type Measurement } from './throughput-summary';
import type { ClientName, ClientResult } from './load-client';
import type { TargetKey } from './throughput-targets';

function result(rps: number, p99: number): ClientResult {
  return {
    client: 'wrk',
    requests: rps * 10,
    durationS: 10,
    rps,
    latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99, mean: p99 / 2 },
    errors: 0,
    non2xx: 0,
    clientCpuMs: 5000,
    detail: {},
  };
}

function m(target: TargetKey, rps: number, p99: number, round = 0, client: ClientName = 'wrk'): Measurement {
  const r = { ...result(rps, p99), client };
  const w = { wallMs: 10_000, frontMs: 8000, backMs: 6000, machineBusyMs: 20_000, frontRunQueueWaitMs: 100 };
  return { round, client, target, result: r, cpuWindow: w, cpu: perRequest(r, w) };
}

describe('perRequest', () => {
  it('divides the CPU of each role by the requests, and the rest of the machine by the window', () => {
    const x = m('w3-1', 1000, 5).cpu;
    expect(x.frontUs).toBe(800); // 8000 ms over 10,000 requests
    expect(x.backUs).toBe(600);
    expect(x.totalUs).toBe(1400);
    expect(x.frontCores).toBe(0.8);
    expect(x.clientCores).toBe(0.5);
    // 20,000 busy − 14,000 servers − 5,000 client = 1,000 ms over 10 s.
    expect(x.otherLoadCores).toBe(0.1);
    expect(x.frontRunQueueWaitShare).toBe(0.01);
  });

  it('is unknown where a reading failed', () => {
    const r = result(10, 1);
    const x = perRequest(r, { wallMs: 1000, frontMs: null, backMs: 5, machineBusyMs: null, frontRunQueueWaitMs: null });
    expect(x.frontUs).toBeNull();
    expect(x.totalUs).toBeNull();
    expect(x.otherLoadCores).toBeNull();
  });
});

describe('summaries, ratios and goals', () => {
  const ms = [
    m('haproxy', 40_000, 4, 0),
    m('haproxy', 44_000, 3, 1),
    m('w3-1', 30_000, 8, 0),
    m('w3-1', 34_000, 6, 1),
    m('w3-2', 31_000, 9, 0),
    m('bare', 80_000, 2, 0),
  ];

  it('takes medians over rounds per client and target', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    const s = summarize(ms).find((x) => x.target === 'haproxy')!;
    expect(s.rounds).toBe(2);
    expect(s.rps).toBe(42_000);
    expect(s.p99Ms).toBe(3.5);
  });

  it('gives w3/HAProxy, w3/bare and 2-vs-1 worker ratios, null where a side is missing', () => {
    const r = ratios(summarize(ms));
    expect(r.wrk['w3-1/haproxy']).toBe(0.76);
    expect(r.wrk['w3-1/bare']).toBe(0.4);
    expect(r.wrk['w3-2/w3-1']).toBe(0.97);
    expect(r.wrk['w3-1/nginx']).toBeNull();
    expect(r.autocannon['w3-1/haproxy']).toBeNull();
  });

  it('reports the goals as missed here, and as met when w3 beats HAProxy', () => {
    const g = goals(summarize(ms)).filter((x) => x.client === 'wrk');
    expect(g.map((x) => x.met)).toEqual([false, false, false, null]); // no pack garden measured
    const better = goals(
      summarize([m('haproxy', 40_000, 4), m('w3-1', 41_000, 3.9), m('w3-2', 41_000, 4), m('w3-2p', 40_000, 4)]),
    ).filter((x) => x.client === 'wrk');
    expect(better.map((x) => x.met)).toEqual([true, true, true, false]);
    expect(
      goals(summarize(ms))
        .filter((x) => x.client === 'autocannon')
        .every((x) => x.met === null),
    ).toBe(true);
  });

  it('calls the machine busy when other load exceeded the threshold', () => {
    expect(quietMachine(summarize(ms))).toEqual({ quiet: true, worstOtherLoadCores: 0.1 });
    expect(quietMachine([])).toEqual({ quiet: null, worstOtherLoadCores: null });
  });
});

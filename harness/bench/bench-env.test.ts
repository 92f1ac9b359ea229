import { readBenchParams, BenchParamError } from './bench-env';

describe('readBenchParams', () => {
  it('defaults to 10 s runs with a 2 s warm-up, 100 connections, 20 recycles, 10 repeats, 2 rounds', () => {
    expect(readBenchParams({}, '/repo')).toEqual({
      durationS: 10,
      warmupS: 2,
      connections: 100,
      recycles: 20,
      repeats: 10,
      rounds: 2,
      w3Bin: '/repo/bin/w3lab.js',
      w3Transport: undefined,
      throughputTargets: ['bare', 'haproxy', 'nginx', 'w3-1', 'w3-2', 'w3-2p'],
      throughputClients: ['wrk', 'autocannon'],
      instrRequests: 10_000,
      instrPrime: 50_000,
    });
  });

  it('shortens the warm-up for quick trial runs', () => {
    expect(readBenchParams({ BENCH_DURATION_S: '2' }, '/repo')).toMatchObject({ durationS: 2, warmupS: 1 });
  });

  it('resolves BENCH_W3_BIN against the repository root', () => {
    expect(readBenchParams({ BENCH_W3_BIN: 'other/bin/w3lab.js' }, '/repo').w3Bin).toBe('/repo/other/bin/w3lab.js');
  });

  it('reads the throughput targets and clients as comma-separated lists, in the canonical order', () => {
    const p = readBenchParams({ BENCH_TARGETS: 'w3-1, haproxy', BENCH_CLIENTS: 'wrk' }, '/repo');
    expect(p.throughputTargets).toEqual(['haproxy', 'w3-1']);
    expect(p.throughputClients).toEqual(['wrk']);
  });

  it('rejects unknown throughput targets or clients, naming the variable and the allowed values', () => {
    expect(() => readBenchParams({ BENCH_TARGETS: 'w3-1,envoy' }, '/repo')).toThrow(/BENCH_TARGETS.*bare, haproxy/);
    expect(() => readBenchParams({ BENCH_CLIENTS: ',' }, '/repo')).toThrow(/BENCH_CLIENTS/);
  });

  it('reads BENCH_W3_TRANSPORT (http or frames) and rejects anything else', () => {
    expect(readBenchParams({ BENCH_W3_TRANSPORT: 'frames' }, '/repo').w3Transport).toBe('frames');
    expect(() => readBenchParams({ BENCH_W3_TRANSPORT: 'udp' }, '/repo')).toThrow(/BENCH_W3_TRANSPORT/);
  });

  it('rejects values that are not positive numbers, naming the variable', () => {
    expect(() => readBenchParams({ BENCH_DURATION_S: 'ten' }, '/repo')).toThrow(BenchParamError);
    expect(() => readBenchParams({ BENCH_CONNECTIONS: '1.5' }, '/repo')).toThrow(/BENCH_CONNECTIONS/);
    expect(() => readBenchParams({ BENCH_RECYCLES: '0' }, '/repo')).toThrow(/BENCH_RECYCLES/);
    expect(() => readBenchParams({ BENCH_REPEATS: '-3' }, '/repo')).toThrow(/BENCH_REPEATS/);
    expect(() => readBenchParams({ BENCH_ROUNDS: '2.5' }, '/repo')).toThrow(/BENCH_ROUNDS/);
  });
});

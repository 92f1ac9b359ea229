import { parseWrkOutput, wrkArgs, WrkError, WRK_DONE_SCRIPT } from './wrk';

const OUT = [
  'Running 2s test @ http://127.0.0.1:1/',
  'Requests/sec:  16977.79',
  'W3LAB_WRK {"requests":34311,"durationUs":2020934,"bytes":5352516,"connect":0,"read":2,"write":0,"status":5,' +
    '"timeout":1,"p50":4557,"p90":22324,"p99":364756,"p999":462557,"max":474425,"mean":19783.4}',
].join('\n');

describe('parseWrkOutput', () => {
  it('reads the done-hook line: rate from requests over duration, latencies in ms, errors by kind', () => {
    const r = parseWrkOutput(OUT);
    expect(r.client).toBe('wrk');
    expect(r.requests).toBe(34311);
    expect(r.rps).toBeCloseTo(34311 / 2.020934, 0);
    expect(r.latencyMs).toEqual({ p50: 4.557, p90: 22.324, p99: 364.756, p999: 462.557, max: 474.425, mean: 19.783 });
    expect(r.errors).toBe(3);
    expect(r.non2xx).toBe(5);
  });

  it('fails with the output when the hook line is missing', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(WrkError);
  });
});

describe('wrkArgs', () => {
  it('runs one thread by default with the connections, duration, a timeout and the script', () => {
    expect(wrkArgs({ bin: 'wrk', url: 'http://x/', connections: 100, durationS: 8 }, '/s.lua')).toEqual([
      '-t1',
      '-c100',
      '-d8s',
      '--timeout',
      '10s',
      '-s',
      '/s.lua',
      'http://x/',
    ]);
  });

  it('has a done hook that prints every field the parser reads', () => {
    for (const f of ['requests', 'durationUs', 'connect', 'read', 'write', 'status', 'timeout', 'p50', 'p99', 'max']) {
      expect(WRK_DONE_SCRIPT).toContain(`"${f}":`);
    }
  });
});

// autocannon (in this process) as a benchmark client, reported in the same shape as wrk. It runs on the bench's
// own event loop, so its CPU time is this process's CPU over the run.
import { runAutocannon } from '../workloads/autocannon-load';
import { roundTo, type ClientResult, type LoadShape } from './load-client';

export async function runAutocannonClient(o: LoadShape): Promise<ClientResult> {
  const cpu0 = process.cpuUsage();
  const { raw, summary } = await runAutocannon({
    url: o.url,
    connections: o.connections,
    durationMs: o.durationS * 1000,
  });
  const cpu = process.cpuUsage(cpu0);
  const l = raw.latency;
  return {
    client: 'autocannon',
    requests: summary.requests,
    durationS: summary.durationSec,
    rps: summary.rps,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p99_9, max: l.max, mean: roundTo(l.mean) },
    errors: summary.errors,
    non2xx: summary.non2xx,
    clientCpuMs: roundTo((cpu.user + cpu.system) / 1000, 1),
    detail: { sent: summary.sent, timeouts: summary.timeouts, rpsMeanOfSeconds: roundTo(raw.requests.average, 1) },
  };
}

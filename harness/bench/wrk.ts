// wrk (the C load generator) as a benchmark client: one thread, N keep-alive connections, a fixed duration. A small
// Lua `done` hook prints the summary as one JSON line (exact percentiles from wrk's histogram), which is parsed here.
// wrk runs as a child of the bench, so its CPU time is read from the bench's reaped-children times around the run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reapedChildrenCpuMs } from './cpu-usage';
import { roundTo, type ClientResult, type LoadShape } from './load-client';

export class WrkError extends Error {
  readonly code = 'LAB_ERR_BENCH_WRK';
}

const MARK = 'W3LAB_WRK';

// Lua 5.1 (LuaJIT): latency values are in microseconds.
export const WRK_DONE_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n${MARK} {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f,"max":%.0f,"mean":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
`;

interface WrkSummary {
  requests: number;
  durationUs: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** The summary line the done hook printed, as a ClientResult (clientCpuMs left null). */
export function parseWrkOutput(stdout: string): ClientResult {
  const m = new RegExp(`${MARK} (\\{[^}]*\\})`).exec(stdout);
  if (!m) throw new WrkError(`wrk printed no summary line:\n${stdout.slice(-2000)}`);
  const s = JSON.parse(m[1]!) as WrkSummary;
  const ms = (us: number): number => roundTo(us / 1000, 3);
  const durationS = s.durationUs / 1e6;
  return {
    client: 'wrk',
    requests: s.requests,
    durationS: roundTo(durationS, 3),
    rps: durationS > 0 ? roundTo(s.requests / durationS, 1) : 0,
    latencyMs: { p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max), mean: ms(s.mean) },
    errors: s.connect + s.read + s.write + s.timeout,
    // wrk counts responses with a status ≥ 400 here.
    non2xx: s.status,
    clientCpuMs: null,
    detail: {
      errors: { connect: s.connect, read: s.read, write: s.write, timeout: s.timeout, status: s.status },
      bytes: s.bytes,
    },
  };
}

export interface WrkOptions extends LoadShape {
  bin: string;
  /** wrk threads (default 1: the comparison leaves the other core to the servers). */
  threads?: number;
  /** Per-request timeout in seconds (default 10). */
  timeoutS?: number;
}

export function wrkArgs(o: WrkOptions, script: string): string[] {
  return [
    `-t${o.threads ?? 1}`,
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    `--timeout`,
    `${o.timeoutS ?? 10}s`,
    '-s',
    script,
    o.url,
  ];
}

/** Runs wrk once; rejects when it cannot start, exits non-zero, or prints no summary. */
export async function runWrk(o: WrkOptions): Promise<ClientResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-wrk-'));
  const script = path.join(dir, 'done.lua');
  fs.writeFileSync(script, WRK_DONE_SCRIPT);
  const cpu0 = reapedChildrenCpuMs();
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(o.bin, wrkArgs(o, script), { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
        // wrk ends on its own after -d; this guard only matters if it hangs.
        const guard = setTimeout(() => child.kill('SIGKILL'), (o.durationS + (o.timeoutS ?? 10) + 10) * 1000);
        child.once('error', (err) => {
          clearTimeout(guard);
          reject(new WrkError(`wrk could not start: ${err.message}`, { cause: err }));
        });
        child.once('close', (c) => {
          clearTimeout(guard);
          resolve({ code: c, stdout, stderr });
        });
      },
    );
    if (code !== 0) throw new WrkError(`wrk exited with ${code}: ${stderr.trim() || stdout.slice(-1000)}`);
    const result = parseWrkOutput(stdout);
    const cpu1 = reapedChildrenCpuMs();
    result.clientCpuMs = cpu0 === null || cpu1 === null ? null : roundTo(cpu1 - cpu0, 1);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

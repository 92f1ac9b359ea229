// A bare cold start of an app, the yardstick for w3's crash recovery: spawn `node -e` that does
// `http.createServer(require(app)).listen(0)` and prints one JSON line once it listens — nothing of w3 (no worker
// main, no IPC, no logger). Timed from just before the spawn to the parent reading that line, which is the same
// span w3's WorkerReady.startupMs covers for a worker (spawn → "ready" message received).
import { performance } from 'node:perf_hooks';
import { startProcess, type ProcessRegistry } from './managed-process';

const COLD_START_TIMEOUT_MS = 20_000;

/** The child's whole program; the app comes through the environment so the code stays a constant. */
const BARE_SERVER = [
  "const http = require('http');",
  'const server = http.createServer(require(process.env.BENCH_COLD_START_APP));',
  'const ready = () => ({ listening: { port: server.address().port } });',
  "server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify(ready()) + '\\n'));",
].join(' ');

export interface ColdStartSample {
  i: number;
  /** Spawn → listening line read by the parent, ms (fractional). */
  ms: number | null;
  error?: string;
}

export async function coldStartOnce(i: number, app: string, registry: ProcessRegistry): Promise<ColdStartSample> {
  const t0 = performance.now();
  const proc = startProcess(`cold-start-${i}`, process.execPath, ['-e', BARE_SERVER], registry, {
    env: { ...process.env, BENCH_COLD_START_APP: app },
  });
  try {
    await proc.waitForJsonLine((j) => 'listening' in j, COLD_START_TIMEOUT_MS);
    return { i, ms: Math.round((performance.now() - t0) * 10) / 10 };
  } catch (err) {
    return { i, ms: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await proc.kill();
  }
}

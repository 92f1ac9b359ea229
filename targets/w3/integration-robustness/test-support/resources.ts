// Resource accounting for the robustness tests: after each test every request has left the host (no in-flight
// count, nothing queued) and the host's and workers' open descriptors are back to what they were at a quiet point
// before it. A leaked request or socket fails the test that leaked it. Linux /proc only.
import fs from 'node:fs';
import type { RunningServer } from '../../test-support/server';
import type { PoolSnapshot } from '../../manager/pool-snapshot';
import { waitUntil } from '../../integration-manager/test-support/manager-helpers';

export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

export function rssKB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export async function pools(server: RunningServer): Promise<PoolSnapshot[]> {
  return server.admin.request<PoolSnapshot[]>('GET', '/pools');
}

export interface Baseline {
  hostPid: number;
  hostFds: number;
  /** Descriptors of one quiet worker: a replacement must come back to the same number. */
  workerFds: number;
}

/** Waits until nothing is in flight or queued and takes the descriptor counts (call after a warm-up request). */
export async function baseline(server: RunningServer): Promise<Baseline> {
  await waitUntil(async () => busy(await pools(server)) === 0, 20_000, 'a quiet server');
  const hostPid = server.proc.pid!;
  const worker = (await pools(server)).flatMap((p) => p.workers).find((w) => w.state === 'Ready');
  return { hostPid, hostFds: fdCount(hostPid), workerFds: worker ? fdCount(worker.pid) : 0 };
}

function busy(all: PoolSnapshot[]): number {
  let n = 0;
  for (const p of all) {
    n += p.queue.length;
    for (const w of p.workers) n += w.inFlight;
  }
  return n;
}

/**
 * After a test: in-flight and queued counts return to 0, and descriptors to the baseline (plus `extraFds` on each
 * side, for tests that legitimately leave pooled connections between listener and worker open). Waits up to
 * `timeoutMs` for the counts to settle (closes are asynchronous), then fails naming what did not.
 */
export async function expectSettled(
  server: RunningServer,
  base: Baseline,
  extraFds = 0,
  timeoutMs = 20_000,
): Promise<void> {
  let last = '';
  try {
    await waitUntil(
      async () => {
        const all = await pools(server);
        const inFlight = busy(all);
        const hostFds = fdCount(base.hostPid);
        const workers = all.flatMap((p) => p.workers).filter((w) => w.state === 'Ready');
        const workerFds = workers.map((w) => safeFdCount(w.pid));
        last =
          `inFlight+queued ${inFlight}, host fds ${hostFds} (baseline ${base.hostFds} + ${extraFds}), ` +
          `worker fds ${workerFds.join(',')} (baseline ${base.workerFds} + ${extraFds})`;
        const fdsBack = hostFds <= base.hostFds + extraFds && workerFds.every((n) => n <= base.workerFds + extraFds);
        return inFlight === 0 && fdsBack;
      },
      timeoutMs,
      'the server to settle',
    );
  } catch {
    throw new Error(`resources did not return to the baseline: ${last}`);
  }
}

function safeFdCount(pid: number): number {
  try {
    return fdCount(pid);
  } catch {
    return 0; // exited meanwhile
  }
}

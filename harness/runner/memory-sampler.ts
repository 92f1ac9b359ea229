// Memory over time, measured from the lab side: every `intervalMs` during the workload, the target's worker list
// (w3 reports each worker's private memory) becomes one `sample` record per worker in the history. A target whose
// list carries no memory is measured through /proc on this machine (process runtime only: a container's pids are
// its own). The report draws these as a chart per worker; a leak shows as a slope and the recycle as the drop.
import fs from 'node:fs';
import type { HistoryRecord, SampleRecord } from '../history/types';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { runtimeOf } from '../targets/runtime-of';

/** Private memory of a local process: resident anonymous pages (RssAnon), in KB; undefined when unreadable. */
export function procPrivateKB(pid: number): number | undefined {
  try {
    return rssAnonKB(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The RssAnon line of a /proc/<pid>/status text, in KB; undefined without one. */
export function rssAnonKB(status: string): number | undefined {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

export class MemorySampler {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly target: StartedTarget,
    private readonly record: (r: HistoryRecord) => void,
    private readonly intervalMs = 500,
    private readonly readProc: (pid: number) => number | undefined = procPrivateKB,
  ) {}

  start(): void {
    if (this.timer) return;
    if (!this.target.workers) return;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer ?? undefined);
    this.timer = null;
  }

  /** One round of samples (skipped while the previous one is still waiting for the target). */
  async sample(): Promise<void> {
    if (this.busy) return;
    if (!this.target.workers) return;
    this.busy = true;
    try {
      const local = runtimeOf(this.target) === 'process';
      const t = Date.now();
      for (const w of await this.target.workers()) {
        const s = this.sampleOf(w, t, local);
        if (s) this.record(s);
      }
    } catch {
      /* the target is busy or going away: a missed sample is not an error of the run */
    } finally {
      this.busy = false;
    }
  }

  private sampleOf(w: WorkerInfo, t: number, local: boolean): SampleRecord | undefined {
    const base = {
      kind: 'sample' as const,
      t,
      pool: w.pool,
      pid: w.pid,
      ...(w.id !== undefined ? { workerId: w.id } : {}),
    };
    if (w.privateMemoryKB !== undefined) return { ...base, privateMemoryKB: w.privateMemoryKB, from: 'target' };
    const kb = local ? this.readProc(w.pid) : undefined;
    return kb === undefined ? undefined : { ...base, privateMemoryKB: kb, from: 'proc' };
  }
}

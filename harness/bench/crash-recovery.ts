// Section "crash-recovery": how fast w3 replaces a worker that died. w3 runs one AlwaysRunning worker (hello) with
// rapid-fail protection off (the section kills the pool's worker over and over on purpose). N times: SIGKILL the
// ready worker from outside and time kill → WorkerReady of the replacement (and the server's own startupMs, spawn →
// ready). Interleaved with the kills, N bare cold starts of the same app (cold-start.ts) give the yardstick.
// The §6 goal it reports: replacement ready within 1.2 × a bare cold start (medians).
import path from 'node:path';
import { writeResultJson } from './bench-env';
import { coldStartOnce, type ColdStartSample } from './cold-start';
import { sleep } from './managed-process';
import { onlyUsedWorkersReady, startW3, stopW3, waitForReadyWorker, type W3Server } from './servers';
import { formatTable, ratio } from './table';
import { medianOf, summarizeTimings, timingRow, timingTableHeaders, type TimingSummary } from './timings';
import { followW3Events, waitForReplacement, type EventFollower } from './w3-events';
import type { BenchContext, BenchSection, SectionReport } from './section';

const POOL = 'app';
const GOAL_RATIO = 1.2;
/** The replacement serves a moment before it is killed in turn, as a worker in production would. */
const SETTLE_MS = 300;
const EVENT_TIMEOUT_MS = 10_000;
const REPLACEMENT_TIMEOUT_MS = 30_000;

export interface CrashSample {
  i: number;
  workerId: number | null;
  pid: number | null;
  /** Epoch ms just before the SIGKILL. */
  t0: number;
  /** kill → WorkerCrashed.t (w3 saw the exit). */
  crashSeenMs: number | null;
  /** Headline: kill → WorkerReady.t of the replacement. */
  killToReadyMs: number | null;
  /** WorkerReady.startupMs of the replacement (its spawn → ready). */
  startupMs: number | null;
  newPid: number | null;
  error?: string;
}

/** `killedPids`: workers killed earlier, which may still be listed as Ready until w3 has seen them exit. */
async function oneCrash(i: number, w3: W3Server, events: EventFollower, killedPids: number[]): Promise<CrashSample> {
  const sample: CrashSample = { i, workerId: null, pid: null, t0: 0, crashSeenMs: null, killToReadyMs: null, startupMs: null, newPid: null };
  try {
    const worker = await waitForReadyWorker(w3, POOL, REPLACEMENT_TIMEOUT_MS, killedPids);
    sample.workerId = worker.id;
    sample.pid = worker.pid;
    killedPids.push(worker.pid);
    await sleep(SETTLE_MS);
    const t0 = Date.now();
    sample.t0 = t0;
    process.kill(worker.pid, 'SIGKILL');
    const crashed = await events.waitFor((e) => e.type === 'WorkerCrashed' && e['pid'] === worker.pid, EVENT_TIMEOUT_MS).catch(() => undefined);
    if (crashed) sample.crashSeenMs = crashed.t - t0;
    const { ready, startupMs, newPid } = await waitForReplacement(events, POOL, worker.pid, t0, REPLACEMENT_TIMEOUT_MS);
    sample.killToReadyMs = ready.t - t0;
    sample.startupMs = startupMs;
    sample.newPid = newPid;
    if (!crashed) sample.error = 'no WorkerCrashed event for the killed worker';
  } catch (err) {
    sample.error = err instanceof Error ? err.message : String(err);
  }
  return sample;
}

export const crashRecoverySection: BenchSection = {
  name: 'crash-recovery',
  description: 'SIGKILLed worker → replacement ready, against a bare cold start of the same app',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.repeats;
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const problems: string[] = [];
    const crashes: CrashSample[] = [];
    const coldStarts: ColdStartSample[] = [];
    let w3: W3Server | undefined;
    let events: EventFollower | undefined;
    let w3Stop: unknown = null;
    try {
      ctx.progress('crash-recovery: starting w3 (1 worker, hello, rapid-fail protection off) ...');
      w3 = await startW3({
        registry: ctx.processes,
        bin: ctx.params.w3Bin,
        app,
        maxProcesses: 1,
        pool: POOL,
        poolSettings: { failure: { rapidFailProtection: false } },
      });
      events = followW3Events(w3.admin, Date.now() - 60_000);
      const killedPids: number[] = [];
      // Kills and cold starts alternate, so a change in the machine's load hits both series alike.
      for (let i = 1; i <= n; i++) {
        const c = await oneCrash(i, w3, events, killedPids);
        crashes.push(c);
        const b = await coldStartOnce(i, app, ctx.processes);
        coldStarts.push(b);
        ctx.progress(
          `  ${i}/${n}: kill → ready ${c.killToReadyMs ?? '-'} ms (startupMs ${c.startupMs ?? '-'}), bare cold start ${b.ms ?? '-'} ms` +
            (c.error ? ` (crash: ${c.error.split('\n')[0]})` : '') +
            (b.error ? ` (cold start: ${b.error.split('\n')[0]})` : ''),
        );
        const exhausted = await onlyUsedWorkersReady(w3, POOL, killedPids);
        if (c.error && c.newPid === null && exhausted) break;
      }
    } finally {
      w3Stop = await stopW3(w3, events);
    }

    const failedCrashes = crashes.filter((s) => s.error);
    if (failedCrashes.length > 0) problems.push(`crash-recovery: ${failedCrashes.length}/${crashes.length} kills incomplete: ${failedCrashes[0]!.error!.split('\n')[0]}`);
    const failedCold = coldStarts.filter((s) => s.error);
    if (failedCold.length > 0) problems.push(`crash-recovery: ${failedCold.length}/${coldStarts.length} bare cold starts failed: ${failedCold[0]!.error!.split('\n')[0]}`);
    if (crashes.length < n) problems.push(`crash-recovery: only ${crashes.length}/${n} iterations ran`);

    const summary: Record<string, TimingSummary> = {
      killToReadyMs: summarizeTimings(crashes.map((s) => s.killToReadyMs)),
      startupMs: summarizeTimings(crashes.map((s) => s.startupMs)),
      crashSeenMs: summarizeTimings(crashes.map((s) => s.crashSeenMs)),
      bareColdStartMs: summarizeTimings(coldStarts.map((s) => s.ms)),
    };
    const bare = medianOf(coldStarts.map((s) => s.ms));
    const ratios = {
      /** Headline: median kill → ready / median bare cold start. */
      killToReadyVsColdStart: ratio(medianOf(crashes.map((s) => s.killToReadyMs)), bare),
      startupVsColdStart: ratio(medianOf(crashes.map((s) => s.startupMs)), bare),
    };
    const goal = { ratioAtMost: GOAL_RATIO, met: ratios.killToReadyVsColdStart === null ? null : ratios.killToReadyVsColdStart <= GOAL_RATIO };
    const interesting = new Set(['WorkerCrashed', 'WorkerStarting', 'WorkerReady', 'WorkerExited', 'WorkerKilled', 'RapidFailCount', 'PoolStopped']);
    const firstT0 = crashes.find((s) => s.t0 > 0)?.t0 ?? 0;

    const file = writeResultJson(ctx.outDir, 'crash-recovery.json', {
      section: 'crash-recovery',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
      parameters: {
        repeats: n,
        settleMs: SETTLE_MS,
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning', rapidFailProtection: false },
        timeoutsMs: { event: EVENT_TIMEOUT_MS, replacement: REPLACEMENT_TIMEOUT_MS },
      },
      definitions: {
        killToReadyMs: 'process.kill(worker, SIGKILL) by the bench → WorkerReady.t of the replacement (server clock = bench clock)',
        startupMs: 'WorkerReady.startupMs of the replacement: w3 spawning it → its ready message',
        crashSeenMs: 'SIGKILL → WorkerCrashed.t (w3 noticed the exit)',
        bareColdStartMs: 'spawn of `node -e "http.createServer(require(app)).listen(0)"` → its listening line read by the bench',
      },
      summary,
      ratios,
      goal,
      crashes,
      coldStarts,
      events: (events?.events ?? []).filter((e) => interesting.has(e.type) && e.t >= firstT0 - 1),
      w3Stop,
    });

    const lines = [
      `crash-recovery — ${crashes.length}/${n} SIGKILLs of 1 w3 worker (hello), interleaved with bare cold starts of the same app; ` +
        `${meta.machine.cores} cores, load ${meta.machine.loadavg.join(' ')}`,
      ...formatTable(
        timingTableHeaders('metric (ms)'),
        [
          timingRow('kill → replacement WorkerReady', summary['killToReadyMs']!),
          timingRow('  of which kill → WorkerCrashed seen', summary['crashSeenMs']!),
          timingRow('replacement startupMs (spawn → ready)', summary['startupMs']!),
          timingRow('bare cold start (spawn → listening)', summary['bareColdStartMs']!),
        ],
      ),
      '',
      `ratio kill→ready / bare cold start (medians): ${ratios.killToReadyVsColdStart ?? '-'} (startupMs / bare: ${ratios.startupVsColdStart ?? '-'}); ` +
        `goal ≤ ${GOAL_RATIO}: ${goal.met === null ? 'unknown' : goal.met ? 'met' : 'NOT met'}`,
    ];
    return { files: [file], lines, problems };
  },
};

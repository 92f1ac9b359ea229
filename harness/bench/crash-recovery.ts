// Section "crash-recovery": how fast w3 replaces a worker that died. w3 runs one AlwaysRunning worker (hello) with
// rapid-fail protection off (the section kills the pool's worker over and over on purpose). N times: SIGKILL the
// ready worker from outside and time kill → WorkerReady of the replacement (and the server's own startupMs, spawn →
// ready). Interleaved with the kills, N bare cold starts of the same app (cold-start.ts) give the yardstick.
// The goal it reports: a replacement ready within 1.2 × a bare cold start (medians), i.e. w3 adds little to what
// starting the app costs anyway.
import { writeResultJson, type RunMeta } from './bench-env';
import { coldStartOnce, type ColdStartSample } from './cold-start';
import { sleep, type StopReport } from './managed-process';
import { onlyUsedWorkersReady, waitForReadyWorker, type W3Server } from './servers';
import {
  benchApp,
  eventsOfTypes,
  firstLine,
  goalWord,
  incompleteProblems,
  machineLine,
  repeatSamples,
  resultHead,
  shortRunProblems,
  withW3Events,
} from './section-kit';
import { formatTable, ratio } from './table';
import { medianOf, summarizeTimings, timingRow, timingTableHeaders, type TimingSummary } from './timings';
import { waitForReplacement, type EventFollower, type W3StreamEvent } from './w3-events';
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
  const sample: CrashSample = {
    i,
    workerId: null,
    pid: null,
    t0: 0,
    crashSeenMs: null,
    killToReadyMs: null,
    startupMs: null,
    newPid: null,
  };
  try {
    const worker = await waitForReadyWorker(w3, POOL, REPLACEMENT_TIMEOUT_MS, killedPids);
    sample.workerId = worker.id;
    sample.pid = worker.pid;
    killedPids.push(worker.pid);
    await sleep(SETTLE_MS);
    const t0 = Date.now();
    sample.t0 = t0;
    process.kill(worker.pid, 'SIGKILL');
    const crashed = await events
      .waitFor((e) => e.type === 'WorkerCrashed' && e['pid'] === worker.pid, EVENT_TIMEOUT_MS)
      .catch(() => undefined);
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

interface CrashRecoveryMeasured {
  crashes: CrashSample[];
  coldStarts: ColdStartSample[];
  events: W3StreamEvent[];
  w3Stop: StopReport | null;
}

/** The kills, each followed by a bare cold start: alternating, so a change in the machine's load hits both alike. */
async function measureCrashRecovery(ctx: BenchContext, app: string, n: number): Promise<CrashRecoveryMeasured> {
  ctx.progress('crash-recovery: starting w3 (1 worker, hello, rapid-fail protection off) ...');
  const coldStarts: ColdStartSample[] = [];
  const killedPids: number[] = [];
  const w3Options = { app, maxProcesses: 1, pool: POOL, poolSettings: { failure: { rapidFailProtection: false } } };
  const out = await withW3Events(ctx, w3Options, (w3, events) =>
    repeatSamples(
      n,
      async (i) => {
        const c = await oneCrash(i, w3, events, killedPids);
        coldStarts.push(await coldStartOnce(i, app, ctx.processes));
        return c;
      },
      async (c, i) => {
        const b = coldStarts[coldStarts.length - 1]!;
        ctx.progress(
          `  ${i}/${n}: kill → ready ${c.killToReadyMs ?? '-'} ms (startupMs ${c.startupMs ?? '-'}), ` +
            `bare cold start ${b.ms ?? '-'} ms` +
            (c.error ? ` (crash: ${firstLine(c.error)})` : '') +
            (b.error ? ` (cold start: ${firstLine(b.error)})` : ''),
        );
        // Without a ready worker there is nothing left to kill: stop instead of timing out N times.
        const exhausted = await onlyUsedWorkersReady(w3, POOL, killedPids);
        return c.error !== undefined && c.newPid === null && exhausted;
      },
    ),
  );
  return { crashes: out.value, coldStarts, events: out.events, w3Stop: out.w3Stop };
}

export function summarizeCrashRecovery(crashes: readonly CrashSample[], coldStarts: readonly ColdStartSample[]) {
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
  const headline = ratios.killToReadyVsColdStart;
  const goal = { ratioAtMost: GOAL_RATIO, met: headline === null ? null : headline <= GOAL_RATIO };
  return { summary, ratios, goal };
}

const INTERESTING_EVENTS = [
  'WorkerCrashed',
  'WorkerStarting',
  'WorkerReady',
  'WorkerExited',
  'WorkerKilled',
  'RapidFailCount',
  'PoolStopped',
];

const DEFINITIONS = {
  killToReadyMs:
    'process.kill(worker, SIGKILL) by the bench → WorkerReady.t of the replacement (server clock = bench clock)',
  startupMs: 'WorkerReady.startupMs of the replacement: w3 spawning it → its ready message',
  crashSeenMs: 'SIGKILL → WorkerCrashed.t (w3 noticed the exit)',
  bareColdStartMs:
    'spawn of `node -e "http.createServer(require(app)).listen(0)"` → its listening line read by the bench',
};

function crashRecoveryLines(
  meta: RunMeta,
  n: number,
  m: CrashRecoveryMeasured,
  r: ReturnType<typeof summarizeCrashRecovery>,
): string[] {
  return [
    `crash-recovery — ${m.crashes.length}/${n} SIGKILLs of 1 w3 worker (hello), interleaved with bare cold starts ` +
      `of the same app; ${machineLine(meta)}`,
    ...formatTable(timingTableHeaders('metric (ms)'), [
      timingRow('kill → replacement WorkerReady', r.summary['killToReadyMs']!),
      timingRow('  of which kill → WorkerCrashed seen', r.summary['crashSeenMs']!),
      timingRow('replacement startupMs (spawn → ready)', r.summary['startupMs']!),
      timingRow('bare cold start (spawn → listening)', r.summary['bareColdStartMs']!),
    ]),
    '',
    `ratio kill→ready / bare cold start (medians): ${r.ratios.killToReadyVsColdStart ?? '-'} ` +
      `(startupMs / bare: ${r.ratios.startupVsColdStart ?? '-'}); goal ≤ ${GOAL_RATIO}: ${goalWord(r.goal.met)}`,
  ];
}

export const crashRecoverySection: BenchSection = {
  name: 'crash-recovery',
  description: 'SIGKILLed worker → replacement ready, against a bare cold start of the same app',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.repeats;
    const app = benchApp(ctx, 'hello.js');
    const m = await measureCrashRecovery(ctx, app, n);
    const problems = [
      ...incompleteProblems('crash-recovery', 'kills incomplete', m.crashes),
      ...incompleteProblems('crash-recovery', 'bare cold starts failed', m.coldStarts),
      ...shortRunProblems('crash-recovery', m.crashes.length, n),
    ];
    const r = summarizeCrashRecovery(m.crashes, m.coldStarts);
    const firstT0 = m.crashes.find((s) => s.t0 > 0)?.t0 ?? 0;
    const file = writeResultJson(ctx.outDir, 'crash-recovery.json', {
      ...resultHead(ctx, meta, 'crash-recovery', app),
      parameters: {
        repeats: n,
        settleMs: SETTLE_MS,
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning', rapidFailProtection: false },
        timeoutsMs: { event: EVENT_TIMEOUT_MS, replacement: REPLACEMENT_TIMEOUT_MS },
      },
      definitions: DEFINITIONS,
      ...r,
      crashes: m.crashes,
      coldStarts: m.coldStarts,
      events: eventsOfTypes(m.events, INTERESTING_EVENTS, firstT0),
      w3Stop: m.w3Stop,
    });
    return { files: [file], lines: crashRecoveryLines(meta, n, m, r), problems };
  },
};

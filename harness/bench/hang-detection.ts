// Section "hang-detection": how fast w3's health pings find a hung worker. w3 runs with fault injection enabled,
// one AlwaysRunning worker (hello), pingInterval 200 ms, pingResponseTime 500 ms and rapid-fail protection off (the
// section hangs the pool's worker over and over on purpose). N times: inject hang{block-loop} into the ready worker
// through the admin API, then time FaultInjected → PingFailed (detection) and → WorkerReady of the replacement.
// The goal it reports: detected within pingInterval + pingResponseTime (+ a few ms), the bound the ping settings
// promise.
//
// The pause before each injection is spread over one ping interval (a golden-ratio sequence: deterministic, no
// seed needed), so the samples cover every phase of the ping timer instead of always hitting the same one.
import { writeResultJson, type RunMeta } from './bench-env';
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
import { formatTable } from './table';
import { summarizeTimings, timingRow, timingTableHeaders, type TimingSummary } from './timings';
import { waitForReplacement, type EventFollower, type W3StreamEvent } from './w3-events';
import type { BenchContext, BenchSection, SectionReport } from './section';

const POOL = 'app';
const PING_INTERVAL_MS = 200;
const PING_RESPONSE_TIME_MS = 500;
const BOUND_MS = PING_INTERVAL_MS + PING_RESPONSE_TIME_MS;
/** "A few ms" over the bound still counts as within it (timer and event-loop slack). */
const SLACK_MS = 20;
/** Settle time before an injection: the base plus a share of the ping interval that changes per iteration. */
const SETTLE_BASE_MS = 300;
/** Generous per-iteration bounds: a slower detection or restart is recorded as missing, not waited for. */
const DETECTION_TIMEOUT_MS = 10_000;
const REPLACEMENT_TIMEOUT_MS = 30_000;
const FAULT_TOKEN = 'bench-hang-detection';
const HANG = { kind: 'hang', mode: 'block-loop', durationMs: 0 } as const;

export interface HangSample {
  i: number;
  workerId: number | null;
  pid: number | null;
  settleMs: number;
  /** Epoch ms just before the admin POST. */
  t0: number;
  /** POST answered (the worker acknowledged the fault; its loop blocks right after). */
  adminAckMs: number | null;
  /** FaultInjected.t − t0 (server clock = client clock, same machine). */
  faultEventMs: number | null;
  /** Headline: FaultInjected → PingFailed, both server timestamps (the loop blocks a little after FaultInjected). */
  detectionMs: number | null;
  /** Admin POST answered → PingFailed: the loop was blocked by then, so this is the lower bound of detection. */
  detectionFromAckMs: number | null;
  /** FaultInjected → WorkerReady of the replacement. */
  replacementReadyMs: number | null;
  /** The replacement's own spawn → ready (WorkerReady.startupMs). */
  replacementStartupMs: number | null;
  newPid: number | null;
  error?: string;
}

/** Spreads the injections over one ping interval: iteration i pauses SETTLE_BASE + frac(i·φ)·interval. */
export function settleMs(i: number): number {
  return SETTLE_BASE_MS + Math.round(((i * 0.6180339887) % 1) * PING_INTERVAL_MS);
}

/** `hungPids`: workers hung earlier, which may still be listed as Ready until w3 has seen them exit. */
async function oneHang(i: number, w3: W3Server, events: EventFollower, hungPids: number[]): Promise<HangSample> {
  const settle = settleMs(i);
  const sample: HangSample = {
    i,
    workerId: null,
    pid: null,
    settleMs: settle,
    t0: 0,
    adminAckMs: null,
    faultEventMs: null,
    detectionMs: null,
    detectionFromAckMs: null,
    replacementReadyMs: null,
    replacementStartupMs: null,
    newPid: null,
  };
  try {
    const worker = await waitForReadyWorker(w3, POOL, REPLACEMENT_TIMEOUT_MS, hungPids);
    sample.workerId = worker.id;
    sample.pid = worker.pid;
    hungPids.push(worker.pid);
    await sleep(settle);
    const t0 = Date.now();
    sample.t0 = t0;
    await w3.admin.request('POST', `/pools/${POOL}/workers/${worker.id}/faults`, HANG);
    sample.adminAckMs = Date.now() - t0;
    const injected = await events.waitFor(
      (e) => e.type === 'FaultInjected' && e['workerId'] === worker.id && e.t >= t0,
      DETECTION_TIMEOUT_MS,
    );
    sample.faultEventMs = injected.t - t0;
    const failed = await events.waitFor(
      (e) => e.type === 'PingFailed' && e['pid'] === worker.pid && e.t >= t0,
      DETECTION_TIMEOUT_MS,
    );
    sample.detectionMs = failed.t - injected.t;
    sample.detectionFromAckMs = failed.t - (t0 + sample.adminAckMs);
    const { ready, startupMs, newPid } = await waitForReplacement(events, POOL, worker.pid, t0, REPLACEMENT_TIMEOUT_MS);
    sample.replacementReadyMs = ready.t - injected.t;
    sample.replacementStartupMs = startupMs;
    sample.newPid = newPid;
  } catch (err) {
    sample.error = err instanceof Error ? err.message : String(err);
  }
  return sample;
}

interface HangMeasured {
  samples: HangSample[];
  events: W3StreamEvent[];
  w3Stop: StopReport | null;
}

async function measureHangs(ctx: BenchContext, app: string, n: number): Promise<HangMeasured> {
  ctx.progress(
    `hang-detection: starting w3 (fault injection on, ping ${PING_INTERVAL_MS} ms / ${PING_RESPONSE_TIME_MS} ms) ...`,
  );
  const hungPids: number[] = [];
  const w3Options = {
    app,
    maxProcesses: 1,
    pool: POOL,
    faultToken: FAULT_TOKEN,
    processModel: {
      pingingEnabled: true,
      pingInterval: `${PING_INTERVAL_MS}ms`,
      pingResponseTime: `${PING_RESPONSE_TIME_MS}ms`,
    },
    poolSettings: { failure: { rapidFailProtection: false } },
  };
  const out = await withW3Events(ctx, w3Options, (w3, events) =>
    repeatSamples(
      n,
      (i) => oneHang(i, w3, events, hungPids),
      async (s, i) => {
        ctx.progress(
          `  hang ${i}/${n}: PingFailed after ${s.detectionMs ?? '-'} ms, ` +
            `replacement ready after ${s.replacementReadyMs ?? '-'} ms` +
            (s.error ? ` (${firstLine(s.error)})` : ''),
        );
        // Without a ready worker there is nothing left to hang: stop instead of timing out N times.
        const exhausted = await onlyUsedWorkersReady(w3, POOL, hungPids);
        return s.error !== undefined && s.newPid === null && exhausted;
      },
    ),
  );
  return { samples: out.value, events: out.events, w3Stop: out.w3Stop };
}

export function summarizeHangs(samples: readonly HangSample[]) {
  const summary: Record<string, TimingSummary> = {
    detectionMs: summarizeTimings(samples.map((s) => s.detectionMs)),
    detectionFromAckMs: summarizeTimings(samples.map((s) => s.detectionFromAckMs)),
    replacementReadyMs: summarizeTimings(samples.map((s) => s.replacementReadyMs)),
    replacementStartupMs: summarizeTimings(samples.map((s) => s.replacementStartupMs)),
    adminAckMs: summarizeTimings(samples.map((s) => s.adminAckMs)),
  };
  const det = summary['detectionMs']!;
  const goal = {
    boundMs: BOUND_MS,
    slackMs: SLACK_MS,
    /** Every detection within the bound (+ slack); null when nothing was measured. */
    met: det.max === null ? null : det.max <= BOUND_MS + SLACK_MS && det.missing === 0,
    withinBound: samples.filter((s) => s.detectionMs !== null && s.detectionMs <= BOUND_MS + SLACK_MS).length,
  };
  return { summary, goal };
}

const INTERESTING_EVENTS = [
  'FaultInjected',
  'PingFailed',
  'WorkerKilled',
  'WorkerExited',
  'WorkerCrashed',
  'WorkerStarting',
  'WorkerReady',
  'RapidFailCount',
  'PoolStopped',
];

const DEFINITIONS = {
  detectionMs:
    'FaultInjected.t → PingFailed.t (server event timestamps; FaultInjected is emitted just before the fault is sent ' +
    'to the worker, whose loop blocks right after acknowledging it, so this is the upper bound)',
  detectionFromAckMs: 'admin POST answered (the worker had acknowledged the fault) → PingFailed.t: the lower bound',
  replacementReadyMs: 'FaultInjected.t → WorkerReady.t of the replacement worker',
  replacementStartupMs: 'WorkerReady.startupMs of the replacement (its spawn → ready)',
  adminAckMs: 'admin POST sent → answered (the worker acknowledged the fault)',
};

function hangLines(meta: RunMeta, n: number, samples: readonly HangSample[], r: ReturnType<typeof summarizeHangs>) {
  const det = r.summary['detectionMs']!;
  return [
    `hang-detection — ${samples.length}/${n} hangs (block-loop) of 1 w3 worker, pingInterval ${PING_INTERVAL_MS} ms ` +
      `+ pingResponseTime ${PING_RESPONSE_TIME_MS} ms = ${BOUND_MS} ms; ${machineLine(meta)}`,
    ...formatTable(timingTableHeaders('metric (ms)'), [
      timingRow('fault injected → PingFailed', det),
      timingRow('  fault acknowledged → PingFailed', r.summary['detectionFromAckMs']!),
      timingRow('fault injected → replacement WorkerReady', r.summary['replacementReadyMs']!),
      timingRow('replacement startupMs (spawn → ready)', r.summary['replacementStartupMs']!),
    ]),
    '',
    `detection vs bound ${BOUND_MS} ms (+${SLACK_MS}): median ${det.median ?? '-'} ms, max ${det.max ?? '-'} ms, ` +
      `${r.goal.withinBound}/${samples.length} within; goal ${goalWord(r.goal.met)}`,
  ];
}

export const hangDetectionSection: BenchSection = {
  name: 'hang-detection',
  description:
    `hung worker (block-loop) → PingFailed and → replacement ready, ` +
    `ping ${PING_INTERVAL_MS}/${PING_RESPONSE_TIME_MS} ms`,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.repeats;
    const app = benchApp(ctx, 'hello.js');
    const m = await measureHangs(ctx, app, n);
    const problems = [
      ...incompleteProblems('hang-detection', 'iterations incomplete', m.samples),
      ...shortRunProblems('hang-detection', m.samples.length, n),
    ];
    const r = summarizeHangs(m.samples);
    const firstT0 = m.samples.find((s) => s.t0 > 0)?.t0 ?? 0;
    const file = writeResultJson(ctx.outDir, 'hang-detection.json', {
      ...resultHead(ctx, meta, 'hang-detection', app),
      parameters: {
        repeats: n,
        fault: HANG,
        w3: {
          maxProcesses: 1,
          startMode: 'AlwaysRunning',
          pingIntervalMs: PING_INTERVAL_MS,
          pingResponseTimeMs: PING_RESPONSE_TIME_MS,
          rapidFailProtection: false,
        },
        settleMs: `${SETTLE_BASE_MS} + frac(i * 0.618) * pingInterval before injection i`,
        timeoutsMs: { detection: DETECTION_TIMEOUT_MS, replacement: REPLACEMENT_TIMEOUT_MS },
      },
      definitions: DEFINITIONS,
      ...r,
      hangs: m.samples,
      events: eventsOfTypes(m.events, INTERESTING_EVENTS, firstT0),
      w3Stop: m.w3Stop,
    });
    return { files: [file], lines: hangLines(meta, n, m.samples, r), problems };
  },
};

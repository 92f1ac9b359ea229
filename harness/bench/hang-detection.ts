// Section "hang-detection": how fast w3's health pings find a hung worker. w3 runs with fault injection enabled,
// one AlwaysRunning worker (hello), pingInterval 200 ms, pingResponseTime 500 ms and rapid-fail protection off (the
// section hangs the pool's worker over and over on purpose). N times: inject hang{block-loop} into the ready worker
// through the admin API, then time FaultInjected → PingFailed (detection) and → WorkerReady of the replacement.
// The §6 goal it reports: detected within pingInterval + pingResponseTime (+ a few ms).
//
// The pause before each injection is spread over one ping interval (a golden-ratio sequence: deterministic, no
// seed needed), so the samples cover every phase of the ping timer instead of always hitting the same one.
import path from 'node:path';
import { writeResultJson } from './bench-env';
import { sleep } from './managed-process';
import { onlyUsedWorkersReady, startW3, stopW3, waitForReadyWorker, type W3Server } from './servers';
import { formatTable } from './table';
import { summarizeTimings, timingRow, timingTableHeaders, type TimingSummary } from './timings';
import { followW3Events, waitForReplacement, type EventFollower } from './w3-events';
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
    const injected = await events.waitFor((e) => e.type === 'FaultInjected' && e['workerId'] === worker.id && e.t >= t0, DETECTION_TIMEOUT_MS);
    sample.faultEventMs = injected.t - t0;
    const failed = await events.waitFor((e) => e.type === 'PingFailed' && e['pid'] === worker.pid && e.t >= t0, DETECTION_TIMEOUT_MS);
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

export const hangDetectionSection: BenchSection = {
  name: 'hang-detection',
  description: `hung worker (block-loop) → PingFailed and → replacement ready, ping ${PING_INTERVAL_MS}/${PING_RESPONSE_TIME_MS} ms`,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.repeats;
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const problems: string[] = [];
    const samples: HangSample[] = [];
    let w3: W3Server | undefined;
    let events: EventFollower | undefined;
    let w3Stop: unknown = null;
    try {
      ctx.progress(`hang-detection: starting w3 (fault injection on, ping ${PING_INTERVAL_MS} ms / ${PING_RESPONSE_TIME_MS} ms) ...`);
      w3 = await startW3({
        registry: ctx.processes,
        bin: ctx.params.w3Bin,
        app,
        maxProcesses: 1,
        pool: POOL,
        faultToken: FAULT_TOKEN,
        processModel: { pingingEnabled: true, pingInterval: `${PING_INTERVAL_MS}ms`, pingResponseTime: `${PING_RESPONSE_TIME_MS}ms` },
        poolSettings: { failure: { rapidFailProtection: false } },
      });
      events = followW3Events(w3.admin, Date.now() - 60_000);
      const hungPids: number[] = [];
      for (let i = 1; i <= n; i++) {
        const s = await oneHang(i, w3, events, hungPids);
        samples.push(s);
        ctx.progress(
          `  hang ${i}/${n}: PingFailed after ${s.detectionMs ?? '-'} ms, replacement ready after ${s.replacementReadyMs ?? '-'} ms` +
            (s.error ? ` (${s.error.split('\n')[0]})` : ''),
        );
        // Without a ready worker there is nothing left to hang: stop instead of timing out N times.
        const exhausted = await onlyUsedWorkersReady(w3, POOL, hungPids);
        if (s.error && s.newPid === null && exhausted) break;
      }
    } finally {
      w3Stop = await stopW3(w3, events);
    }

    const failedSamples = samples.filter((s) => s.error);
    if (failedSamples.length > 0) problems.push(`hang-detection: ${failedSamples.length}/${samples.length} iterations incomplete: ${failedSamples[0]!.error!.split('\n')[0]}`);
    if (samples.length < n) problems.push(`hang-detection: only ${samples.length}/${n} iterations ran`);
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
    const interesting = new Set(['FaultInjected', 'PingFailed', 'WorkerKilled', 'WorkerExited', 'WorkerCrashed', 'WorkerStarting', 'WorkerReady', 'RapidFailCount', 'PoolStopped']);
    const firstT0 = samples.find((s) => s.t0 > 0)?.t0 ?? 0;

    const file = writeResultJson(ctx.outDir, 'hang-detection.json', {
      section: 'hang-detection',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
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
      definitions: {
        detectionMs:
          'FaultInjected.t → PingFailed.t (server event timestamps; FaultInjected is emitted just before the fault is sent ' +
          'to the worker, whose loop blocks right after acknowledging it, so this is the upper bound)',
        detectionFromAckMs: 'admin POST answered (the worker had acknowledged the fault) → PingFailed.t: the lower bound',
        replacementReadyMs: 'FaultInjected.t → WorkerReady.t of the replacement worker',
        replacementStartupMs: 'WorkerReady.startupMs of the replacement (its spawn → ready)',
        adminAckMs: 'admin POST sent → answered (the worker acknowledged the fault)',
      },
      summary,
      goal,
      hangs: samples,
      events: (events?.events ?? []).filter((e) => interesting.has(e.type) && e.t >= firstT0 - 1),
      w3Stop,
    });

    const lines = [
      `hang-detection — ${samples.length}/${n} hangs (block-loop) of 1 w3 worker, pingInterval ${PING_INTERVAL_MS} ms + pingResponseTime ${PING_RESPONSE_TIME_MS} ms = ${BOUND_MS} ms; ` +
        `${meta.machine.cores} cores, load ${meta.machine.loadavg.join(' ')}`,
      ...formatTable(
        timingTableHeaders('metric (ms)'),
        [
          timingRow('fault injected → PingFailed', det),
          timingRow('  fault acknowledged → PingFailed', summary['detectionFromAckMs']!),
          timingRow('fault injected → replacement WorkerReady', summary['replacementReadyMs']!),
          timingRow('replacement startupMs (spawn → ready)', summary['replacementStartupMs']!),
        ],
      ),
      '',
      `detection vs bound ${BOUND_MS} ms (+${SLACK_MS}): median ${det.median ?? '-'} ms, max ${det.max ?? '-'} ms, ` +
        `${goal.withinBound}/${samples.length} within; goal ${goal.met === null ? 'unknown' : goal.met ? 'met' : 'NOT met'}`,
    ];
    return { files: [file], lines, problems };
  },
};

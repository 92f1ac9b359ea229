// Section "recycle": the cost of w3's overlapped recycle under light keep-alive load. w3 runs one AlwaysRunning
// worker (hello); autocannon keeps 10 connections busy in the background while a pid probe (own keep-alive loops)
// records which worker answered; N back-to-back admin recycles each wait for their RecycleCompleted. Per recycle:
// (i) recycle requested → first response served by the new worker, (ii) recycle requested → old worker exited.
// Failed requests during the recycles must be 0 (DESIGN §6); whatever is seen is recorded, not hidden.
import path from 'node:path';
import { runAutocannon, type AutocannonSummary } from '../workloads/autocannon-load';
import { summarize, type Summary } from '../results/stats';
import { writeResultJson } from './bench-env';
import { sleep } from './managed-process';
import { startPidProbe, type PidProbe } from './pid-probe';
import { startW3, stopW3, type W3Server } from './servers';
import { formatTable } from './table';
import { followW3Events, numberOrNull, type EventFollower, type W3StreamEvent } from './w3-events';
import type { BenchContext, BenchSection, SectionReport } from './section';

const BACKGROUND_CONNECTIONS = 10;
const PROBE_LOOPS = 2;
/** Generous per-recycle bounds: a recycle that takes longer is recorded as a failure, not waited for. */
const RECYCLE_TIMEOUT_MS = 30_000;
const FIRST_RESPONSE_TIMEOUT_MS = 5_000;
const SHUTDOWN_TIME_LIMIT = '20s';

export interface RecycleSample {
  i: number;
  recycleId: number | null;
  oldPid: number | null;
  newPid: number | null;
  /** Epoch ms just before the admin POST. */
  t0: number;
  /** POST answered. */
  adminAckMs: number | null;
  /** (i) first probe response from newPid, relative to t0. */
  firstNewWorkerResponseMs: number | null;
  /** (ii) WorkerExited(oldPid).t − t0 (client clock = server clock, same machine). */
  oldWorkerExitMs: number | null;
  /** The server's own numbers from RecycleCompleted (relative to its RecycleStarted). */
  server: { readyMs: number | null; oldExitMs: number | null; durationMs: number | null };
  error?: string;
}

async function oneRecycle(i: number, w3: W3Server, events: EventFollower, probe: PidProbe): Promise<RecycleSample> {
  const t0 = Date.now();
  const sample: RecycleSample = {
    i,
    recycleId: null,
    oldPid: null,
    newPid: null,
    t0,
    adminAckMs: null,
    firstNewWorkerResponseMs: null,
    oldWorkerExitMs: null,
    server: { readyMs: null, oldExitMs: null, durationMs: null },
  };
  try {
    const ack = await w3.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
    sample.adminAckMs = Date.now() - t0;
    const id = ack.recycleIds[0];
    if (id === undefined) throw new Error(`recycle answered no recycleId: ${JSON.stringify(ack)}`);
    sample.recycleId = id;
    const done = await events.waitFor((e) => e.type === 'RecycleCompleted' && e['recycleId'] === id, RECYCLE_TIMEOUT_MS);
    sample.oldPid = numberOrNull(done['oldPid']);
    sample.newPid = numberOrNull(done['newPid']);
    sample.server = { readyMs: numberOrNull(done['readyMs']), oldExitMs: numberOrNull(done['oldExitMs']), durationMs: numberOrNull(done['durationMs']) };
    if (sample.newPid !== null) {
      const first = await probe.firstFrom(sample.newPid, t0, FIRST_RESPONSE_TIMEOUT_MS);
      if (first) sample.firstNewWorkerResponseMs = first.t - t0;
    }
    if (sample.oldPid !== null) {
      const oldPid = sample.oldPid;
      const gone = (e: W3StreamEvent): boolean =>
        (e.type === 'WorkerExited' || e.type === 'WorkerKilled' || e.type === 'WorkerCrashed') && e['pid'] === oldPid;
      const exited = await events.waitFor(gone, FIRST_RESPONSE_TIMEOUT_MS).catch(() => undefined);
      if (exited) sample.oldWorkerExitMs = exited.t - t0;
    }
    if (sample.newPid === null || sample.firstNewWorkerResponseMs === null) sample.error = 'no response from the new worker seen';
  } catch (err) {
    sample.error = err instanceof Error ? err.message : String(err);
  }
  return sample;
}

/** Median time between consecutive probe responses: the resolution of metric (i). */
function medianGap(times: number[]): number | null {
  const sorted = [...times].sort((a, b) => a - b);
  return summarize(sorted.slice(1).map((t, i) => t - sorted[i]!)).p50;
}

function medianMax(values: (number | null)[]): Summary & { median: number | null } {
  const s = summarize(values.filter((v): v is number => v !== null));
  return { ...s, median: s.p50 };
}

export const recycleCostSection: BenchSection = {
  name: 'recycle',
  description: 'overlapped recycle cost under light keep-alive load (20 back-to-back admin recycles)',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.recycles;
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const problems: string[] = [];
    // Background load is bounded on its own and aborted as soon as the recycles are done.
    const backgroundCapMs = Math.min(600_000, 10_000 + n * (RECYCLE_TIMEOUT_MS + FIRST_RESPONSE_TIMEOUT_MS * 2));
    const abort = new AbortController();
    let w3: W3Server | undefined;
    let events: EventFollower | undefined;
    let probe: PidProbe | undefined;
    let background: Promise<AutocannonSummary | Error> | undefined;
    let bg: AutocannonSummary | Error | undefined;
    const samples: RecycleSample[] = [];
    let windowStart = 0;
    let windowEnd = 0;
    let w3Stop: unknown = null;
    try {
      ctx.progress(`recycle: starting w3 (1 worker) and light load (${BACKGROUND_CONNECTIONS} connections + ${PROBE_LOOPS} probe loops) ...`);
      w3 = await startW3({ registry: ctx.processes, bin: ctx.params.w3Bin, app, maxProcesses: 1, processModel: { shutdownTimeLimit: SHUTDOWN_TIME_LIMIT } });
      events = followW3Events(w3.admin, Date.now() - 60_000);
      background = runAutocannon({ url: w3.url, connections: BACKGROUND_CONNECTIONS, durationMs: backgroundCapMs, signal: abort.signal }).catch(
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      probe = startPidProbe({ url: w3.url, loops: PROBE_LOOPS, maxDurationMs: backgroundCapMs });
      await sleep(1000); // connections open and JIT warm before the first recycle
      windowStart = Date.now();
      for (let i = 1; i <= n; i++) {
        const s = await oneRecycle(i, w3, events, probe);
        samples.push(s);
        ctx.progress(
          `  recycle ${i}/${n}: new worker answering after ${s.firstNewWorkerResponseMs ?? '-'} ms, old exited after ${s.oldWorkerExitMs ?? '-'} ms` +
            (s.error ? ` (${s.error})` : ''),
        );
        if (s.error && s.recycleId === null) break; // the admin API itself failed: no point in going on
      }
      await sleep(500); // let in-flight requests of the last recycle finish inside the window
      windowEnd = Date.now();
    } finally {
      abort.abort();
      const probeStop = probe?.stop();
      bg = await background;
      await probeStop;
      w3Stop = await stopW3(w3, events);
      ctx.progress(`recycle: stopped (background load: ${bg instanceof Error ? bg.message : `${bg?.summary.requests ?? 0} responses`})`);
    }

    const probeSamples = probe?.samples ?? [];
    const probeFailed = probeSamples.filter((x) => x.error !== undefined);
    const probeNon200 = probeSamples.filter((x) => x.error === undefined && x.status !== 200);
    const acSummary = bg && !(bg instanceof Error) ? bg.summary : null;
    const failures = {
      probeErrors: probeFailed.length,
      probeNon200: probeNon200.length,
      probeSocketsClosedByServer: probe?.socketsClosedByServer() ?? null,
      probeSocketsOpened: probe?.socketsOpened() ?? null,
      autocannonErrors: acSummary?.errors ?? null,
      autocannonTimeouts: acSummary?.timeouts ?? null,
      autocannonNon2xx: acSummary?.non2xx ?? null,
      recyclesWithError: samples.filter((s) => s.error).length,
    };
    const failedRequests = failures.probeErrors + failures.probeNon200 + (failures.autocannonErrors ?? 0) + (failures.autocannonNon2xx ?? 0);
    if (failedRequests > 0) problems.push(`recycle: ${failedRequests} failed requests during the recycles (goal 0)`);
    if ((failures.probeSocketsClosedByServer ?? 0) > 0) problems.push(`recycle: ${failures.probeSocketsClosedByServer} probe connections closed by the server (goal 0)`);
    if (failures.recyclesWithError > 0) problems.push(`recycle: ${failures.recyclesWithError} recycles did not complete cleanly`);
    if (bg instanceof Error) problems.push(`recycle: background load failed: ${bg.message}`);

    const summary = {
      firstNewWorkerResponseMs: medianMax(samples.map((s) => s.firstNewWorkerResponseMs)),
      oldWorkerExitMs: medianMax(samples.map((s) => s.oldWorkerExitMs)),
      serverReadyMs: medianMax(samples.map((s) => s.server.readyMs)),
      serverOldExitMs: medianMax(samples.map((s) => s.server.oldExitMs)),
      serverDurationMs: medianMax(samples.map((s) => s.server.durationMs)),
    };
    const interesting = new Set(['RecycleStarted', 'WorkerReady', 'RecycleCompleted', 'WorkerExited', 'WorkerKilled', 'WorkerCrashed', 'RecycleOverlapFailed', 'RequestRetried', 'RequestAbandoned', 'ShutdownTimeout']);
    const windowEvents = (events?.events ?? []).filter((e) => interesting.has(e.type) && e.t >= windowStart - 1 && e.t <= (windowEnd || Date.now()));
    const countOf = (type: string): number => windowEvents.filter((e) => e.type === type).length;

    const file = writeResultJson(ctx.outDir, 'recycle.json', {
      section: 'recycle',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
      parameters: {
        recycles: n,
        backgroundLoad: { tool: 'autocannon', connections: BACKGROUND_CONNECTIONS, capMs: backgroundCapMs },
        pidProbe: { loops: PROBE_LOOPS, keepAlive: true },
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning', shutdownTimeLimit: SHUTDOWN_TIME_LIMIT, overlapped: true },
        timeoutsMs: { recycle: RECYCLE_TIMEOUT_MS, firstResponse: FIRST_RESPONSE_TIMEOUT_MS },
      },
      definitions: {
        firstNewWorkerResponseMs: 'admin recycle POST sent → end of the first probe response carrying X-W3-Worker-Pid = new pid',
        oldWorkerExitMs: 'admin recycle POST sent → WorkerExited(old pid).t from the admin event stream',
        serverReadyMs: 'RecycleCompleted.readyMs (server: RecycleStarted → replacement ready)',
        serverOldExitMs: 'RecycleCompleted.oldExitMs (server: RecycleStarted → old worker exited)',
      },
      summary,
      failures: { failedRequests, ...failures, probeFailureSamples: [...probeFailed, ...probeNon200].slice(0, 50) },
      eventCounts: Object.fromEntries([...interesting].map((t) => [t, countOf(t)])),
      window: { start: windowStart, end: windowEnd, durationMs: windowEnd - windowStart },
      probe: { requests: probeSamples.length, medianGapMs: medianGap(probeSamples.map((x) => x.t)), pidsSeen: new Set(probeSamples.map((x) => x.pid).filter((p) => p !== undefined)).size },
      backgroundLoad: bg instanceof Error ? { error: bg.message } : { summary: bg?.summary ?? null, raw: bg?.raw ?? null },
      w3Stop,
      recycles: samples,
      events: windowEvents,
    });

    const row = (name: string, s: Summary & { median: number | null }): (string | number | null)[] => [name, s.median, s.max, s.n];
    const lines = [
      `recycle — ${samples.length}/${n} back-to-back overlapped recycles of 1 w3 worker under ${BACKGROUND_CONNECTIONS} autocannon connections + ${PROBE_LOOPS} probe loops`,
      ...formatTable(
        ['metric (ms from recycle request)', 'median', 'max', 'n'],
        [
          row('(i) first response from the new worker', summary.firstNewWorkerResponseMs),
          row('(ii) old worker exited (WorkerExited)', summary.oldWorkerExitMs),
          row('server: replacement ready (readyMs)', summary.serverReadyMs),
          row('server: old worker exited (oldExitMs)', summary.serverOldExitMs),
        ],
      ),
      '',
      `failed requests during recycles: ${failedRequests} (probe errors ${failures.probeErrors}, probe non-200 ${failures.probeNon200}, ` +
        `autocannon errors ${failures.autocannonErrors ?? '-'}, non2xx ${failures.autocannonNon2xx ?? '-'}); ` +
        `probe connections closed by server: ${failures.probeSocketsClosedByServer ?? '-'}; ` +
        `responses: probe ${probeSamples.length} (one every ~${medianGap(probeSamples.map((x) => x.t)) ?? '-'} ms), autocannon ${acSummary?.requests ?? '-'}`,
    ];
    return { files: [file], lines, problems };
  },
};

// Section "recycle": the cost of w3's overlapped recycle under light keep-alive load. w3 runs one AlwaysRunning
// worker (hello); autocannon keeps 10 connections busy in the background while a pid probe (own keep-alive loops)
// records which worker answered; N back-to-back admin recycles each wait for their RecycleCompleted. Per recycle:
// (i) recycle requested → first response served by the new worker, (ii) recycle requested → old worker exited.
// Failed requests during the recycles must be 0 (an overlapped recycle is meant to be invisible to clients);
// whatever is seen is recorded, not hidden.
import { runAutocannon, type AutocannonSummary } from '../workloads/autocannon-load';
import { summarize, type Summary } from '../results/stats';
import { writeResultJson, type RunMeta } from './bench-env';
import { sleep, type StopReport } from './managed-process';
import { startPidProbe, type PidProbe } from './pid-probe';
import type { W3Server } from './servers';
import { benchApp, repeatSamples, resultHead, withW3Events } from './section-kit';
import { formatTable } from './table';
import { numberOrNull, type EventFollower, type W3StreamEvent } from './w3-events';
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
    const done = await events.waitFor(
      (e) => e.type === 'RecycleCompleted' && e['recycleId'] === id,
      RECYCLE_TIMEOUT_MS,
    );
    sample.oldPid = numberOrNull(done['oldPid']);
    sample.newPid = numberOrNull(done['newPid']);
    sample.server = {
      readyMs: numberOrNull(done['readyMs']),
      oldExitMs: numberOrNull(done['oldExitMs']),
      durationMs: numberOrNull(done['durationMs']),
    };
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
    if (sample.newPid === null || sample.firstNewWorkerResponseMs === null)
      sample.error = 'no response from the new worker seen';
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

type Background = AutocannonSummary | Error | undefined;

interface RecycleMeasured {
  samples: RecycleSample[];
  probe: PidProbe | undefined;
  background: Background;
  backgroundCapMs: number;
  window: { start: number; end: number };
  events: W3StreamEvent[];
  w3Stop: StopReport | null;
}

/**
 * The recycles, under background load and the pid probe. Both are bounded on their own and stopped as soon as the
 * recycles are done (or failed), before w3 is stopped.
 */
async function measureRecycles(ctx: BenchContext, app: string, n: number): Promise<RecycleMeasured> {
  const backgroundCapMs = Math.min(600_000, 10_000 + n * (RECYCLE_TIMEOUT_MS + FIRST_RESPONSE_TIMEOUT_MS * 2));
  let probe: PidProbe | undefined;
  let bg: Background;
  const window = { start: 0, end: 0 };
  ctx.progress(
    `recycle: starting w3 (1 worker) and light load (${BACKGROUND_CONNECTIONS} connections + ` +
      `${PROBE_LOOPS} probe loops) ...`,
  );
  const w3Options = { app, maxProcesses: 1, processModel: { shutdownTimeLimit: SHUTDOWN_TIME_LIMIT } };
  const underLoad = async (w3: W3Server, events: EventFollower): Promise<RecycleSample[]> => {
    const abort = new AbortController();
    let background: Promise<Background> | undefined;
    try {
      const load = {
        url: w3.url,
        connections: BACKGROUND_CONNECTIONS,
        durationMs: backgroundCapMs,
        signal: abort.signal,
      };
      background = runAutocannon(load).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      const p = (probe = startPidProbe({ url: w3.url, loops: PROBE_LOOPS, maxDurationMs: backgroundCapMs }));
      await sleep(1000); // connections open and JIT warm before the first recycle
      window.start = Date.now();
      const samples = await repeatSamples(
        n,
        (i) => oneRecycle(i, w3, events, p),
        async (s, i) => {
          ctx.progress(
            `  recycle ${i}/${n}: new worker answering after ${s.firstNewWorkerResponseMs ?? '-'} ms, ` +
              `old exited after ${s.oldWorkerExitMs ?? '-'} ms` +
              (s.error ? ` (${s.error})` : ''),
          );
          return s.error !== undefined && s.recycleId === null; // the admin API itself failed: no point in going on
        },
      );
      await sleep(500); // let in-flight requests of the last recycle finish inside the window
      window.end = Date.now();
      return samples;
    } finally {
      abort.abort();
      const probeStop = probe?.stop();
      bg = await background;
      await probeStop;
    }
  };
  try {
    const out = await withW3Events(ctx, w3Options, underLoad);
    return {
      samples: out.value,
      probe,
      background: bg,
      backgroundCapMs,
      window,
      events: out.events,
      w3Stop: out.w3Stop,
    };
  } finally {
    const served = bg instanceof Error ? bg.message : `${bg?.summary.requests ?? 0} responses`;
    ctx.progress(`recycle: stopped (background load: ${served})`);
  }
}

/** What failed during the recycles: requests of both load sources, server-closed probe sockets, recycles. */
function recycleFailures(m: RecycleMeasured) {
  const probeSamples = m.probe?.samples ?? [];
  const probeFailed = probeSamples.filter((x) => x.error !== undefined);
  const probeNon200 = probeSamples.filter((x) => x.error === undefined && x.status !== 200);
  const acSummary = m.background && !(m.background instanceof Error) ? m.background.summary : null;
  const failures = {
    probeErrors: probeFailed.length,
    probeNon200: probeNon200.length,
    probeSocketsClosedByServer: m.probe?.socketsClosedByServer() ?? null,
    probeSocketsOpened: m.probe?.socketsOpened() ?? null,
    autocannonErrors: acSummary?.errors ?? null,
    autocannonTimeouts: acSummary?.timeouts ?? null,
    autocannonNon2xx: acSummary?.non2xx ?? null,
    recyclesWithError: m.samples.filter((s) => s.error).length,
  };
  const failedRequests =
    failures.probeErrors + failures.probeNon200 + (failures.autocannonErrors ?? 0) + (failures.autocannonNon2xx ?? 0);
  return { failures, failedRequests, probeFailureSamples: [...probeFailed, ...probeNon200].slice(0, 50), acSummary };
}

function recycleProblems(f: ReturnType<typeof recycleFailures>, background: Background): string[] {
  const problems: string[] = [];
  if (f.failedRequests > 0) problems.push(`recycle: ${f.failedRequests} failed requests during the recycles (goal 0)`);
  const closed = f.failures.probeSocketsClosedByServer ?? 0;
  if (closed > 0) problems.push(`recycle: ${closed} probe connections closed by the server (goal 0)`);
  const withError = f.failures.recyclesWithError;
  if (withError > 0) problems.push(`recycle: ${withError} recycles did not complete cleanly`);
  if (background instanceof Error) problems.push(`recycle: background load failed: ${background.message}`);
  return problems;
}

function summarizeRecycles(samples: readonly RecycleSample[]) {
  return {
    firstNewWorkerResponseMs: medianMax(samples.map((s) => s.firstNewWorkerResponseMs)),
    oldWorkerExitMs: medianMax(samples.map((s) => s.oldWorkerExitMs)),
    serverReadyMs: medianMax(samples.map((s) => s.server.readyMs)),
    serverOldExitMs: medianMax(samples.map((s) => s.server.oldExitMs)),
    serverDurationMs: medianMax(samples.map((s) => s.server.durationMs)),
  };
}

const INTERESTING_EVENTS = [
  'RecycleStarted',
  'WorkerReady',
  'RecycleCompleted',
  'WorkerExited',
  'WorkerKilled',
  'WorkerCrashed',
  'RecycleOverlapFailed',
  'RequestRetried',
  'RequestAbandoned',
  'ShutdownTimeout',
];

const DEFINITIONS = {
  firstNewWorkerResponseMs:
    'admin recycle POST sent → end of the first probe response carrying X-W3-Worker-Pid = new pid',
  oldWorkerExitMs: 'admin recycle POST sent → WorkerExited(old pid).t from the admin event stream',
  serverReadyMs: 'RecycleCompleted.readyMs (server: RecycleStarted → replacement ready)',
  serverOldExitMs: 'RecycleCompleted.oldExitMs (server: RecycleStarted → old worker exited)',
};

function recycleLines(
  n: number,
  m: RecycleMeasured,
  summary: ReturnType<typeof summarizeRecycles>,
  f: ReturnType<typeof recycleFailures>,
): string[] {
  const row = (name: string, s: Summary & { median: number | null }): (string | number | null)[] => [
    name,
    s.median,
    s.max,
    s.n,
  ];
  const probeSamples = m.probe?.samples ?? [];
  const failures = f.failures;
  return [
    `recycle — ${m.samples.length}/${n} back-to-back overlapped recycles of 1 w3 worker under ` +
      `${BACKGROUND_CONNECTIONS} autocannon connections + ${PROBE_LOOPS} probe loops`,
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
    `failed requests during recycles: ${f.failedRequests} (probe errors ${failures.probeErrors}, ` +
      `probe non-200 ${failures.probeNon200}, ` +
      `autocannon errors ${failures.autocannonErrors ?? '-'}, non2xx ${failures.autocannonNon2xx ?? '-'}); ` +
      `probe connections closed by server: ${failures.probeSocketsClosedByServer ?? '-'}; ` +
      `responses: probe ${probeSamples.length} (one every ~${medianGap(probeSamples.map((x) => x.t)) ?? '-'} ms), ` +
      `autocannon ${f.acSummary?.requests ?? '-'}`,
  ];
}

function recycleResult(ctx: BenchContext, meta: RunMeta, app: string, n: number, m: RecycleMeasured) {
  const f = recycleFailures(m);
  const summary = summarizeRecycles(m.samples);
  const { start, end } = m.window;
  const windowEvents = m.events.filter(
    (e) => INTERESTING_EVENTS.includes(e.type) && e.t >= start - 1 && e.t <= (end || Date.now()),
  );
  const countOf = (type: string): number => windowEvents.filter((e) => e.type === type).length;
  const probeSamples = m.probe?.samples ?? [];
  const bg = m.background;
  const json = {
    ...resultHead(ctx, meta, 'recycle', app),
    parameters: {
      recycles: n,
      backgroundLoad: { tool: 'autocannon', connections: BACKGROUND_CONNECTIONS, capMs: m.backgroundCapMs },
      pidProbe: { loops: PROBE_LOOPS, keepAlive: true },
      w3: { maxProcesses: 1, startMode: 'AlwaysRunning', shutdownTimeLimit: SHUTDOWN_TIME_LIMIT, overlapped: true },
      timeoutsMs: { recycle: RECYCLE_TIMEOUT_MS, firstResponse: FIRST_RESPONSE_TIMEOUT_MS },
    },
    definitions: DEFINITIONS,
    summary,
    failures: { failedRequests: f.failedRequests, ...f.failures, probeFailureSamples: f.probeFailureSamples },
    eventCounts: Object.fromEntries(INTERESTING_EVENTS.map((t) => [t, countOf(t)])),
    window: { start, end, durationMs: end - start },
    probe: {
      requests: probeSamples.length,
      medianGapMs: medianGap(probeSamples.map((x) => x.t)),
      pidsSeen: new Set(probeSamples.map((x) => x.pid).filter((p) => p !== undefined)).size,
    },
    backgroundLoad:
      bg instanceof Error ? { error: bg.message } : { summary: bg?.summary ?? null, raw: bg?.raw ?? null },
    w3Stop: m.w3Stop,
    recycles: m.samples,
    events: windowEvents,
  };
  return { json, lines: recycleLines(n, m, summary, f), problems: recycleProblems(f, bg) };
}

export const recycleCostSection: BenchSection = {
  name: 'recycle',
  description: 'overlapped recycle cost under light keep-alive load (20 back-to-back admin recycles)',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const n = ctx.params.recycles;
    const app = benchApp(ctx, 'hello.js');
    const m = await measureRecycles(ctx, app, n);
    const { json, lines, problems } = recycleResult(ctx, meta, app, n, m);
    return { files: [writeResultJson(ctx.outDir, 'recycle.json', json)], lines, problems };
  },
};

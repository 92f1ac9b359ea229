// Section "cache": listener throughput for a cacheable URL (lab-app /cacheable, Cache-Control: public,
// max-age=60) with w3's response cache on (the default: after frequentHitThreshold requests the listener answers
// with `X-W3-Cache: HIT` and no worker is involved) against the same URL with `cache.enabled: false`. Both w3s (1
// worker each) run side by side and are measured in ABBA order over the rounds, so machine drift hits both alike.
// Before measuring, the cache-on server must show an X-W3-Cache: HIT within a few requests — if it never does the
// section is recorded as skipped with that reason, since the numbers would not be about the cache — and the
// cache-off server must never show one. Worker request counters before/after each run show who served the load.
import { writeResultJson, type RunMeta } from './bench-env';
import { measure, probeOnce, type LoadSettings, type ThroughputMeasurement } from './load';
import { sleep } from './managed-process';
import type { W3Server } from './servers';
import { benchApp, machineLine, resultHead, withW3 } from './section-kit';
import { formatTable, ratio } from './table';
import { medianOf } from './timings';
import type { BenchContext, BenchSection, SectionReport } from './section';

const POOL = 'app';
const CACHEABLE_PATH = '/cacheable';
/** Requests allowed until the first HIT (the default threshold is 2, so the third should be one). */
const HIT_PROBES = 10;
const HIT_PROBE_GAP_MS = 50;

type Variant = 'on' | 'off';
const LABELS: Record<Variant, string> = { on: 'cache on (default)', off: 'cache off (cache.enabled: false)' };

export interface CacheRun {
  round: number;
  variant: Variant;
  measurement: Omit<ThroughputMeasurement, 'label'>;
  /** Requests the pool's workers counted during the run (cache on: ideally ~0). */
  workerRequests: number | null;
  /** Probe right after the run: still served from the cache? */
  hitAfter: boolean | null;
}

export interface HitCheck {
  /** 1-based request number of the first X-W3-Cache: HIT, or null. */
  firstHitAt: number | null;
  statuses: number[];
}

async function checkHits(url: string, probes: number): Promise<HitCheck> {
  const statuses: number[] = [];
  for (let i = 1; i <= probes; i++) {
    const r = await probeOnce(url);
    statuses.push(r.status);
    if (r.headers['x-w3-cache'] === 'HIT') return { firstHitAt: i, statuses };
    await sleep(HIT_PROBE_GAP_MS);
  }
  return { firstHitAt: null, statuses };
}

async function workerRequests(w3: W3Server): Promise<number | null> {
  const pool = (await w3.pools().catch(() => [])).find((p) => p.name === POOL);
  return pool ? pool.workers.reduce((sum, w) => sum + (w.requests ?? 0), 0) : null;
}

/** ABBA over rounds: on/off, off/on, on/off, … */
export function cacheOrder(round: number): Variant[] {
  return round % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
}

interface CacheMeasured {
  hitCheck: { on: HitCheck; off: HitCheck };
  /** Why nothing was measured (the cache-on w3 never answered from its cache), or null. */
  skipped: string | null;
  runs: CacheRun[];
}

/** The hit check on both servers, then the ABBA rounds when the cache-on server really caches. */
async function measureCache(
  ctx: BenchContext,
  servers: Record<Variant, W3Server>,
  s: LoadSettings,
): Promise<CacheMeasured> {
  const { connections, durationS, rounds } = ctx.params;
  const urls: Record<Variant, string> = { on: servers.on.url + CACHEABLE_PATH, off: servers.off.url + CACHEABLE_PATH };
  const hitCheck = { on: await checkHits(urls.on, HIT_PROBES), off: await checkHits(urls.off, HIT_PROBES) };
  const bad = [...hitCheck.on.statuses, ...hitCheck.off.statuses].filter((x) => x !== 200);
  if (bad.length > 0) throw new Error(`GET ${CACHEABLE_PATH} answered ${bad.join(', ')} before the measurement`);
  if (hitCheck.on.firstHitAt === null) {
    const skipped =
      `no X-W3-Cache: HIT from the cache-on w3 after ${HIT_PROBES} requests of ${CACHEABLE_PATH} ` +
      '(response cache not working yet?)';
    return { hitCheck, skipped, runs: [] };
  }
  if (hitCheck.off.firstHitAt !== null) {
    throw new Error(
      `the cache-off w3 answered X-W3-Cache: HIT (request ${hitCheck.off.firstHitAt}): ` +
        'cache.enabled: false is not honoured',
    );
  }
  ctx.progress(
    `  cache-on w3: first HIT at request ${hitCheck.on.firstHitAt}; cache-off w3: no HIT in ${HIT_PROBES} requests`,
  );
  const runs: CacheRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of cacheOrder(round)) {
      ctx.progress(`  round ${round}/${rounds}: ${LABELS[variant]}, ${connections} connections, ${durationS} s ...`);
      runs.push(await measureVariant(round, variant, servers[variant], urls[variant], s));
      const m = runs[runs.length - 1]!.measurement;
      ctx.progress(`  ${Math.round(m.rpsMean)} req/s, p99 ${m.latencyMs.p99} ms`);
    }
  }
  return { hitCheck, skipped: null, runs };
}

/** One run: the load, with the pool's request counter read around it and a cache probe right after. */
async function measureVariant(
  round: number,
  variant: Variant,
  srv: W3Server,
  url: string,
  s: LoadSettings,
): Promise<CacheRun> {
  const before = await workerRequests(srv);
  const { label: _label, ...measurement } = await measure(LABELS[variant], url, s);
  const after = await workerRequests(srv);
  const probe = await probeOnce(url);
  return {
    round,
    variant,
    measurement,
    workerRequests: before === null || after === null ? null : after - before,
    hitAfter: probe.headers['x-w3-cache'] === 'HIT',
  };
}

export function summarizeCache(runs: readonly CacheRun[]) {
  const of = (v: Variant, pick: (r: CacheRun) => number): number | undefined =>
    medianOf(runs.filter((r) => r.variant === v).map(pick));
  const rps = (v: Variant): number | undefined => of(v, (r) => r.measurement.rpsMean);
  const p99 = (v: Variant): number | undefined => of(v, (r) => r.measurement.latencyMs.p99);
  return {
    rpsMedian: { on: rps('on') ?? null, off: rps('off') ?? null },
    p99MsMedian: { on: p99('on') ?? null, off: p99('off') ?? null },
    ratios: { rpsOnOverOff: ratio(rps('on'), rps('off')), p99OnOverOff: ratio(p99('on'), p99('off')) },
  };
}

function cacheLines(
  meta: RunMeta,
  params: BenchContext['params'],
  m: CacheMeasured,
  summary: ReturnType<typeof summarizeCache>,
): string[] {
  if (m.skipped !== null) return [`cache — skipped: ${m.skipped}`];
  const { connections, durationS, warmupS, rounds } = params;
  const show = (x: number | null): string => (x === null ? '-' : String(Math.round(x)));
  return [
    `cache — GET ${CACHEABLE_PATH} (lab-app), ${connections} keep-alive connections, ${durationS} s per run ` +
      `after ${warmupS} s warm-up, ${rounds} round(s) ABBA; ${machineLine(meta)}`,
    ...formatTable(
      ['run', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non2xx', 'worker reqs', 'HIT after'],
      m.runs.map((r) => [
        `${r.round}: ${LABELS[r.variant]}`,
        Math.round(r.measurement.rpsMean),
        r.measurement.latencyMs.p50,
        r.measurement.latencyMs.p99,
        r.measurement.latencyMs.max,
        r.measurement.errors,
        r.measurement.non2xx,
        r.workerRequests,
        r.hitAfter === null ? null : r.hitAfter ? 'yes' : 'no',
      ]),
    ),
    '',
    `medians: on ${show(summary.rpsMedian.on)} req/s p99 ${summary.p99MsMedian.on ?? '-'} ms, ` +
      `off ${show(summary.rpsMedian.off)} req/s p99 ${summary.p99MsMedian.off ?? '-'} ms; ` +
      `ratio on/off req/s ${summary.ratios.rpsOnOverOff ?? '-'}, p99 ${summary.ratios.p99OnOverOff ?? '-'}`,
  ];
}

export const cacheSection: BenchSection = {
  name: 'cache',
  description: 'listener throughput for a cacheable URL (lab-app /cacheable): response cache on vs off',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const { connections, durationS, warmupS, rounds } = ctx.params;
    const s: LoadSettings = { connections, durationS, warmupS };
    const app = benchApp(ctx, 'lab-app.js');
    ctx.progress('cache: starting two w3s (1 worker, lab-app): cache on and cache off ...');
    const w3 = { app, maxProcesses: 1, pool: POOL };
    const cacheOff = { ...w3, hostSettings: { cache: { enabled: false } } };
    const on = await withW3(ctx, w3, (onW3) =>
      withW3(ctx, cacheOff, (offW3) => measureCache(ctx, { on: onW3, off: offW3 }, s)),
    );
    const m = on.value.value;
    const problems: string[] = [];
    for (const r of m.runs) {
      const x = r.measurement;
      if (x.errors > 0 || x.non2xx > 0) {
        problems.push(`cache ${r.variant} round ${r.round}: ${x.errors} errors, ${x.non2xx} non-2xx`);
      }
    }
    const summary = summarizeCache(m.runs);
    const file = writeResultJson(ctx.outDir, 'cache.json', {
      ...resultHead(ctx, meta, 'cache', app),
      status: m.skipped === null ? 'measured' : 'skipped',
      ...(m.skipped === null ? {} : { reason: m.skipped }),
      parameters: {
        path: CACHEABLE_PATH,
        connections,
        durationS,
        warmupS,
        rounds,
        order: 'ABBA over rounds (on/off, off/on, ...)',
        w3: {
          maxProcesses: 1,
          startMode: 'AlwaysRunning',
          cacheOn: 'default cache settings',
          cacheOff: { cache: { enabled: false } },
        },
      },
      note: 'autocannon runs in the bench process on the same machine and takes CPU from the servers under test.',
      hitCheck: m.hitCheck,
      summary,
      runs: m.runs,
      w3Stop: { on: on.w3Stop, off: on.value.w3Stop },
    });
    return { files: [file], lines: cacheLines(meta, ctx.params, m, summary), problems };
  },
};

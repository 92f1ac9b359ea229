// runScenario driven in-process: a fake target registered through the target interface (harness/targets/types.ts)
// and the two load clients replaced by fakes that record what they were asked and emit a few request records. No
// server, process or socket: what is checked is the run's own work — run.json before and after, the marks and files,
// the options each phase and the target get, the verdict and status of a run that failed, was interrupted or whose
// fault step failed, the target always stopped (killed when a stop fails), and the exit handler that kills what a
// dying harness leaves. The real thing end to end: fault-evidence-run.test.ts and the suite tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { labEvent, type LabEvent } from '../events';
import type { HistoryRecord, MarkRecord, RequestRecord } from '../history/types';
import { registerTarget } from '../targets/registry';
import type { Capability } from '../targets/capabilities';
import type { StartedTarget, TargetContext, WorkerInfo } from '../targets/types';
import { parseScenario } from '../scenarios/load-scenario';
import { runOwner } from '../results/run-status';
import { runTrackedClient, type TrackedClientSummary } from '../workloads/tracked-client';
import { runAutocannon, type AutocannonSummary } from '../workloads/autocannon-load';
import { writeRunReports } from '../report/commands';
import { PreflightError } from './preflight';
import { targetSettings } from './target-settings';
import { runScenario, type RunOptions } from './run-scenario';

jest.mock('../workloads/tracked-client', () => ({ runTrackedClient: jest.fn() }));
jest.mock('../workloads/autocannon-load', () => ({ runAutocannon: jest.fn() }));
jest.mock('../report/commands', () => ({ writeRunReports: jest.fn() }));
// `git rev-parse` is a child process: the commit is given instead.
jest.mock('../results/store', () => ({ ...jest.requireActual('../results/store'), gitSha: () => 'c0ffee' }));
const tracked = runTrackedClient as jest.MockedFunction<typeof runTrackedClient>;
const autocannon = runAutocannon as jest.MockedFunction<typeof runAutocannon>;
const reports = writeRunReports as jest.MockedFunction<typeof writeRunReports>;

const TARGET = 'lab-fake-run';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-run-scenario-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const FILE = path.join(dir, 'scenarios', 'fake-run.yaml');

/** What the fake target does this test: its setup, and what it says it can do. */
let setup: (ctx: TargetContext) => Promise<StartedTarget>;
let capabilities: (() => readonly Capability[]) | undefined;
registerTarget(TARGET, () => ({
  name: TARGET,
  ...(capabilities ? { capabilities } : {}),
  setup: (ctx) => setup(ctx),
}));

let events: LabEvent[] = [];
const killed = { signal: 'SIGKILL', exitCode: null, duringStartup: false };
type Fake = StartedTarget & { stop: jest.Mock; kill: jest.Mock };
const fakeStarted = (over: Partial<StartedTarget> = {}): Fake =>
  ({
    name: TARGET,
    endpoint: { host: '127.0.0.1', port: 9, url: 'http://127.0.0.1:9' },
    events: () => events,
    stop: jest.fn(async () => undefined),
    kill: jest.fn(async () => undefined),
    ...over,
  }) as Fake;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
const request = (id: number, phase: string | undefined, status = 200): RequestRecord => ({
  kind: 'request',
  t: Date.now(),
  id,
  conn: 1,
  method: 'GET',
  path: '/',
  outcome: status < 500 ? 'ok' : 'fail',
  status,
  latencyMs: 1,
  ...(phase ? { phase } : {}),
});
/** The default phase: three answered requests, then it lasts its duration (or until the run is interrupted). */
const threeRequests = async (o: Parameters<typeof runTrackedClient>[0]): Promise<TrackedClientSummary> => {
  for (let i = 1; i <= 3; i++) o.onRecord(request(i, o.phase));
  await sleep(o.durationMs, o.signal);
  return { fake: `summary of ${o.phase}` } as unknown as TrackedClientSummary;
};

const logged: Record<string, unknown>[] = [];
const log = pino(
  { level: 'debug' },
  { write: (s: string) => void logged.push(JSON.parse(s) as Record<string, unknown>) },
);

const scenario = (over: Record<string, unknown> = {}) =>
  parseScenario(
    {
      name: 'fake-run',
      target: 'no-such-target', // the run's target is given; a mutant that takes this one fails preflight
      workload: [{ name: 'load', duration: 120 }],
      settle: 0,
      expect: [{ check: 'noFailedRequests', options: { minRequests: 2 } }],
      ...over,
    },
    FILE,
  );
let outCount = 0;
const run = (over: Partial<RunOptions> = {}) =>
  runScenario({
    scenario: scenario(),
    scenarioFile: FILE,
    target: TARGET,
    outDir: path.join(dir, `out-${++outCount}`),
    log,
    ...over,
  });

const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const history = (runDir: string): HistoryRecord[] =>
  fs
    .readFileSync(path.join(runDir, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryRecord);
const marks = (runDir: string): MarkRecord[] => history(runDir).filter((r): r is MarkRecord => r.kind === 'mark');
const markNames = (runDir: string): string[] =>
  marks(runDir).map((m) => (typeof m['phase'] === 'string' ? `${m.name}:${m['phase']}` : m.name));
/**
 * The rate is over the workload: from its start to its end (marks written right after each was taken). 20 ms of
 * slack for a loaded machine; the settle time and a slow setup (150 and 100 ms in the settle test) are outside.
 */
function expectRateOverWorkload(runDir: string, rps: number): void {
  const t = (name: string): number => marks(runDir).find((m) => m.name === name)!.t;
  const span = t('workload-end') - t('workload-start');
  const requests = history(runDir).filter((h) => h.kind === 'request').length;
  expect(rps).toBeGreaterThanOrEqual(Math.floor((requests / (span + 20)) * 1000));
  expect(rps).toBeLessThanOrEqual(Math.ceil((requests / Math.max(1, span - 20)) * 1000));
}
const exitListeners = (): ((...a: unknown[]) => void)[] => process.listeners('exit') as never;

beforeEach(() => {
  events = [];
  logged.length = 0;
  capabilities = undefined;
  setup = async () => fakeStarted();
  tracked.mockReset().mockImplementation(threeRequests);
  autocannon.mockReset();
  reports.mockReset();
});

test('a run end to end: run.json first, the target set up as the scenario says, phases, marks, files', async () => {
  const sc = scenario({
    description: 'the whole path',
    seed: 7,
    config: { applications: [{ name: 'a', module: './a.js' }] },
    targets: { [TARGET]: { knob: 'on' } },
    workload: [
      { name: 'load', duration: 150, connections: 3, rate: 40, timeout: 2100, requests: [{ path: '/a' }] },
      {
        name: 'bulk',
        client: 'autocannon',
        start: 60,
        duration: 80,
        connections: 2,
        timeout: 2100,
        requests: [{ method: 'POST', path: '/b', headers: { h: '1' }, body: 'x' }],
      },
    ],
  });
  let ctx: TargetContext | undefined;
  let runJsonAtSetup: Record<string, unknown> | undefined;
  let runJsonDuringLoad: Record<string, unknown> | undefined;
  const stop = jest.fn(async () => undefined);
  const kill = jest.fn(async () => undefined);
  const started = fakeStarted({ pid: 4242, runtimeDetails: { runtime: 'process', where: 'here' }, stop, kill });
  setup = async (c) => {
    ctx = c;
    runJsonAtSetup = readJson(path.join(c.runDir, 'run.json'));
    events.push(labEvent('WorkerStarting', { t: Date.now(), source: 'w3', pool: 'app', pid: 4243 }));
    return started;
  };
  tracked.mockImplementation(async (o) => {
    runJsonDuringLoad = readJson(path.join(ctx!.runDir, 'run.json'));
    events.push(labEvent('WorkerCrashed', { t: Date.now(), source: 'w3', pool: 'app', pid: 4243, ...killed }));
    return threeRequests(o);
  });
  autocannon.mockResolvedValue({ fake: 'autocannon result' } as unknown as AutocannonSummary);
  let runJsonAtReports: Record<string, unknown> | undefined;
  reports.mockImplementation((d) => {
    runJsonAtReports = readJson(path.join(d, 'run.json'));
    return { html: '', junit: '' };
  });
  const progress: string[] = [];
  const listenersBefore = exitListeners().length;

  const r = await run({ scenario: sc, onProgress: (m) => progress.push(m) });

  expect(r).toEqual({
    scenario: 'fake-run',
    target: TARGET,
    dir: expect.any(String),
    verdict: expect.objectContaining({ valid: true }),
    checks: [expect.objectContaining({ name: 'noFailedRequests', verdict: expect.objectContaining({ valid: true }) })],
    stats: expect.objectContaining({ requests: 3, ok: 3, crashes: 1 }),
    durationMs: expect.any(Number),
  });
  const runId = `fake-run-${path.basename(r.dir)}`;
  // The target gets the run's identity, folder, runtime, settings, a fresh fault token and a logger of this run.
  expect(ctx).toEqual({
    runId,
    runDir: r.dir,
    runtime: 'process',
    settings: targetSettings(sc, FILE, TARGET),
    faultInjection: { enabled: true, token: expect.stringMatching(/^[0-9a-f]{32}$/) },
    log: expect.anything(),
  });
  expect(ctx!.settings).toEqual({
    config: { applications: [{ name: 'a', module: path.join(dir, 'scenarios', 'a.js') }] },
    knob: 'on',
  });
  expect(ctx!.log.bindings()).toEqual({ runId });
  // run.json exists before the target is set up, says running, and keeps where the target ran once it is up.
  const first = {
    runId,
    scenario: 'fake-run',
    description: 'the whole path',
    target: TARGET,
    runtime: 'process',
    seed: 7,
    startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    status: 'running',
    owner: runOwner(),
    versions: { node: process.version, w3lab: expect.any(String), git: 'c0ffee' },
    scenarioFile: FILE,
    scenarioConfig: JSON.parse(JSON.stringify(sc)),
  };
  expect(runJsonAtSetup).toEqual(first);
  const where = { endpoint: started.endpoint, targetPid: 4242, targetRuntime: { runtime: 'process', where: 'here' } };
  expect(runJsonDuringLoad).toEqual({ ...first, ...where });
  const last = { ...first, ...where, status: 'finished', finishedAt: expect.any(String), valid: true };
  expect(readJson(path.join(r.dir, 'run.json'))).toEqual(last);
  expect(runJsonAtReports).toEqual(last); // the reports are drawn once run.json says finished
  expect(reports).toHaveBeenCalledWith(r.dir);
  // Each phase got what the scenario says.
  expect(tracked.mock.calls).toEqual([
    [
      {
        url: 'http://127.0.0.1:9',
        connections: 3,
        durationMs: 150,
        ratePerSec: 40,
        timeoutMs: 2100,
        requests: [{ method: 'GET', path: '/a' }],
        phase: 'load',
        onRecord: expect.any(Function),
        signal: undefined,
      },
    ],
  ]);
  expect(autocannon.mock.calls).toEqual([
    [
      {
        url: 'http://127.0.0.1:9/b',
        connections: 2,
        durationMs: 80,
        method: 'POST',
        headers: { h: '1' },
        body: 'x',
        timeoutSec: 3,
        signal: undefined,
      },
    ],
  ]);
  expect(readJson(path.join(r.dir, 'workload-load.json'))).toEqual({ fake: 'summary of load' });
  expect(readJson(path.join(r.dir, 'autocannon-bulk.json'))).toEqual({ fake: 'autocannon result' });
  // The marks, in order; the second phase started at its offset.
  expect(markNames(r.dir)).toEqual([
    'workload-start',
    'fault-plan',
    'phase-start:load',
    'phase-start:bulk',
    'phase-end:bulk',
    'phase-end:load',
    'workload-end',
  ]);
  const names = markNames(r.dir);
  const at = (name: string): number => marks(r.dir)[names.indexOf(name)]!.t;
  expect(at('phase-start:bulk') - at('workload-start')).toBeGreaterThanOrEqual(55);
  expect(marks(r.dir)[0]).toEqual({ kind: 'mark', t: expect.any(Number), name: 'workload-start' });
  expectRateOverWorkload(r.dir, r.stats.rps);
  // The run took at least its workload, and it is a duration (not a time of day).
  expect(r.durationMs).toBeGreaterThanOrEqual(at('workload-end') - at('workload-start'));
  expect(r.durationMs).toBeLessThan(60_000);
  // Events streamed into events.jsonl; results.json and summary.md written.
  expect(fs.readFileSync(path.join(r.dir, 'events.jsonl'), 'utf8')).toBe(
    events.map((e) => JSON.stringify(e) + '\n').join(''),
  );
  expect(readJson(path.join(r.dir, 'results.json'))).toEqual(
    JSON.parse(
      JSON.stringify({
        valid: true,
        summary: r.verdict.summary,
        checks: r.checks,
        stats: r.stats,
        faultErrors: [],
        error: null,
      }),
    ),
  );
  expect(fs.readFileSync(path.join(r.dir, 'summary.md'), 'utf8')).toMatch(/^# fake-run — PASS/);
  expect(progress).toEqual([
    `fake-run: starting ${TARGET}`,
    'fake-run: phase load (tracked, 3 connections, 150 ms)',
    'fake-run: phase bulk (autocannon, 2 connections, 80 ms)',
    `fake-run: stopping ${TARGET}`,
  ]);
  expect(stop).toHaveBeenCalledTimes(1);
  expect(kill).not.toHaveBeenCalled();
  expect(exitListeners()).toHaveLength(listenersBefore);
});

test("the scenario's target when none is given; runtime and seed from the options win, else random", async () => {
  let ctx: TargetContext | undefined;
  setup = async (c) => ((ctx = c), fakeStarted({ events: undefined }));
  const r = await runScenario({
    scenario: scenario({ target: TARGET, seed: 7, faultInjection: false }),
    scenarioFile: FILE,
    runtime: 'container',
    seed: 99,
    outDir: path.join(dir, 'own-target'),
    log,
  });
  expect(r.target).toBe(TARGET);
  expect(ctx).toMatchObject({ runtime: 'container', faultInjection: { enabled: false } });
  // A target without runtime details or events: run.json has no targetRuntime, events.jsonl is empty.
  const info = readJson(path.join(r.dir, 'run.json'));
  expect(info).toMatchObject({ target: TARGET, runtime: 'container', seed: 99 });
  expect(info).not.toHaveProperty('targetRuntime');
  expect(fs.readFileSync(path.join(r.dir, 'events.jsonl'), 'utf8')).toBe('');

  const random = await run();
  const seed = readJson(path.join(random.dir, 'run.json'))['seed'];
  expect(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) < 2 ** 31).toBe(true);
});

test('a scenario wrong for the target throws before any folder exists; an unsupported one never starts', async () => {
  const outDir = path.join(dir, 'preflight');
  const sc = scenario({ faults: [{ at: 500, action: 'recycle' }] }); // after the 120 ms workload
  const setupCalls = jest.fn();
  setup = async () => (setupCalls(), fakeStarted());
  await expect(run({ scenario: sc, outDir })).rejects.toBeInstanceOf(PreflightError);
  expect(fs.existsSync(outDir)).toBe(false);

  capabilities = () => [];
  const r = await run({ scenario: scenario({ requires: ['memoryRecycle'] }), outDir });
  expect(r.notSupported).toEqual({ missing: ['memoryRecycle'] });
  expect(setupCalls).not.toHaveBeenCalled();
  expect(tracked).not.toHaveBeenCalled();
});

test('a target that fails to start: run error, verdict unknown with the reason, status error', async () => {
  // A harness that dies while the target is still starting has nothing to kill: its exit handler must not fail.
  const before = exitListeners();
  let exitHandler: unknown = 'not called';
  setup = async () => {
    const added = exitListeners().filter((l) => !before.includes(l));
    try {
      added.forEach((l) => l(0));
      exitHandler = added.length;
    } catch (err) {
      exitHandler = err;
    }
    await sleep(20);
    throw new Error('port busy');
  };
  const r = await run();
  expect(r.error).toBe('port busy');
  expect(r.verdict).toEqual({
    valid: 'unknown',
    summary: 'The run did not complete: port busy',
    details: { error: 'port busy' },
  });
  expect(markNames(r.dir)).toEqual(['run-error']);
  expect(marks(r.dir)[0]).toMatchObject({ error: 'port busy' });
  expect(readJson(path.join(r.dir, 'run.json'))).toMatchObject({ status: 'error', valid: 'unknown' });
  expect(readJson(path.join(r.dir, 'results.json'))).toMatchObject({
    valid: 'unknown',
    error: 'port busy',
    faultErrors: [],
  });
  expect(logged).toContainEqual(
    expect.objectContaining({ level: 50, msg: 'run failed', err: 'port busy', runId: expect.any(String) }),
  );
  expect(exitHandler).toBe(1);
  expect(tracked).not.toHaveBeenCalled();
});

test('a phase that throws: fault steps still stop and report, the target stops, the records count', async () => {
  const stop = jest.fn(async () => undefined);
  const started = fakeStarted({ stop }); // no worker list, no signal: the step fails
  setup = async () => started;
  tracked.mockImplementation(async (o) => {
    for (let i = 1; i <= 3; i++) o.onRecord(request(i, o.phase));
    await sleep(60);
    throw new Error('client broke');
  });
  const sc = scenario({ workload: [{ name: 'load', duration: 500 }], faults: [{ at: 10, action: 'signal' }] });
  const r = await run({ scenario: sc });
  expect(r.error).toBe('client broke');
  expect(r.verdict.summary).toBe('The run did not complete: client broke');
  expect(r.checks.map((c) => c.name)).toEqual(['noFailedRequests', 'faultsTookEffect']);
  const results = readJson(path.join(r.dir, 'results.json'));
  expect(results['faultErrors']).toEqual([expect.stringMatching(/^faults\[0\] \(signal\): target .* cannot/)]);
  expect(markNames(r.dir).filter((n) => n !== 'fault-error' && n !== 'fault-step')).toEqual([
    'workload-start',
    'fault-plan',
    'phase-start:load',
    'run-error',
  ]);
  // The end of a run that broke is when it broke: the rate is over the time the workload ran.
  expect(r.stats.requests).toBe(3);
  expect(r.stats.rps).toBeGreaterThan(0);
  expect(stop).toHaveBeenCalledTimes(1);
});

test('a fault step that fails leaves the run unknown, though every check passed', async () => {
  const sc = scenario({ workload: [{ name: 'load', duration: 150 }], faults: [{ at: 10, action: 'signal' }] });
  const r = await run({ scenario: sc });
  expect(r.error).toBeUndefined();
  expect(r).not.toHaveProperty('error');
  expect(r.verdict.valid).toBe('unknown');
  expect(r.verdict.summary).toMatch(/^The run did not test what its scenario says/);
  expect(readJson(path.join(r.dir, 'run.json'))).toMatchObject({ status: 'finished', valid: 'unknown' });
  expect(markNames(r.dir)).toEqual(expect.arrayContaining(['fault-error', 'fault-step']));
});

test('a fault step carried out: the target acts, its marks land in the history, the run passes', async () => {
  const workers: WorkerInfo[] = [{ pool: 'app', id: 1, pid: 4243, state: 'Ready', privateMemoryKB: 2048 }];
  const signal = jest.fn(async (pid: number) => {
    events.push(labEvent('WorkerCrashed', { t: Date.now(), source: 'w3', pool: 'app', pid, ...killed }));
  });
  const list = jest.fn(async () => workers);
  setup = async () => fakeStarted({ workers: list, signal });
  // Long enough for one memory sample (every 500 ms).
  const sc = scenario({
    workload: [{ name: 'load', duration: 700 }],
    faults: [{ at: 10, action: 'signal', signal: 'SIGKILL' }],
  });
  const r = await run({ scenario: sc });
  expect(signal).toHaveBeenCalledWith(4243, 'SIGKILL');
  expect(r.verdict.valid).toBe(true);
  expect(r.checks.find((c) => c.name === 'faultsTookEffect')?.verdict.valid).toBe(true);
  expect(marks(r.dir)).toContainEqual(expect.objectContaining({ name: 'fault-step', status: 'performed' }));
  // Memory was sampled while the workload ran, and no more once the run is over.
  expect(history(r.dir)).toContainEqual(expect.objectContaining({ kind: 'sample', pid: 4243, privateMemoryKB: 2048 }));
  const calls = list.mock.calls.length;
  await sleep(700);
  expect(list.mock.calls.length).toBe(calls);
});

test('the settle time passes before the target stops; a stop that fails becomes a kill, with a warning', async () => {
  let stopAt = 0;
  const kill = jest.fn(async () => undefined);
  const started = fakeStarted({
    stop: jest.fn(async () => {
      stopAt = Date.now();
      throw new Error('stuck');
    }),
    kill,
  });
  setup = async () => (await sleep(100), started);
  const r = await run({ scenario: scenario({ settle: 150 }) });
  const end = marks(r.dir).find((m) => m.name === 'workload-end')!.t;
  expect(stopAt - end).toBeGreaterThanOrEqual(140);
  expectRateOverWorkload(r.dir, r.stats.rps); // the settle time is not part of it
  expect(kill).toHaveBeenCalledTimes(1);
  expect(logged).toContainEqual(
    expect.objectContaining({ level: 40, msg: 'graceful stop failed; killing', err: 'stuck' }),
  );
  expect(r.verdict.valid).toBe(true);
});

test('interrupted: a phase waiting for its start never runs, no settle wait, status interrupted', async () => {
  const ac = new AbortController();
  tracked.mockImplementation(async (o) => {
    const s = await threeRequests({ ...o, durationMs: 30 });
    ac.abort();
    return s;
  });
  const sc = scenario({
    workload: [
      { name: 'load', duration: 100 },
      { name: 'late', start: 600_000 - 1, duration: 1 },
      { name: 'bulk', client: 'autocannon', start: 600_000 - 1, duration: 1 },
    ],
    settle: 600_000,
  });
  // The start delays are cleared when the run is interrupted: a pending 10-minute timer would keep the process alive.
  const set = jest.spyOn(global, 'setTimeout');
  const clear = jest.spyOn(global, 'clearTimeout');
  let r;
  let delays: unknown[];
  let cleared: unknown[];
  try {
    r = await run({ scenario: sc, signal: ac.signal });
  } finally {
    delays = set.mock.results.filter((_, i) => set.mock.calls[i]![1] === 600_000 - 1).map((x) => x.value as unknown);
    cleared = clear.mock.calls.map(([h]) => h as unknown);
    set.mockRestore();
    clear.mockRestore();
  }
  expect(delays).toHaveLength(2);
  expect(cleared).toEqual(expect.arrayContaining(delays));
  expect(tracked).toHaveBeenCalledTimes(1);
  expect(tracked.mock.calls[0]![0].signal).toBe(ac.signal);
  expect(autocannon).not.toHaveBeenCalled();
  expect(markNames(r.dir)).toEqual([
    'workload-start',
    'fault-plan',
    'phase-start:load',
    'phase-end:load',
    'workload-end',
  ]);
  expect(r.verdict).toEqual({ valid: 'unknown', summary: 'The run was interrupted.', details: {} });
  expect(readJson(path.join(r.dir, 'run.json'))).toMatchObject({ status: 'interrupted' });
}, 20_000);

test('interrupted during an autocannon phase: the phase gets the signal; an interrupt outranks an error', async () => {
  const ac = new AbortController();
  autocannon.mockImplementation(async (o) => {
    ac.abort();
    throw new Error(`stopped: ${String(o.signal === ac.signal)}`);
  });
  const sc = scenario({ workload: [{ name: 'bulk', client: 'autocannon', duration: 100 }] });
  const r = await run({ scenario: sc, signal: ac.signal });
  expect(r.error).toBe('stopped: true');
  expect(r.verdict.summary).toBe('The run was interrupted.');
  expect(readJson(path.join(r.dir, 'run.json'))).toMatchObject({ status: 'interrupted' });
});

test('reports that cannot be written are logged; the run still returns its result', async () => {
  reports.mockImplementation(() => {
    throw new Error('disk full');
  });
  const r = await run();
  expect(r.verdict.valid).toBe(true);
  expect(logged).toContainEqual(
    expect.objectContaining({ level: 50, msg: 'writing the run reports failed', err: 'disk full' }),
  );
});

describe('the exit handler: a harness that dies mid-run leaves nothing running and keeps what it recorded', () => {
  /** Runs with `started`; while the phase runs, calls the handler the run added and reports what it found. */
  async function dieDuringRun(started: StartedTarget) {
    const before = exitListeners();
    const kills: unknown[][] = [];
    let runDir = '';
    let seen = { added: 0, history: '', events: '' };
    setup = async (c) => ((runDir = c.runDir), started);
    tracked.mockImplementation(async (o) => {
      const added = exitListeners().filter((l) => !before.includes(l));
      o.onRecord(request(99, 'load')); // buffered: only a flush writes it now
      events.push(labEvent('WorkerReady', { t: Date.now(), source: 'w3', pool: 'app', pid: 5003 }));
      const kill = jest.spyOn(process, 'kill').mockImplementation((pid, sig) => {
        kills.push([pid, sig]);
        if (pid === 5001) throw new Error('ESRCH');
        return true;
      });
      try {
        added.forEach((l) => l(0));
      } finally {
        kill.mockRestore();
      }
      const read = (f: string): string => fs.readFileSync(path.join(runDir, f), 'utf8');
      seen = { added: added.length, history: read('history.jsonl'), events: read('events.jsonl') };
      return { fake: 1 } as unknown as TrackedClientSummary;
    });
    const r = await run();
    return { r, kills, seen, after: exitListeners().filter((l) => !before.includes(l)).length };
  }

  it('flushes history and events, and calls the target’s own synchronous kill', async () => {
    const killSync = jest.fn();
    events.push(labEvent('WorkerStarting', { t: Date.now(), source: 'w3', pool: 'app', pid: 5001 }));
    const { kills, seen, after } = await dieDuringRun(fakeStarted({ pid: 4242, killSync }));
    expect(seen.added).toBe(1);
    expect(killSync).toHaveBeenCalledTimes(1);
    expect(kills).toEqual([]);
    expect(seen.history).toContain('"id":99');
    expect(seen.events).toContain('"pid":5003');
    expect(after).toBe(0); // removed when the run ends
  });

  it("without one, SIGKILLs the target's main process and every worker it started", async () => {
    events.push(
      labEvent('WorkerStarting', { t: Date.now(), source: 'w3', pool: 'app', pid: 5001 }),
      labEvent('WorkerStarting', { t: Date.now(), source: 'w3', pool: 'app', pid: 5002 }),
      labEvent('WorkerStarting', { t: Date.now(), source: 'w3', pool: 'app', pid: 5001 }),
    );
    const { kills, seen } = await dieDuringRun(fakeStarted({ pid: 4242 }));
    expect(seen.added).toBe(1);
    expect(kills).toEqual([
      [4242, 'SIGKILL'],
      [5001, 'SIGKILL'],
      [5002, 'SIGKILL'],
    ]);
  });

  it('a target without events: only its main process; without a main process: nothing', async () => {
    expect((await dieDuringRun(fakeStarted({ pid: 4242, events: undefined }))).kills).toEqual([[4242, 'SIGKILL']]);
    expect((await dieDuringRun(fakeStarted())).kills).toEqual([]);
  });
});

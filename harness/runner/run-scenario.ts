// Runs one scenario against one target: writes run.json first, brings the target up, runs the workload phases and
// the fault schedule side by side, records history and target events as they happen, always heals and stops the
// target, then runs the checkers and writes results.json and summary.md. Interrupted or crashed runs still leave
// run.json, the partial history and the events; no child process outlives the run.
import crypto from 'node:crypto';
import { HistoryWriter, readHistory } from '../history/writer';
import type { HistoryRecord } from '../history/types';
import { runTrackedClient } from '../workloads/tracked-client';
import { runAutocannon } from '../workloads/autocannon-load';
import { runChecks, combine, type CheckResult, type Verdict } from '../checkers';
import { getTarget } from '../targets/registry';
import type { RuntimeKind, StartedTarget } from '../targets/types';
import { seededRandom } from '../../faults';
import { EventRecorder } from './event-recorder';
import { FaultSchedule } from './fault-schedule';
import { MemorySampler } from './memory-sampler';
import { runOwner } from '../results/run-status';
import { preflight } from './preflight';
import { runCheckSpecs, unperformedVerdict } from './unperformed-faults';
import { notSupportedRun } from './not-supported';
import { targetSettings } from './target-settings';
import type { NotSupported } from './run-outcome';
import { RunFolder, gitSha, type RunInfo } from '../results/store';
import { computeStats, type RunStats } from '../results/stats';
import { renderSummary } from '../results/summary';
import { writeRunReports } from '../report/commands';
import type { Scenario, WorkloadPhase } from '../scenarios/schema';
import type { Logger } from '../../targets/w3/util/logger';
import type { LabEvent } from '../events';

export interface RunOptions {
  scenario: Scenario;
  scenarioFile: string;
  target?: string;
  runtime?: RuntimeKind;
  seed?: number;
  outDir: string;
  log: Logger;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
}

export interface RunResult {
  scenario: string;
  target: string;
  dir: string;
  verdict: Verdict;
  checks: CheckResult[];
  stats: RunStats;
  durationMs: number;
  error?: string;
  /** Set when the run never started: the target lacks capabilities the scenario requires. */
  notSupported?: NotSupported;
}

const VERSION = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- read at run time from the installed package
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const sc = o.scenario;
  const targetName = o.target ?? sc.target;
  const runtime = o.runtime ?? 'process';
  const seed = o.seed ?? sc.seed ?? crypto.randomInt(0, 2 ** 31);
  preflight(sc, o.scenarioFile, targetName); // throws PreflightError before any folder or process exists
  const unsupported = notSupportedRun(o, targetName, runtime, seed);
  if (unsupported) return unsupported;
  const folder = new RunFolder(o.outDir, sc.name);
  const began = Date.now();
  const info: RunInfo = {
    runId: folder.runId,
    scenario: sc.name,
    description: sc.description,
    target: targetName,
    runtime,
    seed,
    startedAt: new Date(began).toISOString(),
    status: 'running',
    // Who runs it: a later `list` or `report` that finds this run still "running" with its owner gone marks it killed.
    owner: runOwner(),
    versions: { node: process.version, w3lab: VERSION, git: gitSha() },
    scenarioFile: o.scenarioFile,
    scenarioConfig: sc,
  };
  folder.writeJson('run.json', info);
  const ran = await execute(o, { folder, info, targetName, runtime, seed, began });
  return conclude(o, { folder, info, targetName, runtime, seed, began }, ran);
}

interface RunContext {
  folder: RunFolder;
  info: RunInfo;
  targetName: string;
  runtime: RuntimeKind;
  seed: number;
  began: number;
}

interface Ran {
  events: LabEvent[];
  start: number;
  end: number;
  error?: string;
  faultErrors: string[];
}

/** Brings the target up, runs the workload, the fault schedule and the recorders, and always stops the target. */
async function execute(o: RunOptions, c: RunContext): Promise<Ran> {
  const sc = o.scenario;
  const { folder, info } = c;
  const log = o.log.child({ runId: folder.runId });
  const history = new HistoryWriter(folder.file('history.jsonl'));
  const mark = (name: string, extra: Record<string, unknown> = {}): void =>
    history.append({ kind: 'mark', t: Date.now(), name, ...extra });
  let started: StartedTarget | null = null;
  const recorder = new EventRecorder(folder.file('events.jsonl'), () => started?.events?.() ?? []);
  const ran: Ran = {
    // Stryker disable next-line ArrayDeclaration: the finally below always replaces it with the recorder's events
    events: [],
    start: c.began,
    end: c.began,
    faultErrors: [],
  };
  // A harness that dies anyway (uncaught error, second Ctrl-C) must not leave the target running.
  const emergency = (): void => {
    history.flushSync();
    recorder.flushSync();
    if (started?.killSync) started.killSync();
    // Stryker disable next-line ArrayDeclaration: a string in the list is no WorkerStarting
    else if (started?.pid) killTree(started.pid, started.events?.() ?? []);
  };
  process.once('exit', emergency);
  try {
    o.onProgress?.(`${sc.name}: starting ${c.targetName}`);
    const up = await getTarget(c.targetName).setup({
      runId: folder.runId,
      runDir: folder.dir,
      runtime: c.runtime,
      settings: targetSettings(sc, o.scenarioFile, c.targetName),
      faultInjection: { enabled: sc.faultInjection, token: crypto.randomBytes(16).toString('hex') },
      log,
    });
    started = up;
    recorder.start();
    // Kept in every later write of run.json too: where the target ran is part of the record.
    Object.assign(info, {
      endpoint: up.endpoint,
      targetPid: up.pid,
      ...(up.runtimeDetails ? { targetRuntime: up.runtimeDetails } : {}),
    });
    folder.writeJson('run.json', info);
    const schedule = new FaultSchedule(up, sc.faults, seededRandom(c.seed), mark, log);
    const memory = new MemorySampler(up, (r) => history.append(r));
    ran.start = Date.now();
    mark('workload-start');
    schedule.start();
    memory.start();
    try {
      await Promise.all(sc.workload.map((p) => runPhase(p, up, folder, history, mark, o)));
    } finally {
      memory.stop();
      await schedule.stop();
      ran.faultErrors = schedule.errors;
    }
    ran.end = Date.now();
    mark('workload-end');
    if (!o.signal?.aborted) await new Promise((r) => setTimeout(r, sc.settle));
  } catch (err) {
    ran.error = (err as Error).message;
    log.error({ err: ran.error }, 'run failed');
    mark('run-error', { error: ran.error });
  } finally {
    recorder.flushSync();
    if (started) {
      o.onProgress?.(`${sc.name}: stopping ${c.targetName}`);
      await started.stop().catch(async (err: Error) => {
        log.warn({ err: err.message }, 'graceful stop failed; killing');
        await started!.kill();
      });
    }
    ran.events = recorder.close();
    history.close();
    process.removeListener('exit', emergency);
  }
  if (ran.end === c.began) ran.end = Date.now();
  return ran;
}

/** Checks, verdict and every file of the finished run; run.json says finished before the reports are drawn. */
function conclude(o: RunOptions, c: RunContext, ran: Ran): RunResult {
  const sc = o.scenario;
  const { folder, targetName, runtime, seed } = c;
  const recorded: HistoryRecord[] = readHistory(folder.file('history.jsonl'));
  const specs = runCheckSpecs(sc.expect, sc.faults.length > 0, targetName);
  const input = { history: recorded, events: ran.events, start: ran.start, end: ran.end };
  const checks = runChecks(input, specs);
  let verdict = unperformedVerdict(input, checks) ?? combine(checks);
  const { error, faultErrors } = ran;
  if (error) verdict = { valid: 'unknown', summary: `The run did not complete: ${error}`, details: { error } };
  if (o.signal?.aborted) verdict = { valid: 'unknown', summary: 'The run was interrupted.', details: {} };
  const stats = computeStats(recorded, ran.events, ran.start, ran.end);
  folder.writeJson('results.json', {
    valid: verdict.valid,
    summary: verdict.summary,
    checks,
    stats,
    faultErrors,
    error: error ?? null,
  });
  const summary = {
    scenario: sc.name,
    description: sc.description,
    target: targetName,
    runtime,
    seed,
    dir: folder.dir,
    verdict,
    checks,
    stats,
    faultErrors,
  };
  folder.writeText('summary.md', renderSummary(summary));
  const status = o.signal?.aborted ? 'interrupted' : error ? 'error' : 'finished';
  folder.writeJson('run.json', { ...c.info, status, finishedAt: new Date().toISOString(), valid: verdict.valid });
  try {
    writeRunReports(folder.dir); // report.html + junit.xml, from the files above (status included)
  } catch (err) {
    o.log.error({ err: (err as Error).message }, 'writing the run reports failed');
  }
  return {
    scenario: sc.name,
    target: targetName,
    dir: folder.dir,
    verdict,
    checks,
    stats,
    durationMs: Date.now() - c.began,
    ...(error !== undefined ? { error } : {}),
  };
}

async function runPhase(
  p: WorkloadPhase,
  target: StartedTarget,
  folder: RunFolder,
  history: HistoryWriter,
  mark: (name: string, extra?: Record<string, unknown>) => void,
  o: RunOptions,
): Promise<void> {
  if (p.start > 0) await abortableSleep(p.start, o.signal);
  if (o.signal?.aborted) return;
  mark('phase-start', { phase: p.name });
  o.onProgress?.(`${o.scenario.name}: phase ${p.name} (${p.client}, ${p.connections} connections, ${p.duration} ms)`);
  if (p.client === 'tracked') {
    const summary = await runTrackedClient({
      url: target.endpoint.url,
      connections: p.connections,
      durationMs: p.duration,
      ratePerSec: p.rate,
      timeoutMs: p.timeout,
      requests: p.requests,
      phase: p.name,
      onRecord: (r) => history.append(r),
      signal: o.signal,
    });
    folder.writeJson(`workload-${p.name}.json`, summary);
  } else {
    const first = p.requests[0]!;
    const result = await runAutocannon({
      url: target.endpoint.url + first.path,
      connections: p.connections,
      durationMs: p.duration,
      method: first.method as 'GET',
      headers: first.headers,
      body: first.body,
      timeoutSec: Math.ceil(p.timeout / 1000),
      signal: o.signal,
    });
    folder.writeJson(`autocannon-${p.name}.json`, result);
  }
  mark('phase-end', { phase: p.name });
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: 'abort' fires once: `once` only tidies up
      { once: true },
    );
  });
}

/** Synchronous last resort at process exit: SIGKILL the target's main process and every worker it reported. */
function killTree(pid: number, events: readonly LabEvent[]): void {
  const pids = new Set<number>([pid]);
  for (const e of events) if (e.type === 'WorkerStarting') pids.add(e.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

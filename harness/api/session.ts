// The step-by-step API: bring a target up, drive load at it, inject faults, and check what clients saw — each step
// a call, so a test can interleave its own requests and assertions. A session is a suite folder in the results
// folder; every check() writes a run folder into it (history, events, results.json, report.html, junit.xml), so a
// failed check has a report to point at. A check judges the window since the previous check (or the start): the
// requests, sockets, marks and target events recorded in it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { seededRandom } from '../../faults';
import type { LabEvent } from '../events';
import { combine, runChecks, type CheckResult, type Verdict } from '../checkers';
import type { HistoryRecord } from '../history/types';
import { DEFAULT_RESULTS_DIR, RunFolder, gitSha } from '../results/store';
import { computeStats, type RunStats } from '../results/stats';
import { renderSummary } from '../results/summary';
import { writeRunReports } from '../report/report-command';
import { FaultSchedule } from '../runner/fault-schedule';
import { outcomeOf } from '../runner/run-outcome';
import { unperformedVerdict } from '../runner/unperformed-faults';
import { checkSpec, faultStep, workloadPhase } from '../scenarios/schema';
import { ScenarioError } from '../scenarios/load-scenario';
import { SuiteFolder, writeSuiteReports } from '../suite/suite-folder';
import { getTarget } from '../targets/registry';
import type { RuntimeKind, StartedTarget, WorkerInfo } from '../targets/types';
import { runTrackedClient, type TrackedClientSummary } from '../workloads/tracked-client';
import { runAutocannon } from '../workloads/autocannon-load';
import type { AutocannonCompactSummary } from '../workloads/autocannon-summary';
import type { ScenarioResult } from './run';

/** One judged window, as written into its run folder. */
interface JudgedWindow {
  label: string;
  specs: z.output<typeof checkSpec>[];
  history: HistoryRecord[];
  events: LabEvent[];
  start: number;
  end: number;
  faultErrors: string[];
  verdict: Verdict;
  checks: CheckResult[];
  stats: RunStats;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One expectation, spelled as in a scenario file: `{ check: 'noFailedRequests', options: { maxFailed: 0 } }`. */
export type ExpectInput = z.input<typeof checkSpec>;
/** One workload phase, as in a scenario file (`name` may be left out here). */
export type WorkloadInput = Omit<z.input<typeof workloadPhase>, 'name' | 'start'> & { name?: string };
/**
 * One fault step without its trigger (it runs now), as in a scenario file: `{ action: 'signal', signal: 'SIGKILL' }`.
 */
export type FaultInput = DistributiveOmit<
  z.input<typeof faultStep>,
  'at' | 'every' | 'from' | 'until' | 'times' | 'after'
>;

export interface TargetOptions {
  /** A registered target name (default w3). */
  target?: string;
  runtime?: RuntimeKind;
  /** w3 configuration overrides, deep-merged into the target's default config (module paths relative to baseDir). */
  config?: Record<string, unknown>;
  /** The target's own settings (node-cluster: `{ workers: 2 }`). */
  settings?: Record<string, unknown>;
  /** Folder relative module paths in `config` resolve against (default: the current directory). */
  baseDir?: string;
  /** Results folder (default ./w3lab-results); the session gets a suite folder in it. */
  out?: string;
  /** Names the suite folder (default "session"). */
  name?: string;
  /** Fault injection in the target (default true). */
  faultInjection?: boolean;
  /** Seed of the worker selection for faults (default random). */
  seed?: number;
  log?: Logger;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

function invalid(what: string, error: z.ZodError): ScenarioError {
  const lines = error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return new ScenarioError(`invalid ${what}:\n${lines.join('\n')}`);
}

function resolveModules(config: Record<string, unknown>, dir: string): Record<string, unknown> {
  const apps = config['applications'];
  if (!Array.isArray(apps)) return config;
  return {
    ...config,
    applications: apps.map((a: Record<string, unknown>) => {
      const m = a['module'];
      return typeof m === 'string' && (m.startsWith('./') || m.startsWith('../'))
        ? { ...a, module: path.resolve(dir, m) }
        : a;
    }),
  };
}

/** Brings a target up (w3 by default) and returns the session that drives, faults and checks it. */
export async function startTarget(o: TargetOptions = {}): Promise<LabSession> {
  const name = o.name ?? 'session';
  if (!NAME.test(name)) throw new ScenarioError(`session name "${name}": use lower-case words joined by -`);
  const targetName = o.target ?? 'w3';
  const target = getTarget(targetName);
  const runtime = o.runtime ?? 'process';
  const suite = new SuiteFolder(path.resolve(o.out ?? DEFAULT_RESULTS_DIR()), { label: name, runtime });
  const log = (o.log ?? pino({ level: 'silent' })).child({ session: suite.info.suiteId });
  const targetDir = path.join(suite.dir, 'target');
  fs.mkdirSync(targetDir);
  const token = crypto.randomBytes(16).toString('hex');
  const config = resolveModules(o.config ?? {}, path.resolve(o.baseDir ?? process.cwd()));
  const started = await target.setup({
    runId: `${name}-${suite.info.suiteId}`,
    runDir: targetDir,
    runtime,
    settings: { config, ...(o.settings ?? {}) },
    faultInjection: { enabled: o.faultInjection ?? true, token },
    log,
  });
  return new LabSession(started, suite, log, o.seed ?? crypto.randomInt(0, 2 ** 31), runtime);
}

export class LabSession {
  private records: HistoryRecord[] = [];
  private schedule: FaultSchedule;
  private windowStart: number;
  private checksDone = 0;
  private stopping: Promise<void> | null = null;
  private readonly emergency = (): void => this.target.killSync?.();

  constructor(
    /** The running target and its capabilities (recycle, workers, injectFault, signal, events, ...). */
    readonly target: StartedTarget,
    private readonly suite: SuiteFolder,
    private readonly log: Logger,
    readonly seed: number,
    readonly runtime: RuntimeKind,
  ) {
    this.windowStart = Date.now();
    this.schedule = this.newSchedule();
    process.once('exit', this.emergency);
  }

  /** Base URL of the target, e.g. http://127.0.0.1:40123 */
  get url(): string {
    return this.target.endpoint.url;
  }

  /** The suite folder of this session (index.html, junit.xml, one folder per check). */
  get dir(): string {
    return this.suite.dir;
  }

  private newSchedule(): FaultSchedule {
    return new FaultSchedule(
      this.target,
      [],
      seededRandom(this.seed + this.checksDone),
      (n, e) => this.mark(n, e),
      this.log,
    );
  }

  /** Records a mark (a named moment) in the history; checkers' `from`/`to` options can refer to it. */
  mark(name: string, extra: Record<string, unknown> = {}): void {
    this.records.push({ kind: 'mark', t: Date.now(), name, ...extra });
  }

  /** The target's workers (when it can list them). */
  async workers(pool?: string): Promise<WorkerInfo[]> {
    return (await this.target.workers?.(pool)) ?? [];
  }

  /** Resolves once the pool has a Ready worker (e.g. the replacement after a kill), polling the target; rejects
   *  after timeoutMs. A fault step picks among Ready workers only. */
  async waitForReady(pool = 'app', timeoutMs = 30_000): Promise<WorkerInfo[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = (await this.workers(pool)).filter((w) => w.state === 'Ready');
      if (ready.length > 0) return ready;
      if (Date.now() > deadline) throw new Error(`pool ${pool}: no Ready worker within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Everything recorded since the last check: requests, sockets and marks. */
  history(): HistoryRecord[] {
    return this.records.filter((r) => (r.kind === 'socket' ? r.opened : r.t) >= this.windowStart);
  }

  /** The target's events since the last check. */
  events(): LabEvent[] {
    return (this.target.events?.() ?? []).filter((e) => e.t >= this.windowStart);
  }

  /** Runs one workload phase to its end (tracked client by default) and records every request and socket. */
  async drive(input: WorkloadInput, signal?: AbortSignal): Promise<TrackedClientSummary | AutocannonCompactSummary> {
    const parsed = workloadPhase.safeParse({ name: 'load', ...input });
    if (!parsed.success) throw invalid('workload', parsed.error);
    const p = parsed.data;
    this.mark('phase-start', { phase: p.name });
    try {
      if (p.client === 'autocannon') {
        const first = p.requests[0]!;
        const r = await runAutocannon({
          url: this.url + first.path,
          connections: p.connections,
          durationMs: p.duration,
          method: first.method as 'GET',
          headers: first.headers,
          body: first.body,
          timeoutSec: Math.ceil(p.timeout / 1000),
          signal,
        });
        return r.summary;
      }
      return await runTrackedClient({
        url: this.url,
        connections: p.connections,
        durationMs: p.duration,
        ratePerSec: p.rate,
        timeoutMs: p.timeout,
        requests: p.requests,
        phase: p.name,
        onRecord: (r) => this.records.push(r),
        signal,
      });
    } finally {
      this.mark('phase-end', { phase: p.name });
    }
  }

  /** Performs one fault step now (`{ action: 'signal', signal: 'SIGKILL' }`, `{ action: 'recycle' }`, ...). Its heal
   *  (SIGCONT, healing an in-worker fault) runs after its `duration`, or at the next check() at the latest. */
  async fault(input: FaultInput): Promise<void> {
    const parsed = faultStep.safeParse({ ...input, at: 0 });
    if (!parsed.success) throw invalid('fault step', parsed.error);
    await this.schedule.perform(parsed.data, `fault ${input.action}`);
  }

  /**
   * Heals what is still injected, waits `settleMs` (500) for late target events, then judges the window since the
   * previous check with these expectations and writes a run folder for it (named `name`, default check-N). Resolves
   * with the typed result; it does not throw on a failed check (use the Jest matcher, or look at `valid`).
   */
  async check(specs: readonly ExpectInput[], o: { name?: string; settleMs?: number } = {}): Promise<ScenarioResult> {
    const parsed = specs.map((s, i) => {
      const r = checkSpec.safeParse(s);
      if (!r.success) throw invalid(`expectation [${i}]`, r.error);
      return r.data;
    });
    await this.schedule.stop(); // heals run before the window closes, so their marks are in it
    // Like a scenario's `settle`: the target's events about the last moments (a crash noticed, a replacement
    // ready) arrive a little after the fact, and belong to this window.
    await new Promise((r) => setTimeout(r, o.settleMs ?? 500));
    const faultErrors = this.schedule.errors;
    const start = this.windowStart;
    const end = Date.now();
    const history: HistoryRecord[] = [
      { kind: 'mark', t: start, name: 'workload-start' },
      ...this.history(),
      { kind: 'mark', t: end, name: 'workload-end' },
    ];
    const events = this.events();
    this.checksDone++;
    const label = o.name ?? `check-${this.checksDone}`;
    const result = this.judge(label, parsed, history, events, start, end, faultErrors);
    this.windowStart = end;
    this.records = this.records.filter((r) => (r.kind === 'socket' ? (r.closed ?? Infinity) : r.t) >= end);
    this.schedule = this.newSchedule();
    return result;
  }

  /** Judges one window: the checks, then the run folder (with its reports) and the suite files. */
  private judge(
    label: string,
    specs: z.output<typeof checkSpec>[],
    history: HistoryRecord[],
    events: LabEvent[],
    start: number,
    end: number,
    faultErrors: string[],
  ): ScenarioResult {
    const target = this.target.name;
    const folderName =
      label
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'check';
    const folder = new RunFolder(this.suite.dir, folderName);
    const applicable = specs.filter((s) => !s.targets || s.targets.includes(target));
    const checks = runChecks(
      { history, events, start, end },
      applicable.map((s) => ({ name: s.check, options: s.options })),
    );
    const verdict = unperformedVerdict({ history, events, start, end }, checks) ?? combine(checks);
    const stats = computeStats(history, events, start, end);
    this.writeRunFolder(folder, { label, specs, history, events, start, end, faultErrors, verdict, checks, stats });
    const run = { scenario: label, target, dir: folder.dir, verdict, checks, stats, durationMs: end - start };
    this.suite.add(run);
    writeSuiteReports(this.suite.dir, this.suite.info, (m) => this.log.warn(m));
    const file = (n: string): string => path.join(folder.dir, n);
    return {
      scenario: label,
      target,
      outcome: outcomeOf(run),
      valid: verdict.valid,
      summary: verdict.summary,
      checks,
      stats,
      durationMs: end - start,
      dir: folder.dir,
      files: {
        report: file('report.html'),
        junit: file('junit.xml'),
        results: file('results.json'),
        summary: file('summary.md'),
      },
      suiteDir: this.suite.dir,
    };
  }

  /** The files of a scenario run, so that `w3lab report`, the suite index and JUnit read a check like any run. */
  private writeRunFolder(folder: RunFolder, j: JudgedWindow): void {
    const { label, history, events, start, end, verdict, checks, stats, faultErrors } = j;
    const target = this.target.name;
    const description = `step-by-step check in session ${this.suite.info.suiteId}`;
    folder.writeJson('run.json', {
      runId: folder.runId,
      scenario: label,
      description,
      target,
      runtime: this.runtime,
      seed: this.seed,
      startedAt: new Date(start).toISOString(),
      finishedAt: new Date(end).toISOString(),
      status: 'finished',
      versions: { node: process.version, git: gitSha() },
      scenarioConfig: { name: label, target, expect: j.specs },
      valid: verdict.valid,
    });
    folder.writeText('history.jsonl', history.map((r) => JSON.stringify(r) + '\n').join(''));
    folder.writeText('events.jsonl', events.map((e) => JSON.stringify(e) + '\n').join(''));
    folder.writeJson('results.json', {
      valid: verdict.valid,
      summary: verdict.summary,
      checks,
      stats,
      faultErrors,
      error: null,
    });
    const summary = renderSummary({
      scenario: label,
      description,
      target,
      runtime: this.runtime,
      seed: this.seed,
      dir: folder.dir,
      verdict,
      checks,
      stats,
      faultErrors,
    });
    folder.writeText('summary.md', summary);
    try {
      writeRunReports(folder.dir);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'writing the check report failed');
    }
  }

  /** Heals, stops the target (SIGKILL when it does not stop in time) and writes the session's suite files.
   *  Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.schedule.stop();
        await this.target.stop().catch(async (err: Error) => {
          this.log.warn({ err: err.message }, 'graceful stop failed; killing');
          await this.target.kill();
        });
      } finally {
        process.removeListener('exit', this.emergency);
        this.suite.finish('finished', (m) => this.log.warn(m));
      }
    })();
    return this.stopping;
  }
}

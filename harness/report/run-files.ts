// Reading a stored run folder back: run.json, history.jsonl, events.jsonl and results.json, plus the workload
// window (start/end) the runner used. Every report, the JUnit writer and `compare` start from a LoadedRun, so a
// run folder means the same thing to all of them. A folder a crash cut short still loads (missing files → empty).
import fs from 'node:fs';
import path from 'node:path';
import { readHistory } from '../history/writer';
import { settleRunStatus } from '../results/run-status';
import type { HistoryRecord, MarkRecord } from '../history/types';
import { readLabEvent, type LabEvent } from '../events';
import type { CheckResult, Validity } from '../checkers';
import type { RunStats } from '../results/stats';

/** The fields of run.json the reports read (the runner writes more). */
export interface StoredRunInfo {
  runId?: string;
  scenario: string;
  description?: string;
  target: string;
  runtime?: string;
  seed?: number;
  startedAt?: string;
  finishedAt?: string;
  status?: string;
  versions?: { node?: string; w3lab?: string; git?: string | null };
  scenarioConfig?: unknown;
  valid?: Validity;
  [k: string]: unknown;
}

export interface StoredResults {
  valid: Validity;
  summary: string;
  checks: CheckResult[];
  stats?: RunStats;
  faultErrors?: string[];
  error?: string | null;
}

export interface LoadedRun {
  dir: string;
  info: StoredRunInfo;
  history: HistoryRecord[];
  events: LabEvent[];
  /** events.jsonl lines that are not lab events (e.g. a folder written before the vocabulary): skipped, said here. */
  eventProblems: string[];
  results: StoredResults | null;
  summaryMd: string | null;
  /** Workload start and end (epoch ms), as the runner defined them for the checkers. */
  start: number;
  end: number;
}

/** A bad run folder or argument: the CLI maps it to exit code 254. */
export class RunFolderError extends Error {
  readonly code = 'LAB_ERR_RUN_FOLDER';
  readonly exitCode = 254;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunFolderError';
  }
}

export const isRunDir = (dir: string): boolean => fs.existsSync(path.join(dir, 'run.json'));

function readJson<T>(file: string): T | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new RunFolderError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * events.jsonl; like the history, a last line cut short by a crash is dropped. A line that is JSON but not a lab
 * event is skipped and reported in `problems` (the checks then run without it, and say what they lack).
 */
export function readEvents(file: string, problems: string[] = []): LabEvent[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: LabEvent[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      if (i !== lines.length - 1) throw new RunFolderError(`${file}:${i + 1}: not a JSON event`, { cause: err });
      return;
    }
    const read = readLabEvent(raw);
    if (read.ok) out.push(read.event);
    else problems.push(`${file}:${i + 1}: not a lab event (${read.reason})`);
  });
  return out;
}

/**
 * The runner's start is the moment of the workload-start mark and its end the workload-end mark. A run cut short
 * has no end mark: the last thing recorded stands in for it.
 */
export function workloadWindow(history: HistoryRecord[], fallbackStart: number): { start: number; end: number } {
  const marks = history.filter((r): r is MarkRecord => r.kind === 'mark');
  const startMark = marks.find((m) => m.name === 'workload-start');
  const endMark = marks.find((m) => m.name === 'workload-end');
  let first = Infinity;
  let last = -Infinity;
  for (const r of history) {
    const t0 = r.kind === 'socket' ? r.opened : r.t;
    const t1 = r.kind === 'request' ? r.t + r.latencyMs : r.kind === 'socket' ? (r.closed ?? r.opened) : r.t;
    first = Math.min(first, t0);
    last = Math.max(last, t1);
  }
  const start = startMark?.t ?? (Number.isFinite(first) ? first : fallbackStart);
  const end = endMark?.t ?? (Number.isFinite(last) ? last : start);
  return { start, end: Math.max(end, start) };
}

/** Why a folder without run.json is no run folder, and (when it holds runs) one to name instead: a user gives
 *  `report` the results folder or a suite as often as a run. */
function notARunFolder(abs: string): string {
  const kind = fs.existsSync(path.join(abs, 'suite.json'))
    ? 'a suite folder'
    : fs.existsSync(path.join(abs, 'matrix.json'))
      ? 'a matrix folder'
      : fs.existsSync(path.join(path.dirname(abs), 'matrix.json'))
        ? "a matrix's target folder"
        : 'a results folder';
  const run = newestRunUnder(abs, 3);
  return run ? `${kind}, not a run folder: name one of its runs, e.g. ${run}` : 'not a run folder (no run.json)';
}

/** A run folder at most `depth` levels under `dir`, the newest-named first (folders are named by time); links and
 *  hidden names are not followed. */
function newestRunUnder(dir: string, depth: number): string | null {
  if (depth === 0) return null;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  for (const name of subdirs.sort().reverse()) {
    const sub = path.join(dir, name);
    if (fs.existsSync(path.join(sub, 'run.json'))) return sub;
    const deeper = newestRunUnder(sub, depth - 1);
    if (deeper) return deeper;
  }
  return null;
}

export function loadRun(dir: string): LoadedRun {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new RunFolderError(`${dir}: no such folder`);
  if (!fs.statSync(abs).isDirectory()) throw new RunFolderError(`${dir}: not a folder`);
  const stored = readJson<StoredRunInfo>(path.join(abs, 'run.json'));
  if (!stored) throw new RunFolderError(`${dir}: ${notARunFolder(abs)}`);
  const info = settleRunStatus(abs, stored);
  const historyFile = path.join(abs, 'history.jsonl');
  let history: HistoryRecord[];
  try {
    history = fs.existsSync(historyFile) ? readHistory(historyFile) : [];
  } catch (err) {
    throw new RunFolderError(`${historyFile}: ${(err as Error).message}`, { cause: err });
  }
  const eventProblems: string[] = [];
  const events = readEvents(path.join(abs, 'events.jsonl'), eventProblems);
  const results = readJson<StoredResults>(path.join(abs, 'results.json'));
  const summaryFile = path.join(abs, 'summary.md');
  const summaryMd = fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : null;
  const startedAt = info.startedAt ? Date.parse(info.startedAt) : NaN;
  const { start, end } = workloadWindow(history, Number.isFinite(startedAt) ? startedAt : 0);
  const named = {
    ...info,
    scenario: String(info.scenario ?? path.basename(path.dirname(abs))),
    target: String(info.target ?? '?'),
  };
  return { dir: abs, info: named, history, events, eventProblems, results, summaryMd, start, end };
}

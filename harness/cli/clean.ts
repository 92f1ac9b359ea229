// `w3lab clean`: removes what interrupted runs left behind (a harness killed with SIGKILL cannot clean up after
// itself) — and only that. A process or container is a candidate when it carries this lab's run marks
// (harness/targets/ownership.ts: W3LAB_RUN_DIR in its environment, the w3lab.dir label on a container) pointing
// into the scope: a results folder (default ./w3lab-results), or one run (`--run` a folder or a run id). It is a
// leftover only when the harness that started it is gone; a running run's processes and containers are left
// alone, as are other users' processes, anything without the marks, and containers another machine started.
// Descendants of a leftover process go with it. The temp folders a container run keeps its control socket in are
// judged the same way, by the owner record inside each (clean-socket-folders.ts). `--dry-run` says what would go and
// touches nothing.
import fs from 'node:fs';
import path from 'node:path';
import {
  ENV_OWNER,
  ENV_RUN_DIR,
  ENV_RUN_ID,
  LABEL_DIR,
  LABEL_OWNER,
  isWithin,
  ownerState,
  type OwnerState,
} from '../targets/ownership';
import { descendants, refOf, type ProcessRef } from '../targets/process-tree';
import type { LabContainerInfo } from '../runtimes/container-runtime';
import { cleanSocketFolders } from './clean-socket-folders';

const LABEL_RUN = 'w3lab.run';

export interface CleanScope {
  /** The results folder (or any folder): runs whose folder is inside it. */
  dir?: string;
  /** One run: its id (W3LAB_RUN_ID / w3lab.run). */
  runId?: string;
}

export interface CleanOptions {
  scope: CleanScope;
  dryRun?: boolean;
}

export interface CleanDeps {
  /** Lists the engine's lab containers (default: listLabContainers; throws when no engine answers). */
  listContainers?: () => Promise<LabContainerInfo[]>;
  removeContainer?: (id: string) => Promise<boolean>;
  /** Where processes are listed (default /proc; tests pass a folder shaped like it). */
  procRoot?: string;
  /** The user whose processes may be touched (default: this process's uid). */
  uid?: number;
  kill?: (pid: number) => void;
  /** Owner liveness (default ownership.ts ownerState). */
  ownerState?: (token: string | undefined) => OwnerState;
  /** Where the socket folders are (default os.tmpdir(); tests pass their own). */
  tmpDir?: string;
}

export interface CleanReport {
  lines: string[];
  killed: number[];
  /** Containers removed (names). */
  removed: string[];
  /** Socket folders removed (paths). */
  removedFolders: string[];
}

function inScope(scope: CleanScope, runId: string | undefined, dir: string | undefined): boolean {
  if (scope.runId !== undefined && runId !== scope.runId) return false;
  if (scope.dir !== undefined && (dir === undefined || !isWithin(dir, scope.dir))) return false;
  return scope.runId !== undefined || scope.dir !== undefined;
}

interface ProcInfo {
  pid: number;
  cmd: string;
  env: Map<string, string>;
}

function readProc(root: string, pid: number, uid: number): ProcInfo | null {
  try {
    if (fs.statSync(`${root}/${pid}`).uid !== uid) return null; // never another user's process
    const cmd = fs.readFileSync(`${root}/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    const env = new Map<string, string>();
    for (const entry of fs.readFileSync(`${root}/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return { pid, cmd, env };
  } catch {
    return null; // gone, or not ours to read
  }
}

function describeScope(scope: CleanScope): string {
  return [scope.runId !== undefined ? `run ${scope.runId}` : '', scope.dir !== undefined ? path.resolve(scope.dir) : '']
    .filter(Boolean)
    .join(' in ');
}

async function cleanContainers(
  o: CleanOptions,
  deps: CleanDeps,
  state: (t?: string) => OwnerState,
  report: CleanReport,
): Promise<void> {
  let list: LabContainerInfo[];
  try {
    const { listLabContainers } = await import('../runtimes/container-runtime');
    list = await (deps.listContainers ?? (() => listLabContainers()))();
  } catch (err) {
    report.lines.push(
      `containers: no Docker engine answering (${(err as Error).message.split('\n')[0]}); none removed`,
    );
    return;
  }
  let unmarked = 0;
  for (const c of list) {
    const dir = c.labels[LABEL_DIR];
    if (dir === undefined && c.labels[LABEL_OWNER] === undefined) {
      unmarked++;
      continue;
    }
    if (!inScope(o.scope, c.labels[LABEL_RUN], dir)) continue;
    const owner = state(c.labels[LABEL_OWNER]);
    const what = `container ${c.name} (${c.image}, ${c.state}) of run ${c.labels[LABEL_RUN] ?? '?'}`;
    if (owner !== 'gone') {
      report.lines.push(
        `left alone: ${what}: ${owner === 'running' ? 'its run is still going' : 'started from another machine'}`,
      );
      continue;
    }
    if (o.dryRun) {
      report.lines.push(`would remove ${what}`);
      continue;
    }
    const { removeContainerById } = await import('../runtimes/container-runtime');
    try {
      if (await (deps.removeContainer ?? ((id: string) => removeContainerById(id)))(c.id)) {
        report.removed.push(c.name);
        report.lines.push(`removed ${what}`);
      }
    } catch (err) {
      report.lines.push(`could not remove ${what}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (unmarked)
    report.lines.push(
      `left alone: ${unmarked} lab container(s) without run marks ` +
        '(not started by this w3lab; remove them with docker rm if they are yours)',
    );
}

function cleanProcesses(
  o: CleanOptions,
  deps: CleanDeps,
  state: (t?: string) => OwnerState,
  report: CleanReport,
): void {
  const root = deps.procRoot ?? '/proc';
  const uid = deps.uid ?? process.getuid?.() ?? 0;
  const realProc = root === '/proc';
  const leftovers = new Map<number, { info: ProcInfo | null; runId: string; via?: number }>();
  const running = new Map<string, number>();
  for (const pid of fs
    .readdirSync(root)
    .filter((d) => /^\d+$/.test(d))
    .map(Number)) {
    if (pid === process.pid) continue;
    const info = readProc(root, pid, uid);
    if (!info) continue;
    const runId = info.env.get(ENV_RUN_ID);
    if (!info.env.has(ENV_RUN_DIR) || !inScope(o.scope, runId, info.env.get(ENV_RUN_DIR))) continue;
    const owner = state(info.env.get(ENV_OWNER));
    if (owner !== 'gone') {
      const why = owner === 'running' ? 'its run is still going' : 'started from another machine';
      const key = `${runId ?? '?'} (${why})`;
      running.set(key, (running.get(key) ?? 0) + 1);
      continue;
    }
    leftovers.set(pid, { info, runId: runId ?? '?' });
  }
  // A leftover's children are leftovers too, marked or not (a program it started with its own environment).
  if (realProc) {
    for (const [pid, l] of [...leftovers]) {
      for (const d of descendants(pid))
        if (!leftovers.has(d.pid)) leftovers.set(d.pid, { info: readProc(root, d.pid, uid), runId: l.runId, via: pid });
    }
  }
  for (const [key, n] of running) report.lines.push(`left alone: ${n} process(es) of run ${key}`);
  const refs = new Map<number, ProcessRef>(
    [...leftovers.keys()].map((pid) => [pid, realProc ? refOf(pid) : { pid, startTime: null }]),
  );
  const kill = deps.kill ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  for (const [pid, l] of leftovers) {
    const via = l.via ? ` (child of ${l.via})` : '';
    const what = `process ${pid} of run ${l.runId}${via}: ${(l.info?.cmd ?? '?').slice(0, 120)}`;
    if (o.dryRun) {
      report.lines.push(`would kill ${what}`);
      continue;
    }
    // Still the same process (start time) — a PID freed meanwhile may belong to someone else now.
    if (realProc && refOf(pid).startTime !== refs.get(pid)!.startTime) continue;
    try {
      kill(pid);
      report.killed.push(pid);
      report.lines.push(`killed ${what}`);
    } catch {
      /* gone meanwhile */
    }
  }
}

export async function cleanLeftovers(o: CleanOptions, deps: CleanDeps = {}): Promise<CleanReport> {
  const report: CleanReport = { lines: [], killed: [], removed: [], removedFolders: [] };
  const state = deps.ownerState ?? ownerState;
  // Processes first: they are read from /proc at once, while reaching a Docker engine can take seconds. (A
  // container's processes carry no marks in their environment, so the sweep never reaches into containers.)
  cleanProcesses(o, deps, state, report);
  await cleanContainers(o, deps, state, report);
  // After the containers: a removed container no longer has the folder mounted.
  const folders = cleanSocketFolders({
    dryRun: o.dryRun === true,
    inScope: (runId, dir) => inScope(o.scope, runId, dir),
    ownerState: state,
    ...(deps.tmpDir !== undefined ? { tmpDir: deps.tmpDir } : {}),
    ...(deps.uid !== undefined ? { uid: deps.uid } : {}),
  });
  report.lines.push(...folders.lines);
  report.removedFolders.push(...folders.removed);
  const acted = report.lines.some((l) => /^(killed|removed|would )/.test(l));
  if (!acted) report.lines.push(`nothing to clean in ${describeScope(o.scope)}`);
  return report;
}

// Which run a process or container belongs to, so `w3lab clean` can remove what an interrupted run left behind
// and nothing else. Every target process gets three environment variables (its workers inherit them):
//   W3LAB_RUN_ID   the run's id
//   W3LAB_RUN_DIR  the run folder (absolute), so a results folder or a run folder scopes a clean
//   W3LAB_OWNER    host:pid:start-time of the harness that started it — while that process lives, the run is
//                  not a leftover but someone's running job (a PID alone could have been reused since)
// and every container the same as labels (w3lab.dir, w3lab.owner, beside w3lab=1 and w3lab.run), and every temp
// folder a run makes outside its run folder (a container's control socket) the same in a record inside it.
import os from 'node:os';
import path from 'node:path';
import { isSameAlive, refOf } from './process-tree';

export const ENV_RUN_ID = 'W3LAB_RUN_ID';
export const ENV_RUN_DIR = 'W3LAB_RUN_DIR';
export const ENV_OWNER = 'W3LAB_OWNER';
export const LABEL_DIR = 'w3lab.dir';
export const LABEL_OWNER = 'w3lab.owner';

let self: string | null = null;

/** This harness process as an owner: "host:pid:start-time". */
export function ownerToken(): string {
  self ??= `${os.hostname()}:${process.pid}:${refOf(process.pid).startTime ?? '?'}`;
  return self;
}

export function ownershipEnv(runId: string, runDir: string): Record<string, string> {
  return { [ENV_RUN_ID]: runId, [ENV_RUN_DIR]: path.resolve(runDir), [ENV_OWNER]: ownerToken() };
}

export function ownershipLabels(runDir: string): Record<string, string> {
  return { [LABEL_DIR]: path.resolve(runDir), [LABEL_OWNER]: ownerToken() };
}

/** The same marks for a temp folder the run makes outside its run folder (runtimes/socket-folder.ts). */
export function ownershipRecord(runId: string, runDir: string): { token: string; runId: string; runDir: string } {
  return { token: ownerToken(), runId, runDir: path.resolve(runDir) };
}

export type OwnerState = 'running' | 'gone' | 'elsewhere';

/**
 * Whether the harness named by an owner token still runs: "running" (same host, that pid alive with that start
 * time), "gone", or "elsewhere" (another host: this machine cannot tell, so it must not judge).
 */
export function ownerState(token: string | undefined): OwnerState {
  const m = /^(.*):(\d+):(\d+|\?)$/.exec(token ?? '');
  if (!m) return 'gone';
  if (m[1] !== os.hostname()) return 'elsewhere';
  return isSameAlive({ pid: Number(m[2]), startTime: m[3] === '?' ? null : m[3]! }) ? 'running' : 'gone';
}

/** True when `dir` is `scope` or inside it. */
export function isWithin(dir: string, scope: string): boolean {
  const rel = path.relative(path.resolve(scope), path.resolve(dir));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

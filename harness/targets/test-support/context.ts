// Test support for target tests: a TargetContext in a fresh temp folder, an event wait with a deadline, a plain
// GET, and the PIDs a target reported (to prove none survives it).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { LabEvent } from '../../events';
import type { StartedTarget, TargetContext, WorkerInfo } from '../types';

export function testContext(settings: Record<string, unknown> = {}, faults = true): TargetContext {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-target-'));
  return {
    runId: `test-${path.basename(runDir)}`,
    runDir,
    runtime: 'process',
    settings,
    faultInjection: { enabled: faults, token: 'test-token-123' },
    log: pino({ level: 'silent' }),
  };
}

export function removeRunDir(ctx: TargetContext): void {
  fs.rmSync(ctx.runDir, { recursive: true, force: true });
}

/**
 * Polls target.events() until pred matches an event at index >= from. The default deadline covers a worker start on
 * a loaded 2-core machine (several seconds each, two at once well over 10 s).
 */
export async function waitForEvent(
  t: StartedTarget,
  pred: (e: LabEvent) => boolean,
  what: string,
  timeoutMs = 30_000,
  from = 0,
): Promise<LabEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (t.events?.() ?? []).slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) {
      const seen = (t.events?.() ?? []).map((e) => `${e.type}${e.pid ? `(${e.pid})` : ''}`).join(' ');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Polls target.workers() until the pool is at rest: exactly `count` workers, all Ready, none of `gone` (pids that
 * were crashed, recycled or signalled and must have been replaced). A test that starts from a pool at rest cannot
 * pick a worker that an earlier step is still replacing.
 */
export async function waitForPoolAtRest(
  t: StartedTarget,
  count: number,
  gone: Iterable<number> = [],
  pool?: string,
  timeoutMs = 30_000,
): Promise<WorkerInfo[]> {
  const excluded = new Set(gone);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await t.workers!(pool);
    const ready = list.filter((w) => w.state === 'Ready' && !excluded.has(w.pid));
    if (list.length === count && ready.length === count) return list;
    if (Date.now() > deadline) {
      const seen = list.map((w) => `${w.pid}:${w.state}`).join(' ');
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${count} ready workers without ${[...excluded].join(',') || '-'}` +
          `; workers: ${seen || 'none'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function get(url: string, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

/** The host and every worker the target ever reported. */
export function reportedPids(t: StartedTarget): number[] {
  const pids = new Set<number>();
  if (t.pid) pids.add(t.pid);
  for (const e of t.events?.() ?? []) if (e.type === 'WorkerStarting' && typeof e.pid === 'number') pids.add(e.pid);
  return [...pids];
}

/** process.kill(pid, 0): the check the lab's users would make. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of the PIDs answers process.kill(pid, 0); returns those that still do. Killed processes whose
 *  parent died are reaped by PID 1, which may take a moment (zombies answer kill 0). */
export async function stillAlive(pids: number[], timeoutMs = 8000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter(alive);
  }
  return left;
}

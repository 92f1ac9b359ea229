// Helpers for the manager integration tests: a w3 server with fault injection on, one-pool configurations with lab
// timings, admin shortcuts (pools, faults), and waits on conditions that have no event (a file appears, a process
// ends). Everything waits with a deadline; nothing sleeps to hide a race.
import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';
import { startServer, type RunningServer } from '../../test-support/server';
import type { W3Event } from '../../events/event-types';
import type { PoolSnapshot } from '../../manager/pool-snapshot';

export const PROBE_APP = path.join(__dirname, '..', 'fixtures', 'probe-app.js');
export const FAULT_TOKEN = 'manager-tests';

/**
 * Lab timings: limits short enough for tests, long enough for 2 busy cores. Pings every 200 ms with a 5 s deadline:
 * at 500 ms, healthy workers on a machine at load average 15 or more missed it now and then and were killed as hung
 * (PingFailed), in tests about something else. Tests about ping failure use PINGS.
 */
export const FAST = {
  pingInterval: '200ms',
  pingResponseTime: '5s',
  startupTimeLimit: '10s',
  shutdownTimeLimit: '3s',
};

/**
 * For the tests about pings: a deadline short enough that a hung worker is detected within PING_DETECT_MS, and four
 * times the 500 ms that healthy workers missed on a loaded machine. A test asserting that a worker kept answering
 * (no PingFailed) must watch it for longer than PING_DETECT_MS: otherwise a worker that stopped answering would not
 * be killed within the test, and the test could not fail.
 */
export const PINGS = { ...FAST, pingResponseTime: '2s' };

/** pingInterval + pingResponseTime of PINGS: a worker that stops answering is killed within this (plus load). */
export const PING_DETECT_MS = 200 + 2000;

/** Slack for timing assertions on a shared 2-core machine (Jest workers, other engineers' builds). */
export const SLACK_MS = 1500;

export type PoolView = PoolSnapshot;

export function startFaultServer(config: Record<string, unknown>): Promise<RunningServer> {
  return startServer(config, ['--enable-faults'], { faultToken: FAULT_TOKEN });
}

/** One pool "app" serving the probe app at "/". */
export function onePool(pool: Record<string, unknown> = {}, app = PROBE_APP): Record<string, unknown> {
  return { pools: [{ name: 'app', ...pool }], applications: [{ path: '/', pool: 'app', module: app }] };
}

export async function pool(server: RunningServer, name = 'app'): Promise<PoolView> {
  const all = await server.admin.request<PoolView[]>('GET', '/pools');
  const p = all.find((x) => x.name === name);
  if (!p) throw new Error(`no pool ${name} in GET /pools`);
  return p;
}

export function injectFault(
  server: RunningServer,
  workerId: number | undefined,
  spec: Record<string, unknown>,
  poolName = 'app',
): Promise<unknown> {
  return server.admin.request('POST', `/pools/${poolName}/workers/${workerId}/faults`, spec);
}

export function eventsOf(server: RunningServer, type: W3Event['type'], from = 0): W3Event[] {
  return server.events.slice(from).filter((e) => e.type === type);
}

/** Polls `cond` every 50 ms until it holds; for state that no event reports (files, processes, GET /pools). */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/** A plain pause, only where a test must let time pass on purpose (a fault's duration, a gap between failures). */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system, ms) a process used so far, from /proc. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

export interface StreamOutcome {
  status: number;
  firstChunkAt: number;
  body: string;
  /** How the response ended: complete, or aborted by the server side (connection destroyed mid-body). */
  end: 'complete' | 'aborted';
}

/** A GET whose response is read chunk by chunk, so a response cut off after its first bytes is visible as such. */
export function streamGet(url: string, onFirstChunk?: () => void): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      let firstChunkAt = 0;
      let settled = false;
      const done = (end: StreamOutcome['end']): void => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, firstChunkAt, body, end });
      };
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (!firstChunkAt) {
          firstChunkAt = Date.now();
          onFirstChunk?.();
        }
        body += c;
      });
      res.on('end', () => done(res.complete ? 'complete' : 'aborted'));
      res.on('aborted', () => done('aborted'));
      res.on('error', () => done('aborted'));
      res.on('close', () => done(res.complete ? 'complete' : 'aborted'));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
  });
}

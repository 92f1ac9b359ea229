// A run whose lab process died is marked killed by the next list or report (review: it stayed "running").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRun } from '../report/run-files';
import { rerunReport } from '../report/report-command';
import { ownerAlive, processStartedAt, runOwner, settleRunStatus } from './run-status';
import { listRuns } from './run-list';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-run-status-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function runFolder(name: string, info: Record<string, unknown>, history: string[] = []): string {
  const d = path.join(dir, 'sc', name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(
    path.join(d, 'run.json'),
    JSON.stringify({ scenario: 'sc', target: 'w3', startedAt: new Date().toISOString(), ...info }),
  );
  fs.writeFileSync(path.join(d, 'history.jsonl'), history.join('\n') + (history.length ? '\n' : ''));
  return d;
}

describe('run status', () => {
  it('knows its own process is alive, a dead pid is not, and a reused pid (other start time) is not the owner', () => {
    expect(ownerAlive(runOwner())).toBe(true);
    expect(ownerAlive({ pid: deadPid(), startedAt: 0, host: os.hostname() })).toBe(false);
    const me = processStartedAt(process.pid);
    expect(me).not.toBeNull();
    expect(Math.abs(me! - (Date.now() - process.uptime() * 1000))).toBeLessThan(2_000);
    expect(ownerAlive({ pid: process.pid, startedAt: me! - 60_000, host: os.hostname() })).toBe(false);
    expect(ownerAlive({ pid: 1, host: 'another-machine' })).toBe(true);
  });

  it('marks a "running" run whose owner is gone as killed, on list and on report, and leaves others alone', () => {
    const killed = runFolder('killed', {
      status: 'running',
      owner: { pid: deadPid(), startedAt: 1, host: os.hostname() },
    });
    const live = runFolder('live', { status: 'running', owner: runOwner() });
    const done = runFolder('done', {
      status: 'finished',
      owner: { pid: deadPid(), startedAt: 1, host: os.hostname() },
    });
    const byDir = Object.fromEntries(listRuns(dir).map((r) => [r.dir, r.info.status]));
    expect(byDir).toEqual({ [killed]: 'killed', [live]: 'running', [done]: 'finished' });
    expect(JSON.parse(fs.readFileSync(path.join(killed, 'run.json'), 'utf8'))).toMatchObject({
      status: 'killed',
      killedNoticedAt: expect.any(String),
    });
    const again = runFolder('killed-2', {
      status: 'running',
      owner: { pid: deadPid(), startedAt: 1, host: os.hostname() },
    });
    expect(loadRun(again).info.status).toBe('killed');
    expect(settleRunStatus(live, { status: 'running' }).status).toBe('running'); // no owner recorded: left alone
  });

  it('`report` on a killed run re-derives what it can from the partial history, and says the run was killed', () => {
    const t0 = Date.now() - 10_000;
    const records = [
      { kind: 'mark', t: t0, name: 'workload-start' },
      ...Array.from({ length: 150 }, (_, i) => ({
        kind: 'request',
        t: t0 + 10 + i * 10,
        id: i + 1,
        conn: 1,
        method: 'GET',
        path: '/',
        outcome: 'ok',
        status: 200,
        latencyMs: 3,
      })),
    ].map((r) => JSON.stringify(r));
    const d = runFolder(
      'killed-report',
      {
        status: 'running',
        owner: { pid: deadPid(), startedAt: 1, host: os.hostname() },
        scenarioConfig: { expect: [{ check: 'noFailedRequests' }], faults: [] },
      },
      records,
    );
    const r = rerunReport(d);
    expect(r.verdict.valid).toBe('unknown');
    expect(r.verdict.summary).toBe(
      'The run was killed before it finished (its lab process died): ' +
        'the checks judged what it recorded until then (All 1 checks valid.)',
    );
    expect(r.checks.map((c) => [c.name, c.verdict.valid])).toEqual([['noFailedRequests', true]]);
    expect(JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8')).status).toBe('killed');
    expect(fs.existsSync(path.join(d, 'report.html'))).toBe(true);
  });

  it("`report` on a killed run re-derives the target's side from the partial events.jsonl (last line cut)", () => {
    const t0 = Date.now() - 10_000;
    const pool = 'app';
    const records = [
      { kind: 'mark', t: t0, name: 'workload-start' },
      {
        kind: 'mark',
        t: t0,
        name: 'fault-plan',
        steps: [0, 1].map((step) => ({ step, action: 'signal', signal: 'SIGKILL', pool, firings: 1, optional: false })),
      },
      ...Array.from({ length: 150 }, (_, i) => ({
        kind: 'request',
        t: t0 + 10 + i * 10,
        id: i + 1,
        conn: 1,
        method: 'GET',
        path: '/',
        outcome: 'ok',
        status: 200,
        latencyMs: 3,
      })),
      {
        kind: 'mark',
        t: t0 + 1000,
        name: 'fault-step',
        step: 0,
        firing: 1,
        action: 'signal',
        signal: 'SIGKILL',
        attemptedAt: t0 + 998,
        status: 'performed',
        workers: [{ pid: 101, pool }],
      },
    ].map((r) => JSON.stringify(r));
    const d = runFolder(
      'killed-events',
      {
        status: 'running',
        owner: { pid: deadPid(), startedAt: 1, host: os.hostname() },
        scenarioConfig: { expect: [{ check: 'noFailedRequests' }], faults: [{}, {}] },
      },
      records,
    );
    const events = [
      { type: 'WorkerReady', t: t0 - 100, source: 'w3', pool, pid: 101, workerId: 1 },
      {
        type: 'WorkerCrashed',
        t: t0 + 1005,
        source: 'w3',
        pool,
        pid: 101,
        workerId: 1,
        exitCode: null,
        signal: 'SIGKILL',
        duringStartup: false,
      },
      { type: 'RequestRetried', t: t0 + 1006, source: 'w3', pool, pid: 101 },
      { type: 'WorkerStarting', t: t0 + 1010, source: 'w3', pool, pid: 102, workerId: 1 },
    ].map((e) => JSON.stringify(e));
    // The lab process died while writing the next line.
    fs.writeFileSync(path.join(d, 'events.jsonl'), events.join('\n') + '\n{"type":"WorkerRea');
    const r = rerunReport(d);
    expect(r.verdict.valid).toBe('unknown');
    expect(r.verdict.summary).toMatch(/^The run was killed before it finished/);
    // From the partial events: the crash the first step caused, the replay; the second step never fired.
    expect(r.stats.crashes).toBe(1);
    expect(r.stats.replays.retried).toBe(1);
    const faults = r.checks.find((c) => c.name === 'faultsTookEffect');
    expect(faults?.verdict.valid).toBe('unknown');
    expect(faults?.verdict.summary).toMatch(/faults\[1\] \(signal\): not-performed/);
    expect(faults?.verdict.details['byStatus']).toEqual({ confirmed: 1, 'not-performed': 1 });
    expect(fs.readFileSync(path.join(d, 'summary.md'), 'utf8')).toMatch(/killed before it finished/);
  });
});

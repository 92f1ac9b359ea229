// The example scenario container-oom.yaml end to end through the runner: in a container with a 256 MiB quota the
// leaking worker is OOM-killed by the kernel, the run records it (oom-killed mark, WorkerOomKilled event) and the
// manager replaces it (oomKillReplaced). On the process runtime the `oom` step cannot run: the step fails with a
// capability error and the verdict is unknown rather than a pass that tested nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { readHistory } from '../../history/writer';
import { runScenario } from '../../runner/run-scenario';
import { describeWithDocker } from '../../runtimes/test-support/docker-tests';
import { loadScenario } from '../load-scenario';

const FILE = path.join(__dirname, 'container-oom.yaml');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-container-oom-'));
const log = pino({ level: 'silent' });
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** The scenario with a shorter workload: the OOM kill happens within 2-3 s of the fault at 1.5 s. */
function scenario() {
  const sc = loadScenario(FILE);
  return { ...sc, workload: sc.workload.map((p) => ({ ...p, duration: 6000 })) };
}

test('is a valid scenario with the container-only oom step and a memory quota for its targets', () => {
  const sc = loadScenario(FILE);
  expect(sc.faults[0]).toMatchObject({ action: 'oom', pool: 'app', leak: { rateKBps: 1048576 } });
  expect(sc.targets['w3']).toEqual({ memoryLimitGiB: 0.25 });
});

test('on the process runtime the oom step fails with a capability error and the verdict is unknown', async () => {
  const r = await runScenario({ scenario: scenario(), scenarioFile: FILE, runtime: 'process', outDir: out, log });
  expect(r.verdict.valid).toBe('unknown');
  expect(r.verdict.summary).toMatch(
    /cannot oomKillWorker in the "process" runtime: container faults need --runtime container/,
  );
  const results = JSON.parse(fs.readFileSync(path.join(r.dir, 'results.json'), 'utf8')) as { faultErrors: string[] };
  expect(results.faultErrors).toEqual([
    expect.stringMatching(/LAB_ERR_CAPABILITY|container faults need --runtime container/),
  ]);
}, 60_000);

describeWithDocker('container-oom in a container', () => {
  test('the kernel OOM-kills the leaking worker, the run records it and w3 replaces it', async () => {
    const r = await runScenario({ scenario: scenario(), scenarioFile: FILE, runtime: 'container', outDir: out, log });
    expect({ valid: r.verdict.valid, summary: r.verdict.summary, error: r.error }).toMatchObject({ valid: true });
    const marks = readHistory(path.join(r.dir, 'history.jsonl')).filter((h) => h.kind === 'mark');
    const killed = marks.find((m) => m.name === 'oom-killed') as Record<string, unknown> | undefined;
    expect(killed).toMatchObject({ oomKillCount: expect.any(Number), replacementPid: expect.any(Number) });
    const events = fs
      .readFileSync(path.join(r.dir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e['type'] === 'WorkerOomKilled')).toMatchObject({
      pid: killed!['targetPid'],
      source: 'lab',
      pool: 'app',
    });
    const info = JSON.parse(fs.readFileSync(path.join(r.dir, 'run.json'), 'utf8')) as {
      targetRuntime?: Record<string, unknown>;
    };
    expect(info.targetRuntime).toMatchObject({ runtime: 'container', memoryLimitGiB: 0.25 });
  }, 180_000);
});

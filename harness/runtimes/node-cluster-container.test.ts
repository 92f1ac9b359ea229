// The node-cluster peer's image and container contract: builds on the local base, serves through its workers on
// the published port, answers its control endpoint on the bind-mounted socket (never published; the exec fallback
// reaches the same socket inside), keeps answering there after a container restart (the primary takes over the
// socket its killed predecessor left), runs as uid 1000, cleans up — its temp folder included.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureImage, NODE_CLUSTER_IMAGE } from './image-build';
import { removeLabContainers, LABEL_RUN } from './container-runtime';
import { requestJson } from '../../targets/w3/admin/admin-client';
import { ContainerAdminClient } from './container-admin';
import {
  startNodeClusterContainer,
  NODE_CLUSTER_CONTAINER_PORT,
  NODE_CLUSTER_CONTROL_DIR,
  type ControlRequester,
  type StartedNodeClusterContainer,
} from './node-cluster-container';
import { toContainerPath } from './w3-container';
import { describeWithDocker, testRunId } from './test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';

/** A control call that must succeed (2xx); answers the body. */
async function ok<T>(control: ControlRequester, method: string, route: string, body?: unknown): Promise<T> {
  const r = await control.requestRaw<T>(method, route, body);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${route} → ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Median of 5 sequential GET /workers. */
async function timeCalls(control: ControlRequester): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    await ok(control, 'GET', '/workers');
    ms.push(Date.now() - t0);
  }
  return ms.sort((a, b) => a - b)[2]!;
}

describeWithDocker('container runtime (node-cluster image)', () => {
  const runId = testRunId('nc');
  let nc: StartedNodeClusterContainer;

  beforeAll(async () => {
    const built = await ensureImage(NODE_CLUSTER_IMAGE);
    console.log(`node-cluster image ${built.tag}: ${built.built ? 'built' : 'cached'} in ${built.durationMs} ms`);
    nc = await startNodeClusterContainer({
      image: built.tag,
      runId,
      workers: 2,
      app: toContainerPath(path.join(repoRoot(), 'targets/apps/hello.js')),
      faultInjection: { enabled: true, token: 'nc-token' },
    });
  }, 300_000);

  afterAll(async () => {
    await nc?.container.stop({ timeoutMs: 5000 });
    await removeLabContainers(runId);
  }, 60_000);

  test('serves through its workers; control on the mounted socket; only the HTTP port is published', async () => {
    const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    await res.text();
    // A local engine: the direct path, on a socket of this machine.
    expect([nc.controlMode, nc.controlReason]).toEqual(['socket', undefined]);
    expect(fs.statSync(nc.controlHostSocket!).isSocket()).toBe(true);
    const workers = await ok<Array<{ pid: number; state: string }>>(nc.control, 'GET', '/workers');
    expect(workers.length).toBe(2);
    expect(workers.map((w) => w.pid)).toContain(Number(res.headers.get('x-worker-pid')));
    const info = JSON.parse(spawnSync('docker', ['inspect', nc.container.id], { encoding: 'utf8' }).stdout)[0];
    expect(Object.keys(info.NetworkSettings.Ports)).toEqual([`${NODE_CLUSTER_CONTAINER_PORT}/tcp`]);
    expect(info.Config.Labels[LABEL_RUN]).toBe(runId);
    for (const w of workers) {
      const r = await nc.container.exec([
        'node',
        '-e',
        `process.stdout.write(/^Uid:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/${w.pid}/status','utf8'))[1])`,
      ]);
      expect(r.stdout).toBe('1000');
    }
  }, 30_000);

  test('the fault routes still need the token on the socket', async () => {
    const [w] = await ok<Array<{ pid: number }>>(nc.control, 'GET', '/workers');
    const r = await requestJson({ socketPath: nc.controlHostSocket! }, 'POST', `/workers/${w!.pid}/faults`, {
      kind: 'error',
      status: 503,
    });
    expect(r.status).toBe(403);
  });

  test('faults reach the in-worker agent through the control endpoint (preload works in the image)', async () => {
    const workers = await ok<Array<{ pid: number }>>(nc.control, 'GET', '/workers');
    for (const w of workers) await ok(nc.control, 'POST', `/workers/${w.pid}/faults`, { kind: 'error', status: 503 });
    try {
      const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
      await res.text();
      expect(res.status).toBe(503);
    } finally {
      for (const w of workers) await ok(nc.control, 'DELETE', `/workers/${w.pid}/faults`);
    }
    const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
    await res.text();
    expect(res.status).toBe(200);
  }, 30_000);

  test('the exec fallback reaches the same socket inside the container; direct is the faster', async () => {
    const direct = await timeCalls(nc.control);
    const exec = new ContainerAdminClient(nc.container, {
      socketPath: `${NODE_CLUSTER_CONTROL_DIR}/control.sock`,
      faultToken: 'nc-token',
    });
    const viaExec = await timeCalls(exec);
    console.log(`GET /workers median: direct ${direct} ms, exec ${viaExec} ms`);
  }, 60_000);

  test('after a container restart the new primary takes over the stale socket; direct still works', async () => {
    const before = await ok<Array<{ pid: number }>>(nc.control, 'GET', '/workers');
    const from = nc.container.logLines().length;
    await nc.container.restart({ timeoutMs: 5000 });
    await nc.container.waitForLogLine((l) => l.includes('HostStarted'), { fromIndex: from, timeoutMs: 30_000 });
    const after = await ok<Array<{ pid: number }>>(nc.control, 'GET', '/workers');
    expect(after.length).toBe(2);
    expect(fs.statSync(nc.controlHostSocket!).isSocket()).toBe(true);
    expect(before.length).toBe(2);
  }, 90_000);

  test('removing the container removes the socket folder', async () => {
    const root = path.dirname(path.dirname(nc.controlHostSocket!));
    expect(fs.existsSync(root)).toBe(true);
    await nc.container.stop({ timeoutMs: 5000 });
    expect(fs.existsSync(root)).toBe(false);
  }, 60_000);
});

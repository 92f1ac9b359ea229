// The node-cluster peer's image and container contract: builds on the local base, serves through its workers on
// the published port, answers its control endpoint over exec (never published), runs as uid 1000, cleans up.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureImage, NODE_CLUSTER_IMAGE } from './image-build';
import { removeLabContainers, LABEL_RUN } from './container-runtime';
import {
  startNodeClusterContainer,
  NODE_CLUSTER_CONTAINER_PORT,
  type StartedNodeClusterContainer,
} from './node-cluster-container';
import { toContainerPath } from './w3-container';
import { describeWithDocker, testRunId } from './test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';

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

  test('serves through its workers; control endpoint over exec; only the HTTP port is published', async () => {
    const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    await res.text();
    const workers = await nc.control.request<Array<{ pid: number; state: string }>>('GET', '/workers');
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

  test('faults reach the in-worker agent through the control endpoint (preload works in the image)', async () => {
    const workers = await nc.control.request<Array<{ pid: number }>>('GET', '/workers');
    for (const w of workers)
      await nc.control.request('POST', `/workers/${w.pid}/faults`, { kind: 'error', status: 503 });
    try {
      const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
      await res.text();
      expect(res.status).toBe(503);
    } finally {
      for (const w of workers) await nc.control.request('DELETE', `/workers/${w.pid}/faults`);
    }
    const res = await fetch(`${nc.url()}/`, { signal: AbortSignal.timeout(5000) });
    await res.text();
    expect(res.status).toBe(200);
  }, 30_000);
});

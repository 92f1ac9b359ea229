// Container runtime against a real Docker engine (started by scripts/ensure-docker.sh): the w3 image builds from
// the local base without a registry, serves, runs everything as uid 1000 under an init, publishes only the HTTP
// port on loopback, keeps its labels, survives restart() on a new port, and leaves nothing behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureImage, W3_IMAGE } from './image-build';
import { removeLabContainers, LABEL_LAB, LABEL_RUN, LABEL_ROLE } from './container-runtime';
import { startW3Container, toContainerPath, W3_CONTAINER_PORT, type StartedW3Container } from './w3-container';
import { connectAdmin, W3_CONTAINER_ADMIN_DIR, type AdminRequester } from './admin-access';

/** Median of 5 sequential GET /pools (each must answer the pool list). */
async function timeCalls(admin: AdminRequester): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const pools = await admin.request<Array<{ name: string }>>('GET', '/pools');
    ms.push(Date.now() - t0);
    expect(pools.map((p) => p.name)).toEqual(['app']);
  }
  return ms.sort((a, b) => a - b)[2]!;
}
import { localBaseImage } from './docker-env';
import { describeWithDocker, testRunId } from './test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';

function docker(...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function get(url: string): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const helloConfig = (): Record<string, unknown> => ({
  pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { maxProcesses: 2 } }],
  applications: [{ path: '/', pool: 'app', module: toContainerPath(path.join(repoRoot(), 'targets/apps/hello.js')) }],
});

describeWithDocker('container runtime (w3 image)', () => {
  const runId = testRunId('rt');
  let image = '';
  let w3: StartedW3Container | null = null;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-rt-'));

  beforeAll(async () => {
    const built = await ensureImage(W3_IMAGE, { log: (m) => console.log(m) });
    image = built.tag;
    console.log(`w3 image ${built.tag}: ${built.built ? 'built' : 'cached'} in ${built.durationMs} ms`);
    w3 = await startW3Container({ image, runId, config: helloConfig(), logFile: path.join(logDir, 'w3.log') });
  }, 300_000);

  afterAll(async () => {
    await w3?.container.stop({ timeoutMs: 5000 });
    await removeLabContainers(runId);
    fs.rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  test('the image is built on the local base image (no registry) and runs as uid 1000', () => {
    const base = JSON.parse(docker('image', 'inspect', localBaseImage()))[0];
    const img = JSON.parse(docker('image', 'inspect', image))[0];
    expect(img.RootFS.Layers[0]).toBe(base.RootFS.Layers[0]);
    expect(img.Config.User).toBe('1000:1000');
  });

  test('serves GET / through a worker and logs to the file', async () => {
    const r = await get(`${w3!.url()}/`);
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello\n');
    expect(Number(r.headers.get('x-w3-worker-pid'))).toBeGreaterThan(1);
    expect(fs.readFileSync(path.join(logDir, 'w3.log'), 'utf8')).toContain('HostStarted');
  });

  test('labels, loopback-only HTTP port, no admin port, init as PID 1', () => {
    const info = JSON.parse(docker('inspect', w3!.container.id))[0];
    expect(info.Config.Labels[LABEL_LAB]).toBe('1');
    expect(info.Config.Labels[LABEL_RUN]).toBe(runId);
    expect(info.Config.Labels[LABEL_ROLE]).toBe('w3');
    expect(info.HostConfig.Init).toBe(true);
    expect(Object.keys(info.NetworkSettings.Ports)).toEqual([`${W3_CONTAINER_PORT}/tcp`]);
    for (const b of info.NetworkSettings.Ports[`${W3_CONTAINER_PORT}/tcp`]) expect(b.HostIp).toBe('127.0.0.1');
  });

  test('every process in the container (init, host, workers) is uid 1000; the admin API answers', async () => {
    const pools = await w3!.admin.request<Array<{ name: string; workers: Array<{ pid: number }> }>>('GET', '/pools');
    const workerPids = pools[0]!.workers.map((w) => w.pid);
    expect(workerPids.length).toBe(2);
    const r = await w3!.container.exec([
      'node',
      '-e',
      "const fs = require('fs'); const out = {};" +
        "for (const p of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) {" +
        "  try { const s = fs.readFileSync('/proc/' + p + '/status', 'utf8');" +
        '    out[p] = { uid: /^Uid:\\s+(\\d+)/m.exec(s)[1], name: /^Name:\\s+(.*)$/m.exec(s)[1] }; } catch {}' +
        '} console.log(JSON.stringify(out))',
    ]);
    expect(r.exitCode).toBe(0);
    const procs = JSON.parse(r.stdout) as Record<string, { uid: string; name: string }>;
    expect(procs['1']!.name).toMatch(/docker-init|tini/);
    for (const pid of workerPids) expect(procs[String(pid)]?.uid).toBe('1000');
    for (const [pid, p] of Object.entries(procs)) expect({ pid, uid: p.uid }).toEqual({ pid, uid: '1000' });
    // The admin socket is in the bind-mounted folder, never published as a port.
    const sock = await w3!.container.exec([
      'node',
      '-e',
      `console.log(require('fs').statSync('${W3_CONTAINER_ADMIN_DIR}/admin.sock').isSocket())`,
    ]);
    expect(sock.stdout.trim()).toBe('true');
  });

  test('local engine: the admin API is reached on the bind-mounted socket; exec is the fallback', async () => {
    expect(w3!.adminMode).toBe('socket');
    expect(w3!.adminReason).toBeUndefined();
    const direct = await timeCalls(w3!.admin);
    // The same request over exec, through the fallback connectAdmin takes when the host socket does not answer.
    const plan = {
      mode: 'socket' as const,
      containerSocket: `${W3_CONTAINER_ADMIN_DIR}/admin.sock`,
      hostSocket: path.join(logDir, 'no-such.sock'),
      cleanup: () => undefined,
    };
    const fallback = await connectAdmin(plan, w3!.container, { probeMs: 200 });
    expect(fallback.mode).toBe('exec');
    expect(fallback.reason).toMatch(/did not answer/);
    const exec = await timeCalls(fallback.client);
    console.log(`GET /pools median: direct ${direct} ms, exec ${exec} ms`);
  });

  test('restart() comes back ready, serves again, and logs of the new start are captured', async () => {
    const before = w3!.container.logLines().length;
    const oldPort = w3!.container.port();
    const newPort = await w3!.container.restart({ timeoutMs: 5000 });
    expect(newPort).toBe(w3!.container.port());
    expect(typeof oldPort).toBe('number');
    const r = await get(`${w3!.url()}/`);
    expect(r.status).toBe(200);
    await w3!.container.waitForLogLine((l) => l.includes('HostStarted'), { fromIndex: before, timeoutMs: 10_000 });
  }, 60_000);

  test('a container that cannot start is removed and the error shows its output', async () => {
    const bad = testRunId('rt-bad');
    await expect(
      startW3Container({
        image,
        runId: bad,
        config: { pools: [{ name: 'app', bogus: 1 }], applications: [] },
        startupTimeoutMs: 20_000,
      }),
    ).rejects.toThrow(/did not become ready[\s\S]*bogus/);
    expect(docker('ps', '-a', '-q', '--filter', `label=${LABEL_RUN}=${bad}`)).toBe('');
  }, 60_000);

  test("removeLabContainers(runId) removes the run's containers, paused ones too", async () => {
    const run = testRunId('rt-clean');
    const extra = await startW3Container({ image, runId: run, config: helloConfig() });
    await extra.container.pause();
    expect(docker('ps', '-a', '-q', '--filter', `label=${LABEL_RUN}=${run}`)).not.toBe('');
    const lines = await removeLabContainers(run);
    expect(lines.join('\n')).toMatch(/removed container/);
    expect(docker('ps', '-a', '-q', '--filter', `label=${LABEL_RUN}=${run}`)).toBe('');
    await extra.container.remove(); // idempotent after an external removal
    // The admin socket's temp folder went with the container.
    expect(extra.adminHostSocket).toBeDefined();
    expect(fs.existsSync(path.dirname(path.dirname(extra.adminHostSocket!)))).toBe(false);
  }, 120_000);
});

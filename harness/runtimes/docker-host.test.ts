// The container runtime on another Docker engine, chosen by DOCKER_HOST the way testcontainers reads it: a second
// dockerd started by this test on a TCP socket on 127.0.0.1 (test-support/second-engine.ts). ensure-docker.sh
// builds the base image on that engine, the w3 target builds its images there, serves an app from a temp folder,
// recycles and replaces a SIGKILLed worker over the admin API (that engine is on this machine, so directly on the
// bind-mounted socket: the exec fallback is for engines elsewhere), and stops; nothing of it appears on the
// machine's main engine, which keeps answering. Fails with the reason where no second engine can start.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDocker } from './docker-env';
import { LABEL_RUN } from './container-types';
import { registerWithoutEngine } from './test-support/docker-tests';
import { secondEngineUnavailable, startSecondEngine, type SecondEngine } from './test-support/second-engine';
import { createW3Target } from '../targets/w3-target';
import { get, removeRunDir, testContext, waitForEvent } from '../targets/test-support/context';
import type { StartedTarget, TargetContext } from '../targets/types';

const unavailable = secondEngineUnavailable();
const NAME = 'container runtime on another engine (DOCKER_HOST)';

/** The docker CLI against the machine's main engine, whatever this process's DOCKER_HOST is. */
function mainDocker(...args: string[]): { status: number | null; stdout: string } {
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  const r = spawnSync('docker', args, { encoding: 'utf8', env, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '' };
}

const log = (msg: string): void => void process.stderr.write(`[docker-host] ${msg}\n`);

if (unavailable) {
  process.stderr.write(`\n[${NAME}] no second Docker engine can be started here: ${unavailable}\n`);
  registerWithoutEngine(NAME, `no second engine: ${unavailable}`);
} else {
  describe(NAME, () => {
    let engine: SecondEngine;
    const saved = { host: process.env.DOCKER_HOST, override: process.env.TESTCONTAINERS_HOST_OVERRIDE };
    let appDir = '';
    let ctx: TargetContext | null = null;
    let t: StartedTarget | null = null;

    let mainAnswered = false;

    beforeAll(async () => {
      mainAnswered = mainDocker('info', '--format', '{{.ServerVersion}}').status === 0;
      engine = await startSecondEngine();
      log(`second dockerd answering on ${engine.dockerHost} after ${engine.startMs} ms (data in ${engine.dir})`);
      process.env.DOCKER_HOST = engine.dockerHost;
      appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-remote-app-'));
      fs.mkdirSync(path.join(appDir, 'node_modules', 'motd'), { recursive: true });
      fs.writeFileSync(path.join(appDir, 'package.json'), '{"name":"remote-app","private":true}');
      fs.writeFileSync(
        path.join(appDir, 'node_modules', 'motd', 'index.js'),
        "module.exports = 'served by the second engine';\n",
      );
      fs.writeFileSync(
        path.join(appDir, 'app.js'),
        "const motd = require('motd');\nmodule.exports = (req, res) => res.end(motd);\n",
      );
    }, 120_000);

    afterAll(async () => {
      await t?.kill().catch(() => undefined);
      if (ctx) removeRunDir(ctx);
      if (saved.host === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved.host;
      if (saved.override === undefined) delete process.env.TESTCONTAINERS_HOST_OVERRIDE;
      else process.env.TESTCONTAINERS_HOST_OVERRIDE = saved.override;
      await engine?.stop();
      if (appDir) fs.rmSync(appDir, { recursive: true, force: true });
    }, 120_000);

    it('ensure-docker.sh uses the engine DOCKER_HOST names and builds the base image there', () => {
      const d = ensureDocker();
      log(`ensure-docker.sh against the second engine: ${d.durationMs} ms`);
      expect(d.reason).toBeUndefined();
      expect(d.ok).toBe(true);
      expect(d.output).toContain(`at DOCKER_HOST=${engine.dockerHost}`);
      expect(engine.docker('image', 'inspect', 'w3lab/node-base:local').status).toBe(0);
    }, 300_000);

    it('the w3 target builds, serves an outside app, recycles, replaces a killed worker on that engine', async () => {
      ctx = {
        ...testContext({
          config: {
            pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }],
            applications: [{ path: '/', pool: 'app', module: path.join(appDir, 'app.js') }],
          },
        }),
        runtime: 'container',
      };
      const t0 = Date.now();
      t = await createW3Target().setup(ctx);
      await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a ready worker', 60_000);
      log(
        `w3 target up on the second engine in ${Date.now() - t0} ms ` +
          `(images built there: ${JSON.stringify(t.runtimeDetails)})`,
      );
      expect(t.runtimeDetails).toMatchObject({ adminAccess: 'socket' });
      const first = await get(`${t.endpoint.url}/`);
      expect([first.status, first.body]).toEqual([200, 'served by the second engine']);

      // The container is the second engine's, and the main engine has nothing of this run.
      const label = `label=${LABEL_RUN}=${ctx.runId}`;
      expect(engine.docker('ps', '-q', '--filter', label).stdout.trim()).not.toBe('');
      expect(mainDocker('ps', '-aq', '--filter', label).stdout.trim()).toBe('');
      expect(mainDocker('image', 'inspect', String(t.runtimeDetails?.['image'])).status).not.toBe(0);

      let from = t.events!().length;
      await t.recycle!('app');
      await waitForEvent(t, (e) => e.type === 'RecycleCompleted', 'RecycleCompleted', 60_000, from);
      const [w] = (await t.workers!('app')).filter((x) => x.state === 'Ready');
      from = t.events!().length;
      await t.signal!(w!.pid, 'SIGKILL');
      await waitForEvent(t, (e) => e.type === 'WorkerCrashed' && e.pid === w!.pid, 'WorkerCrashed', 30_000, from);
      await waitForEvent(t, (e) => e.type === 'WorkerReady' && e.pid !== w!.pid, 'a replacement', 60_000, from);
      expect((await get(`${t.endpoint.url}/`)).body).toBe('served by the second engine');

      await t.stop();
      expect(engine.docker('ps', '-aq', '--filter', label).stdout.trim()).toBe('');
      // The main engine (when this machine runs one) still answers: the second one disturbed nothing.
      if (mainAnswered) expect(mainDocker('info', '--format', '{{.ServerVersion}}').status).toBe(0);
    }, 600_000);
  });
}

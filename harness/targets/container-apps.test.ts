// Apps from anywhere in containers (runtime "container"): an app in a temp folder outside the repository — an ES
// module on Hono from its own node_modules, plus a local package only its node_modules has — and an app inside the
// repository but outside what the lab image holds, served by w3 in its container; the same outside app under the
// node-cluster target; the application layer reused while nothing changed. Fails with the reason where no Docker
// engine can be started.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWithDocker } from '../runtimes/test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { createNodeClusterTarget } from './node-cluster-target';
import { createW3Target } from './w3-target';
import type { StartedTarget, TargetContext } from './types';
import { get, removeRunDir, testContext, waitForEvent } from './test-support/context';

const write = (p: string, content: string): string => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
};

/** An app folder like a user's: package.json, its own node_modules (hono copied in, a private package). */
function makeOutsideApp(dir: string): { hono: string; plain: string } {
  write(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'shop', private: true, dependencies: { hono: '*', greeting: '1.0.0' } }),
  );
  fs.cpSync(path.join(repoRoot(), 'node_modules', 'hono'), path.join(dir, 'node_modules', 'hono'), { recursive: true });
  write(
    path.join(dir, 'node_modules', 'greeting', 'package.json'),
    '{"name":"greeting","version":"1.0.0","main":"index.js"}',
  );
  write(
    path.join(dir, 'node_modules', 'greeting', 'index.js'),
    'module.exports = (who) => `hello ${who} from a private package`;\n',
  );
  const hono = write(
    path.join(dir, 'src', 'server.mjs'),
    [
      "import { Hono } from 'hono';",
      "import greeting from 'greeting';",
      'const app = new Hono();',
      "app.get('/', (c) => c.json({ text: greeting('hono'), file: import.meta.url, pid: process.pid }));",
      'export default app;',
      '',
    ].join('\n'),
  );
  const plain = write(
    path.join(dir, 'plain.js'),
    "const greeting = require('greeting');\n" +
      "module.exports = (req, res) => res.end(greeting('node') + ' at ' + __filename);\n",
  );
  return { hono, plain };
}

function removeImage(tag: unknown): void {
  // Only the application images this file built (content-addressed by its own temp folders).
  if (typeof tag === 'string' && /^w3lab\/[a-z0-9-]+-app:/.test(tag))
    spawnSync('docker', ['rmi', tag], { encoding: 'utf8' });
}

describeWithDocker('apps from anywhere in containers', () => {
  let outside = '';
  let inRepo = '';
  let app: { hono: string; plain: string };
  let inRepoApp: string;
  const images = new Set<unknown>();
  const started: Array<{ t: StartedTarget; ctx: TargetContext }> = [];

  beforeAll(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-user-')); // 0700, as mkdtemp makes it
    // Inside the checkout but outside what the image holds (results/ is ignored by git).
    fs.mkdirSync(path.join(repoRoot(), 'results'), { recursive: true });
    inRepo = fs.mkdtempSync(path.join(repoRoot(), 'results', 'tmp-app-'));
    app = makeOutsideApp(path.join(outside, 'shop'));
    inRepoApp = write(
      path.join(inRepo, 'inrepo.js'),
      "module.exports = (req, res) => res.end('in the repository, outside the image');\n",
    );
  });

  afterAll(async () => {
    for (const s of started) {
      await s.t.kill();
      removeRunDir(s.ctx);
    }
    for (const tag of images) removeImage(tag);
    if (outside) fs.rmSync(outside, { recursive: true, force: true });
    if (inRepo) fs.rmSync(inRepo, { recursive: true, force: true });
  }, 120_000);

  async function startW3(): Promise<{ t: StartedTarget; ms: number }> {
    const ctx = {
      ...testContext({
        config: {
          pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
          applications: [
            { path: '/', pool: 'app', module: app.hono },
            { path: '/inrepo', pool: 'app', module: inRepoApp },
          ],
        },
      }),
      runtime: 'container' as const,
    };
    const t0 = Date.now();
    const t = await createW3Target().setup(ctx);
    started.push({ t, ctx });
    images.add(t.runtimeDetails?.['image']);
    await waitForEvent(t, (e) => e.type === 'WorkerReady', 'a ready worker', 60_000);
    return { t, ms: Date.now() - t0 };
  }

  it('w3 serves an outside app (own node_modules) and a repository app outside the image', async () => {
    const { t, ms } = await startW3();
    process.stderr.write(
      `[container-apps] w3 with outside apps up in ${ms} ms (${JSON.stringify(t.runtimeDetails)})\n`,
    );
    expect(t.runtimeDetails).toMatchObject({
      runtime: 'container',
      image: expect.stringMatching(/^w3lab\/w3-app:[0-9a-f]{16}$/),
    });
    const r = await get(`${t.endpoint.url}/`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { text: string; file: string };
    expect(body.text).toBe('hello hono from a private package');
    expect(body.file).toBe('file:///srv/apps/shop/src/server.mjs');
    const inside = await get(`${t.endpoint.url}/inrepo`);
    expect([inside.status, inside.body]).toEqual([200, 'in the repository, outside the image']);
    await t.stop();
  }, 300_000);

  it('a second start reuses the application image', async () => {
    const { t, ms } = await startW3();
    process.stderr.write(`[container-apps] second start (cached layer) in ${ms} ms\n`);
    expect(t.runtimeDetails).toMatchObject({ imageBuilt: false });
    expect((await get(`${t.endpoint.url}/`)).status).toBe(200);
    await t.stop();
  }, 300_000);

  it('node-cluster serves the outside app from its own image layer', async () => {
    const ctx = { ...testContext({ app: app.plain, workers: 1 }), runtime: 'container' as const };
    const t0 = Date.now();
    const t = await createNodeClusterTarget().setup(ctx);
    started.push({ t, ctx });
    images.add(t.runtimeDetails?.['image']);
    process.stderr.write(`[container-apps] node-cluster with an outside app up in ${Date.now() - t0} ms\n`);
    expect(t.runtimeDetails).toMatchObject({ image: expect.stringMatching(/^w3lab\/node-cluster-app:/) });
    const r = await get(`${t.endpoint.url}/`);
    expect([r.status, r.body]).toEqual([200, 'hello node from a private package at /srv/apps/shop/plain.js']);
    await t.stop();
  }, 300_000);
});

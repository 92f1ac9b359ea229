// w3 loads no lab module: a running host and its worker, with fault injection off, have nothing from harness/ or
// faults/ in require.cache. With fault injection on, the fault plugin is loaded (the control that shows the probe
// sees lab modules when they are there).
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, tempDir, type RunningServer } from '../test-support/server';
import { waitUntil } from '../integration-manager/test-support/manager-helpers';
import { repoRoot } from '../util/compiled-path';

const PROBE = path.join(__dirname, 'fixtures', 'module-probe.js');
const APP = path.join(__dirname, 'fixtures', 'modules-app.js');
const LAB = [path.join(repoRoot(), 'dist', 'harness') + path.sep, path.join(repoRoot(), 'dist', 'faults') + path.sep];

let server: RunningServer | null = null;
let dir: string;
beforeEach(() => {
  dir = tempDir('w3-modules-');
});
afterEach(async () => {
  await server?.stop();
  server = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function loaded(faults: boolean): Promise<{ host: string[]; worker: string[] }> {
  const out = path.join(dir, 'modules');
  server = await startServer(
    { pools: [{ name: 'app' }], applications: [{ path: '/', pool: 'app', module: APP }] },
    faults ? ['--enable-faults'] : [],
    { env: { NODE_OPTIONS: `--require ${PROBE}`, W3_TEST_MODULES_FILE: out } },
  );
  const worker = (await request(server.url, { path: '/modules' })).body.split('\n').filter(Boolean);
  const pid = server.proc.pid!;
  process.kill(pid, 'SIGUSR2');
  await waitUntil(() => fs.existsSync(`${out}.${pid}`), 10_000, 'the host module list');
  const host = fs.readFileSync(`${out}.${pid}`, 'utf8').split('\n').filter(Boolean);
  return { host, worker };
}

const fromLab = (modules: string[]): string[] =>
  modules.filter((m) => LAB.some((dirPrefix) => m.startsWith(dirPrefix)));

test('faults off: neither the host nor a worker has loaded anything from harness/ or faults/', async () => {
  const { host, worker } = await loaded(false);
  expect(host.some((m) => m.endsWith(path.join('targets', 'w3', 'host.js')))).toBe(true);
  expect(worker.some((m) => m.endsWith(path.join('targets', 'w3', 'worker', 'worker-main.js')))).toBe(true);
  expect(fromLab(host)).toEqual([]);
  expect(fromLab(worker)).toEqual([]);
});

test('faults on: the host loads the fault plugin, the worker its agent (the probe does see lab modules)', async () => {
  const { host, worker } = await loaded(true);
  expect(fromLab(host).some((m) => m.includes(path.join('faults', 'w3-plugin', 'host.js')))).toBe(true);
  expect(fromLab(worker).some((m) => m.includes(path.join('faults', 'agent', 'agent.js')))).toBe(true);
  // Not the spec parser: the worker applies what the host validated.
  expect(worker.some((m) => m.endsWith(path.join('faults', 'spec.js')))).toBe(false);
});

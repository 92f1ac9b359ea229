// A worker can never kill the host: hostile control messages from a real worker app (raw writes on the control
// descriptor, Node's internal IPC sender, the documented process.send) cost at most that worker. Every malformed
// message kills the worker and counts as a rapid-fail failure (IIS 5127); the host keeps serving, its memory stays
// bounded, and its descriptors return to the baseline.
import path from 'node:path';
import { startServer, request, type RunningServer } from '../test-support/server';
import { waitUntil } from '../integration-manager/test-support/manager-helpers';
import { baseline, expectSettled, rssKB } from './test-support/resources';

const APP = path.join(__dirname, 'fixtures', 'hostile-app.js');
/** RSS the host may gain while fending off one attack (a 64 MB message must not be held, let alone parsed). */
const RSS_MARGIN_KB = 40 * 1024;

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    pools: [
      {
        name: 'app',
        // Many attacks in one file: rapid-fail protection must not stop the pool between them.
        failure: { rapidFailProtectionMaxCrashes: 1000 },
        processModel: { pingInterval: '500ms', pingResponseTime: '30s', shutdownTimeLimit: '3s' },
      },
    ],
    applications: [{ path: '/', pool: 'app', module: APP }],
  });
});

afterAll(async () => {
  await server?.stop();
});

async function warmWorker(): Promise<number> {
  const r = await request(server.url, { path: '/' });
  expect(r.status).toBe(200);
  return Number(r.headers['x-app-pid']);
}

describe('hostile control messages on the raw control descriptor', () => {
  it.each([
    ['notjson', 'a line that is not JSON'],
    ['blank', 'an empty line'],
    ['log-constructor', 'log level "constructor"'],
    ['log-proto', 'log level "__proto__"'],
    ['proto-key', 'a "__proto__" key'],
    ['ready-other', 'ready with a socket the worker was not given'],
    ['unhealthy-64mb', 'a 64 MB unhealthy reason'],
    ['nonewline-600mb', '600 MB without a newline'],
  ])('%s (%s): the worker is killed and counted, the host serves on', async (kind) => {
    const pid = await warmWorker();
    const base = await baseline(server);
    const rss0 = rssKB(base.hostPid);
    const from = server.events.length;
    expect((await request(server.url, { path: `/raw?kind=${kind}` })).status).toBe(200);
    const killed = await server.waitForEvent((e) => e.type === 'WorkerKilled' && e.pid === pid, 20_000, from);
    expect(String(killed.reason)).toMatch(/ill-formed control message/);
    await server.waitForEvent((e) => e.type === 'RapidFailCount' && e.reason === 'malformed-message', 5000, from);
    // The host is alive and serves from a replacement.
    const after = await request(server.url, { path: '/' });
    expect(after.status).toBe(200);
    expect(Number(after.headers['x-app-pid'])).not.toBe(pid);
    expect((await server.admin.request<{ status: string }>('GET', '/health')).status).toBe('ok');
    expect(rssKB(base.hostPid) - rss0).toBeLessThan(RSS_MARGIN_KB);
    await expectSettled(server, base);
  });
});

describe('what an application can reach without the raw descriptor', () => {
  it("process._send (Node's internal IPC sender) does not exist in a w3 worker", async () => {
    const pid = await warmWorker();
    const r = await request(server.url, { path: '/internal-send' });
    expect(r.body).toBe('no process._send\n');
    expect(Number((await request(server.url, { path: '/' })).headers['x-app-pid'])).toBe(pid);
  });

  it('process.send of a bad log message is dropped with a warning, the worker lives', async () => {
    const pid = await warmWorker();
    const base = await baseline(server);
    const from = server.events.length;
    const before = server.output().length;
    await request(server.url, { path: '/send?kind=log-constructor' });
    await waitUntil(
      () => server.output().slice(before).includes('application message on the w3 control channel ignored'),
      10_000,
      'the warning',
    );
    expect(server.events.slice(from).filter((e) => e.type === 'WorkerKilled')).toEqual([]);
    expect(Number((await request(server.url, { path: '/' })).headers['x-app-pid'])).toBe(pid);
    await expectSettled(server, base);
  });

  it('process.send of a 64 MB unhealthy reason recycles the worker, reason cut, host memory bounded', async () => {
    const pid = await warmWorker();
    const base = await baseline(server);
    const rss0 = rssKB(base.hostPid);
    const from = server.events.length;
    await request(server.url, { path: '/send?kind=unhealthy-64mb' });
    const started = await server.waitForEvent((e) => e.type === 'RecycleStarted' && e.pid === pid, 20_000, from);
    expect(started.reason).toBe('IsapiUnhealthy');
    expect(String(started['detail']).length).toBeLessThanOrEqual(1024);
    await server.waitForEvent((e) => e.type === 'WorkerExited' && e.pid === pid, 20_000, from);
    expect(rssKB(base.hostPid) - rss0).toBeLessThan(RSS_MARGIN_KB);
    await expectSettled(server, base);
  });
});

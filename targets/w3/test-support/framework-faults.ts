// Test support for the framework integration tests: serves one example app with `w3lab serve` (a real server,
// real worker processes) and puts it through the two events a hosted app must survive without a failed request —
// an overlapped recycle and a SIGKILL of its worker — while keep-alive load runs. What each framework's own
// routes answer is checked by the test file; what happens under faults is the same for all and lives here.
import { loadLoop, startServer, trackedAgent, type Reply, type RunningServer } from './server';

export interface FaultRound {
  replies: Reply[];
  errors: string[];
  /** Keep-alive connections the server closed during the round (must be 0). */
  closedByServer: number;
  /** Distinct worker pids that answered (the first worker, the recycled one, the one after the kill). */
  servedBy: Set<number>;
  killedPid: number;
}

/** A w3 server with one AlwaysRunning pool serving `module` at "/", its first worker ready. */
export async function serveApp(module: string): Promise<RunningServer> {
  const server = await startServer({
    pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }],
    applications: [{ path: '/', pool: 'app', module }],
  });
  try {
    // A framework app takes a while to start (Nest loads dozens of modules); a slow start is not a failure here.
    await server.waitForEvent((e) => e.type === 'WorkerReady', 60_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function readyPid(server: RunningServer): Promise<number> {
  const pools = await server.admin.request<{ workers: { pid: number; state: string }[] }[]>('GET', '/pools');
  const w = pools[0]?.workers.find((x) => x.state === 'Ready');
  if (!w) throw new Error(`no ready worker: ${JSON.stringify(pools)}`);
  return w.pid;
}

/** Waits until the load has at least `n` more replies than `from`, or fails with what was seen. */
async function moreReplies(results: (Reply | Error)[], from: number, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (results.length < from + n) {
    if (Date.now() > deadline) throw new Error(`load stalled ${what}: ${results.length - from} replies in 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Keep-alive load on `path` (8 connections); once it flows, an overlapped recycle (waited to RecycleCompleted),
 * then SIGKILL of the ready worker (waited to the replacement's WorkerReady), with traffic between each step.
 */
export async function recycleAndKillUnderLoad(server: RunningServer, path: string): Promise<FaultRound> {
  const tracked = trackedAgent(8);
  // A request that arrives while the only worker is replaced waits for the new one, and a framework app can take
  // 20 s and more to start on a loaded machine: the client waits a minute (the property here is "none lost").
  const load = loadLoop(server.url, tracked.agent, 8, path, 60_000);
  let killedPid = 0;
  try {
    await moreReplies(load.results, 0, 50, 'before the recycle');
    let from = server.events.length;
    const out = await server.admin.request<{ recycleIds: number[] }>('POST', '/pools/app/recycle');
    await server.waitForEvent((e) => e.type === 'RecycleCompleted' && e.recycleId === out.recycleIds[0], 60_000, from);
    await moreReplies(load.results, load.results.length, 50, 'after the recycle');

    killedPid = await readyPid(server);
    from = server.events.length;
    process.kill(killedPid, 'SIGKILL');
    await server.waitForEvent((e) => e.type === 'WorkerCrashed' && e.pid === killedPid, 30_000, from);
    await server.waitForEvent((e) => e.type === 'WorkerReady' && e.pid !== killedPid, 60_000, from);
    await moreReplies(load.results, load.results.length, 50, 'after the SIGKILL');
  } finally {
    await load.stop();
  }
  const closedByServer = tracked.closedByServer();
  tracked.done();
  const replies = load.results.filter((r): r is Reply => !(r instanceof Error));
  const errors = load.results.filter((r): r is Error => r instanceof Error).map((e) => e.message);
  return { replies, errors, closedByServer, servedBy: new Set(replies.map((r) => r.workerPid)), killedPid };
}

/** The verdict every framework must get: no error, only 200s, no connection closed, three workers served. */
export function expectNoFailedRequest(round: FaultRound): void {
  expect(round.errors).toEqual([]);
  expect(round.replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.slice(0, 80)}`)).toEqual([]);
  expect(round.closedByServer).toBe(0);
  expect(round.replies.length).toBeGreaterThanOrEqual(150);
  expect(round.servedBy.size).toBeGreaterThanOrEqual(3); // first worker, recycled, replacement after the kill
  expect(round.servedBy.has(round.killedPid)).toBe(true);
}

/** The worker's log line naming the style the loader chose for the app at "/". */
export function servedStyle(server: RunningServer): string | undefined {
  return /application \/ served from \S+ as ([^"\n]+)"/.exec(server.output())?.[1];
}

// `npm run soak` (not in CI): w3 under keep-alive load for a long time with a worker recycle every 2 s. Counts
// failed requests (errors, non-200) and connections the server dropped (a keep-alive socket closed by the server);
// samples the host's RSS and open descriptors every 5 s and prints their slope (least squares, after a 60 s
// warm-up) so "flat" is a number. Settings: SOAK_MINUTES (30), SOAK_CONNECTIONS (20), SOAK_RECYCLE_MS (2000).
// The result goes to results/soak/soak-<time>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { requestJson } from '../../targets/w3/admin/admin-client';
import { repoRoot } from '../../targets/w3/util/compiled-path';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 30);
const CONNECTIONS = Number(process.env['SOAK_CONNECTIONS'] ?? 20);
const RECYCLE_MS = Number(process.env['SOAK_RECYCLE_MS'] ?? 2000);
const SAMPLE_MS = 5000;
const WARMUP_MS = 60_000;

interface Sample {
  t: number;
  rssKB: number;
  fds: number;
}

function readRssKB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Least-squares slope of y over t, per minute. */
export function slopePerMinute(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

interface SoakHost {
  host: ChildProcess;
  port: number;
  dir: string;
  admin: { socketPath: string };
}

/** w3 on a temp config (one AlwaysRunning pool, hello), returned once its first worker is Ready. */
async function startHost(root: string): Promise<SoakHost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-soak-'));
  const socketPath = path.join(dir, 'admin.sock');
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { socket: socketPath },
    logging: { level: 'warn' },
    pools: [{ name: 'app', startMode: 'AlwaysRunning' }],
    applications: [{ path: '/', pool: 'app', module: path.join(root, 'targets', 'apps', 'hello.js') }],
  };
  fs.writeFileSync(path.join(dir, 'w3.json'), JSON.stringify(config));
  const cli = path.join(root, 'bin', 'w3lab.js');
  const host = spawn(process.execPath, [cli, 'serve', '--config', path.join(dir, 'w3.json')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    host.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    host.once('exit', (code) => reject(new Error(`w3 exited with ${code}: ${err}`)));
  });
  const admin = { socketPath };
  for (;;) {
    const pools = (await requestJson(admin, 'GET', '/pools')).body as { workers: { state: string }[] }[];
    if (pools[0]?.workers.some((w) => w.state === 'Ready')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, port, dir, admin };
}

interface SoakCounts {
  ok: number;
  failed: number;
  dropped: number;
  recycles: number;
  recycleErrors: number;
}

/** A keep-alive agent that counts connections the server ends while the client still uses them as dropped. */
function countingAgent(counts: SoakCounts, stopping: () => boolean): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
  const create = agent.createConnection.bind(agent);
  (agent as unknown as { createConnection: typeof create }).createConnection = (...args: Parameters<typeof create>) => {
    const s = create(...args) as unknown as net.Socket;
    s.once('end', () => {
      if (!stopping()) counts.dropped++;
    });
    return s;
  };
  return agent;
}

/** CONNECTIONS closed loops until the deadline, a recycle every RECYCLE_MS, host RSS and descriptors sampled. */
async function runLoad(h: SoakHost): Promise<{ counts: SoakCounts; samples: Sample[] }> {
  const counts: SoakCounts = { ok: 0, failed: 0, dropped: 0, recycles: 0, recycleErrors: 0 };
  let stopping = false;
  const agent = countingAgent(counts, () => stopping);
  const deadline = Date.now() + MINUTES * 60_000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: h.port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) counts.ok++;
          else counts.failed++;
          resolve();
        });
      });
      req.on('error', () => {
        if (!stopping) counts.failed++;
        resolve();
      });
    });
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < deadline) await one();
  });
  const recycler = setInterval(() => {
    requestJson(h.admin, 'POST', '/pools/app/recycle').then(
      (r) => (r.status < 300 ? counts.recycles++ : counts.recycleErrors++),
      () => counts.recycleErrors++,
    );
  }, RECYCLE_MS);
  const samples: Sample[] = [];
  const started = Date.now();
  const pid = h.host.pid!;
  const sampler = setInterval(() => {
    samples.push({ t: Date.now() - started, rssKB: readRssKB(pid), fds: fs.readdirSync(`/proc/${pid}/fd`).length });
    const last = samples[samples.length - 1]!;
    process.stderr.write(
      `soak ${Math.round(last.t / 1000)} s: ${counts.ok} ok, ${counts.failed} failed, ${counts.dropped} dropped, ` +
        `${counts.recycles} recycles, host RSS ${Math.round(last.rssKB / 1024)} MB, ${last.fds} fds\n`,
    );
  }, SAMPLE_MS);
  await Promise.all(loops);
  stopping = true;
  clearInterval(recycler);
  clearInterval(sampler);
  agent.destroy();
  return { counts, samples };
}

/** The numbers over the steady part (after the warm-up, or the first quarter of a short run). */
function soakResult(c: SoakCounts, samples: Sample[]) {
  const steady = samples.filter((s) => s.t >= Math.min(WARMUP_MS, (MINUTES * 60_000) / 4));
  const rss = steady.map((s) => s.rssKB);
  return {
    minutes: MINUTES,
    connections: CONNECTIONS,
    recycleEveryMs: RECYCLE_MS,
    requests: c.ok + c.failed,
    ok: c.ok,
    failed: c.failed,
    droppedConnections: c.dropped,
    recycles: c.recycles,
    recycleErrors: c.recycleErrors,
    rssMB: {
      first: mb(samples[0]?.rssKB),
      min: mb(Math.min(...rss)),
      max: mb(Math.max(...rss)),
      last: mb(samples.at(-1)?.rssKB),
    },
    rssSlopeMBPerMin: round(slopePerMinute(steady.map((s) => ({ t: s.t, y: s.rssKB / 1024 })))),
    fds: { min: Math.min(...steady.map((s) => s.fds)), max: Math.max(...steady.map((s) => s.fds)) },
    fdSlopePerMin: round(slopePerMinute(steady.map((s) => ({ t: s.t, y: s.fds })))),
    samples,
  };
}

async function main(): Promise<void> {
  const root = repoRoot();
  const h = await startHost(root);
  const { counts, samples } = await runLoad(h);
  h.host.kill('SIGTERM');
  await new Promise((r) => h.host.once('exit', r));
  fs.rmSync(h.dir, { recursive: true, force: true });

  const result = soakResult(counts, samples);
  const outDir = path.join(root, 'results', 'soak');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  const { samples: _omit, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
  console.log(`written to ${file}`);
  if (counts.failed > 0 || counts.dropped > 0) process.exitCode = 1;
}

const mb = (kb: number | undefined): number => Math.round((kb ?? 0) / 102.4) / 10;
const round = (x: number): number => Math.round(x * 1000) / 1000;

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

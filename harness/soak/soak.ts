// `npm run soak` (not in CI): w3 under keep-alive load for a long time with a worker recycle every 2 s. Counts
// failed requests (errors, non-200) and connections the server dropped (a keep-alive socket closed by the server);
// samples the host's RSS and open descriptors every 5 s and prints their slope (least squares, after a 60 s
// warm-up) so "flat" is a number. Settings: SOAK_MINUTES (30), SOAK_CONNECTIONS (20), SOAK_RECYCLE_MS (2000).
// The result goes to results/soak/soak-<time>.json.
import { spawn } from 'node:child_process';
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

async function main(): Promise<void> {
  const root = repoRoot();
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
  const host = spawn(process.execPath, [path.join(root, 'bin', 'w3lab.js'), 'serve', '--config', path.join(dir, 'w3.json')], {
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

  let ok = 0;
  let failed = 0;
  let dropped = 0;
  let recycles = 0;
  let recycleErrors = 0;
  let stopping = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
  const create = agent.createConnection.bind(agent);
  (agent as unknown as { createConnection: typeof create }).createConnection = ((...args: Parameters<typeof create>) => {
    const s = create(...args) as unknown as net.Socket;
    // A keep-alive connection the server ends while the client still uses it is a dropped connection.
    s.once('end', () => {
      if (!stopping) dropped++;
    });
    return s;
  });
  const deadline = Date.now() + MINUTES * 60_000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        if (!stopping) failed++;
        resolve();
      });
    });
  const loops = Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < deadline) await one();
  });
  const recycler = setInterval(() => {
    requestJson(admin, 'POST', '/pools/app/recycle').then(
      (r) => (r.status < 300 ? recycles++ : recycleErrors++),
      () => recycleErrors++,
    );
  }, RECYCLE_MS);
  const samples: Sample[] = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    samples.push({ t: Date.now() - started, rssKB: readRssKB(host.pid!), fds: fs.readdirSync(`/proc/${host.pid}/fd`).length });
    const last = samples[samples.length - 1]!;
    process.stderr.write(`soak ${Math.round(last.t / 1000)} s: ${ok} ok, ${failed} failed, ${dropped} dropped, ${recycles} recycles, host RSS ${Math.round(last.rssKB / 1024)} MB, ${last.fds} fds\n`);
  }, SAMPLE_MS);
  await Promise.all(loops);
  stopping = true;
  clearInterval(recycler);
  clearInterval(sampler);
  agent.destroy();
  host.kill('SIGTERM');
  await new Promise((r) => host.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });

  const steady = samples.filter((s) => s.t >= Math.min(WARMUP_MS, (MINUTES * 60_000) / 4));
  const result = {
    minutes: MINUTES,
    connections: CONNECTIONS,
    recycleEveryMs: RECYCLE_MS,
    requests: ok + failed,
    ok,
    failed,
    droppedConnections: dropped,
    recycles,
    recycleErrors,
    rssMB: { first: mb(samples[0]?.rssKB), min: mb(Math.min(...steady.map((s) => s.rssKB))), max: mb(Math.max(...steady.map((s) => s.rssKB))), last: mb(samples.at(-1)?.rssKB) },
    rssSlopeMBPerMin: round(slopePerMinute(steady.map((s) => ({ t: s.t, y: s.rssKB / 1024 })))),
    fds: { min: Math.min(...steady.map((s) => s.fds)), max: Math.max(...steady.map((s) => s.fds)) },
    fdSlopePerMin: round(slopePerMinute(steady.map((s) => ({ t: s.t, y: s.fds })))),
    samples,
  };
  const outDir = path.join(root, 'results', 'soak');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  const { samples: _omit, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
  console.log(`written to ${file}`);
  if (failed > 0 || dropped > 0) process.exitCode = 1;
}

const mb = (kb: number | undefined): number => Math.round((kb ?? 0) / 102.4) / 10;
const round = (x: number): number => Math.round(x * 1000) / 1000;

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

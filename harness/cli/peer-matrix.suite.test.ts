// The reduced peer matrix CI runs: worker-crash and overlapped-recycle on every process target (w3, node-cluster, PM2,
// nginx, HAProxy, Gunicorn), through the real CLI. Every cell must really run (no "not supported", no start error), the
// matrix files must exist and link (relatively) to the run reports inside the matrix folder, and no peer process
// (nginx, HAProxy, PM2's God, backends) may outlive the command.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import type { MatrixRun } from '../results/matrix';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-matrix-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Processes whose command line or environment mentions the matrix's results folder (run folders live there). */
function leftovers(): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if ((cmd.includes(out) || env.includes(out)) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')))
        found.push(`${pid} ${cmd}`);
    } catch {
      /* gone or not ours to read */
    }
  }
  return found;
}

test('w3lab matrix worker-crash overlapped-recycle on w3, node-cluster, pm2, nginx, haproxy and gunicorn', () => {
  const targets = ['w3', 'node-cluster', 'pm2', 'nginx', 'haproxy', 'gunicorn'];
  const args = [BIN, 'matrix', 'worker-crash', 'overlapped-recycle', '--targets', targets.join(','), '--out', out];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 });
  expect([0, 1, 2]).toContain(r.status);
  const dir = path.join(out, 'matrix');
  const stamp = fs.readdirSync(dir).find((d) => d !== 'latest')!;
  const matrixDir = path.join(dir, stamp);
  // The runs are the matrix's: nothing beside it in the results folder, no <out>/latest moved to a peer's run.
  expect(fs.readdirSync(out).sort()).toEqual(['matrix']);
  const m = JSON.parse(fs.readFileSync(path.join(dir, stamp, 'matrix.json'), 'utf8')) as {
    cells: { scenario: string; target: string; runs: MatrixRun[] }[];
  };
  expect(m.cells.map((c) => `${c.scenario}×${c.target}`).sort()).toEqual(
    ['worker-crash', 'overlapped-recycle'].flatMap((s) => targets.map((t) => `${s}×${t}`)).sort(),
  );
  for (const c of m.cells) {
    const run = c.runs[0]!;
    expect(run.dir).toBe(path.join(c.target, c.scenario));
    const info = JSON.parse(fs.readFileSync(path.join(matrixDir, run.dir, 'run.json'), 'utf8')) as { status: string };
    expect([c.target, c.scenario, run.outcome, info.status]).toEqual([
      c.target,
      c.scenario,
      expect.stringMatching(/^(pass|fail|unknown)$/),
      'finished',
    ]);
    expect(run.requests).toBeGreaterThan(100);
    // Every peer's adapter reports what happened in the lab's vocabulary: a crash and its replacement, recycles.
    if (c.scenario === 'worker-crash') expect([c.target, run.recoveryMs]).toEqual([c.target, expect.any(Number)]);
    else expect([c.target, run.recycleMs]).toEqual([c.target, expect.any(Number)]);
  }
  // A killed cluster worker takes its keep-alive connections with it: the reference the proxies are compared with.
  const cluster = m.cells.find((c) => c.scenario === 'worker-crash' && c.target === 'node-cluster')!.runs[0]!;
  const checks = JSON.parse(fs.readFileSync(path.join(matrixDir, cluster.dir, 'results.json'), 'utf8')).checks as {
    name: string;
    verdict: { valid: unknown };
  }[];
  expect(checks.find((c) => c.name === 'connectionsSurvive')!.verdict.valid).toBe(false);
  const html = fs.readFileSync(path.join(dir, stamp, 'matrix.html'), 'utf8');
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((l) => l[1]!);
  expect(links.sort()).toEqual(m.cells.map((c) => `${c.target}/${c.scenario}/report.html`).sort());
  for (const l of links) expect(fs.existsSync(path.join(matrixDir, l))).toBe(true);
  const md = fs.readFileSync(path.join(dir, stamp, 'matrix.md'), 'utf8');
  expect(md).toMatch(/\| scenario \| w3 \| node-cluster \| pm2 \| nginx \| haproxy \| gunicorn \|/);
  expect(leftovers()).toEqual([]);
}, 660_000);

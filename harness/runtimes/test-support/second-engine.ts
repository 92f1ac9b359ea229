// Test support: a second, private Docker engine on this machine, reached over TCP on 127.0.0.1 — the stand-in for
// "some other engine" (DOCKER_HOST) in tests. It must not disturb the machine's main engine, which other runs use:
//   - its own data-root, exec-root (its own containerd) and pidfile, all under one temp folder;
//   - its own bridge interface and subnet (the main engine keeps docker0), no iptables rules, no sysctl changes,
//     published ports through the userland proxy; its containers' cgroups under their own parent;
//   - stop() ends that dockerd (and with it its containerd), unmounts what it left under the temp folder,
//     removes the bridge, its cgroup folders and the temp folder. Nothing of the main engine is touched.
// Needs root, dockerd, docker-proxy and `ip`; secondEngineUnavailable() says why not, for a visible skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SecondEngine {
  /** DOCKER_HOST value, tcp://127.0.0.1:<port>. */
  dockerHost: string;
  dir: string;
  logFile: string;
  /** Milliseconds from spawn until the engine answered. */
  startMs: number;
  /** The docker CLI against this engine. */
  docker(...args: string[]): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Why a second engine cannot be started here, or null when it can. */
export function secondEngineUnavailable(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (dockerd and a bridge interface)';
  for (const cmd of ['dockerd', 'docker-proxy', 'docker', 'ip']) if (!onPath(cmd)) return `\`${cmd}\` is not installed`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** A /24 in 10.213.0.0/16 that no interface or route of this machine uses. */
function freeSubnet(): string {
  const used = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout;
  for (let i = 0; i < 50; i++) {
    const octet = 1 + crypto.randomInt(253);
    if (!used.includes(`10.213.${octet}.`)) return `10.213.${octet}`;
  }
  throw new Error('no free 10.213.x.0/24 subnet for the second engine');
}

function answers(dockerHost: string): boolean {
  return (
    spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
      timeout: 5000,
      env: { ...process.env, DOCKER_HOST: dockerHost },
    }).status === 0
  );
}

/** Mount points under `dir` (deepest first), from /proc/mounts. */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}

/** Removes the (empty, once its containers are gone) cgroup folders of the engine's cgroup parent, deepest first. */
function removeCgroups(parent: string): void {
  const root = '/sys/fs/cgroup';
  const tops = [path.join(root, parent)];
  try {
    for (const c of fs.readdirSync(root)) tops.push(path.join(root, c, parent));
  } catch {
    return;
  }
  const rmTree = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      /* still in use, or not ours to remove */
    }
  };
  tops.forEach(rmTree);
}

export async function startSecondEngine(opts: { waitMs?: number } = {}): Promise<SecondEngine> {
  const reason = secondEngineUnavailable();
  if (reason) throw new Error(`a second Docker engine cannot be started here: ${reason}`);
  // Short: containerd's socket lives under exec-root and a Unix socket path has 107 bytes at most.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3d-'));
  const id = crypto.randomBytes(3).toString('hex');
  const bridge = `w3lab-${id}`; // at most 15 characters (IFNAMSIZ)
  const cgroupParent = `w3lab-engine-${id}`;
  const subnet = freeSubnet();
  const port = await freePort();
  const dockerHost = `tcp://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'dockerd.log');
  let proc: ChildProcess | null = null;
  let bridgeMade = false;

  const stop = async (): Promise<void> => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      const hard = setTimeout(() => proc?.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(hard);
    }
    for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
    if (bridgeMade) spawnSync('ip', ['link', 'del', bridge]);
    removeCgroups(cgroupParent);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    ip('link', 'add', 'name', bridge, 'type', 'bridge');
    bridgeMade = true;
    ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    const log = fs.openSync(logFile, 'a');
    const t0 = Date.now();
    proc = spawn(
      'dockerd',
      [
        '--host',
        dockerHost,
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'docker.pid'),
        '--bridge',
        bridge,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--cgroup-parent',
        cgroupParent,
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const deadline = Date.now() + (opts.waitMs ?? 60_000);
    while (!answers(dockerHost)) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`dockerd exited (${proc.exitCode ?? proc.signalCode})`);
      if (Date.now() > deadline)
        throw new Error(`dockerd did not answer on ${dockerHost} within ${opts.waitMs ?? 60_000} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const startMs = Date.now() - t0;
    return {
      dockerHost,
      dir,
      logFile,
      startMs,
      docker: (...args: string[]) => {
        const r = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost } });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      stop,
    };
  } catch (err) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    await stop();
    throw new Error(`${(err as Error).message}${tail ? `\n--- dockerd log ---\n${tail}` : ''}`, { cause: err });
  }
}

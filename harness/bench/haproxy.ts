// HAProxy as the reference C reverse proxy in front of the bare Node app: one process, one thread, HTTP mode with
// keep-alive on both sides and `http-reuse always` (idle server connections are shared between client
// connections, HAProxy's fastest setting), no logging; maxconn is left to HAProxy (derived from the fd limit).
// Run in the foreground on a generated config in a temp dir.
import fs from 'node:fs';
import path from 'node:path';
import { sleep, type ManagedProcess, type ProcessRegistry } from './managed-process';
import { canConnect, freePort } from './ports';
import { launch, tempDir, type Launcher, type StartedServer } from './servers';

export function haproxyConfig(upstreamPort: number, listenPort: number): string {
  return [
    'global',
    '  nbthread 1',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-keep-alive 120s',
    'frontend fe',
    `  bind 127.0.0.1:${listenPort}`,
    '  default_backend be',
    'backend be',
    '  http-reuse always',
    `  server app 127.0.0.1:${upstreamPort}`,
    '',
  ].join('\n');
}

/** HAProxy (foreground, 1 thread) proxying to 127.0.0.1:upstreamPort. */
export async function startHaproxy(
  bin: string,
  upstreamPort: number,
  registry: ProcessRegistry,
  launcher?: Launcher,
): Promise<StartedServer> {
  const dir = tempDir('w3lab-bench-haproxy-', registry);
  const port = await freePort();
  const conf = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(conf, haproxyConfig(upstreamPort, port));
  let proc: ManagedProcess | undefined;
  const stop = async (how: 'stop' | 'kill'): Promise<void> => {
    if (proc) await (how === 'stop' ? proc.stop('SIGTERM', 5000) : proc.kill());
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    proc = launch('haproxy', bin, ['-db', '-f', conf], registry, launcher);
    const readyMs = launcher?.readyTimeoutMs ?? 10_000;
    const deadline = Date.now() + readyMs;
    while (!(await canConnect(port))) {
      if (proc.exited()) throw new Error(`haproxy exited before accepting connections:\n${proc.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`haproxy did not accept on ${port} within ${readyMs} ms:\n${proc.tail()}`);
      await sleep(50);
    }
    const started = proc;
    return {
      name: 'haproxy',
      url: `http://127.0.0.1:${port}`,
      port,
      processes: [started],
      stop: () => stop('stop'),
      kill: () => stop('kill'),
    };
  } catch (err) {
    await stop('kill');
    throw err;
  }
}

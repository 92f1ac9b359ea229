// Binding the admin API's Unix socket safely:
//  - never unlink a live socket: a path that exists is probed by connecting; if something answers, another host
//    owns it and this one fails with W3_ERR_ADMIN_SOCKET_IN_USE without touching it (a second `serve` with the same
//    config used to unlink the first host's socket and leave it unreachable); only a socket nobody listens on (a
//    host that died) is removed, and a path that is not a socket is never removed;
//  - created with mode 0600 from the start: the bind runs under umask 0177, so there is no moment in which the
//    socket exists with looser permissions (chmod after listen left such a window).
import fs from 'node:fs';
import net from 'node:net';
import type http from 'node:http';

export class AdminSocketError extends Error {
  constructor(
    readonly code: 'W3_ERR_ADMIN_SOCKET_IN_USE' | 'W3_ERR_ADMIN_SOCKET_PATH',
    message: string,
  ) {
    super(message);
    this.name = 'AdminSocketError';
  }
}

const PROBE_TIMEOUT_MS = 1000;

export async function bindPrivateSocket(server: http.Server, socketPath: string): Promise<void> {
  await clearStale(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A Unix socket server binds synchronously inside listen(), so the umask only has to cover this call.
    const old = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
}

async function clearStale(socketPath: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(socketPath);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    throw new AdminSocketError(
      'W3_ERR_ADMIN_SOCKET_PATH',
      `admin socket ${socketPath} exists and is not a socket; not replacing it`,
    );
  }
  if (await answers(socketPath)) {
    throw new AdminSocketError(
      'W3_ERR_ADMIN_SOCKET_IN_USE',
      `admin socket ${socketPath} is in use by a running server; stop it first or give this one another admin.socket`,
    );
  }
  await fs.promises.unlink(socketPath).catch(() => undefined);
}

/** True when something accepts a connection on the socket (a live server); false for a stale file. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    const done = (live: boolean): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(live);
    };
    // A server too busy to accept within the timeout is still a server: treat silence as live.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    c.once('connect', () => done(true));
    c.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

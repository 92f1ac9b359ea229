// One private directory per host for the workers' sockets: `$TMPDIR/w3-<host pid>-<random>`, mode 0700, created
// before any socket exists and removed when the host exits. A socket inside it is reachable by this user only,
// whatever the umask (a worker socket reachable by another user would bypass the listener: limits, routing,
// queue). The random part makes the paths unpredictable; directories left by hosts that died without cleaning up
// (SIGKILL) are swept at the next start — only those of this user whose host pid is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'w3-';
const NAME = /^w3-(\d+)-[A-Za-z0-9]{6}$/;
/** Worker sockets of older w3 versions, which lived directly in $TMPDIR: swept the same way. */
const LEGACY_SOCKET = /^w3-(\d+)-[A-Za-z0-9._-]+-\d+\.sock$/;

export class RuntimeDir {
  private removed = false;

  private constructor(readonly path: string) {}

  static create(base = os.tmpdir()): RuntimeDir {
    sweepStale(base);
    const dir = fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
    // mkdtemp asks for 0700 but the umask could take bits away; chmod is not subject to it.
    fs.chmodSync(dir, 0o700);
    return new RuntimeDir(dir);
  }

  /** A worker's socket: short (a Unix socket path is limited to 107 bytes) and unique within the host. */
  workerSocket(workerId: number): string {
    return path.join(this.path, `w${workerId}.sock`);
  }

  /** Synchronous so that it also works from an 'exit' handler; idempotent. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}

/** Removes runtime directories of this user whose host process no longer exists. */
export function sweepStale(base = os.tmpdir()): string[] {
  const swept: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return swept;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = NAME.exec(name) ?? LEGACY_SOCKET.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const dir = path.join(base, name);
    try {
      const st = fs.lstatSync(dir);
      const kind = NAME.test(name) ? st.isDirectory() : st.isSocket();
      if (!kind || (uid !== undefined && st.uid !== uid)) continue;
      if (alive(Number(m[1]))) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      swept.push(dir);
    } catch {
      /* raced with its owner or another sweeper: leave it */
    }
  }
  return swept;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

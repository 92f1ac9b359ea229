// LineChannel's send(): the `flushed` callback means "this message has left the process" — a worker starts a fault
// that takes it over (crash, blocked loop) only then, so the fault's ack cannot be stranded in its write queue.
// Shown against a real Unix socket whose reader stops reading, which backs the writer up as a slow host would.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LineChannel } from './line-channel';

let dir: string;
let server: net.Server;
let writer: net.Socket;
let reader: net.Socket;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-line-'));
  const accepted = new Promise<net.Socket>((resolve) => {
    server = net.createServer(resolve);
  });
  await new Promise<void>((r) => server.listen(path.join(dir, 's'), r));
  writer = net.connect(path.join(dir, 's'));
  await new Promise((r) => writer.once('connect', r));
  reader = await accepted;
});

afterEach(async () => {
  writer.destroy();
  reader.destroy();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const channel = (): LineChannel =>
  new LineChannel(writer, { maxLineBytes: 1 << 20, onMessage: () => undefined, onViolation: () => undefined });

test('flushed runs only once a backed-up message has left, i.e. once the peer reads again', async () => {
  reader.pause();
  const ch = channel();
  const chunk = 'x'.repeat(64 * 1024);
  let n = 0;
  while (ch.send({ chunk }) && n < 10_000) n++;
  let flushed = false;
  const left = new Promise<void>((resolve) => ch.send({ type: 'ack' }, () => ((flushed = true), resolve())));
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 10));
  expect(flushed).toBe(false); // still queued in this process behind what the kernel took
  reader.resume();
  await left; // and out once the peer drains the socket
});

test('flushed still runs, on a later turn, when nothing could be queued (closed, or not serialisable)', async () => {
  const ch = channel();
  const calls: string[] = [];
  const circular: Record<string, unknown> = {};
  circular['self'] = circular;
  expect(ch.send(circular, () => calls.push('circular'))).toBe(false);
  ch.close();
  expect(ch.send({ type: 'x' }, () => calls.push('closed'))).toBe(false);
  expect(calls).toEqual([]); // never synchronously: callers may still be setting up
  await new Promise((r) => setImmediate(r));
  expect(calls).toEqual(['circular', 'closed']);
});

// The stdout writer at exit: with a reader that is slow, part of the log is still with us; flushSync() must hand the
// reader exactly the rest — every line once, in order, none cut — however the kernel split the write in flight.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipeWriter } from './pipe-writer';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-pipe-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a reader that is slow gets every line exactly once, in order, after flushSync', async () => {
  const fifo = path.join(dir, 'fifo');
  const out = path.join(dir, 'out');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // Read-write: opening does not wait for a reader, and the pipe stays open whatever the reader does.
  const fd = fs.openSync(fifo, 'r+');
  const reader = spawn('sh', ['-c', 'sleep 1; exec cat < "$0" > "$1"', fifo, out], { stdio: 'ignore' });
  const writer = PipeWriter.open(fd, 16 * 1024 * 1024, () => undefined)!;
  expect(writer).not.toBeNull();
  // Lines above PIPE_BUF (4 KB): the kernel takes part of one (a pipe write of up to 4 KB is all or nothing).
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(5000 + (i % 97))}\n`);
  for (const l of lines) writer.write(l);
  // The pipe holds 64 KB; the rest (about 1.4 MB) is still ours, part of it the tail of the write in flight.
  expect(writer.pendingBytes).toBeGreaterThan(1_000_000);
  writer.flushSync(); // blocks until the reader has taken it all (it starts after 1 s)
  expect(writer.pendingBytes).toBe(0);
  // The event loop goes on (at a real exit it would not): nothing may be sent twice; later lines go synchronously.
  await new Promise((r) => setTimeout(r, 100));
  expect(writer.write('after the flush\n')).toBe(true);
  writer.flushSync();
  const closed = new Promise((r) => reader.once('exit', r));
  fs.closeSync(fd); // with the stream's descriptor gone too, the reader sees the end of the pipe
  await closed;
  expect(fs.readFileSync(out, 'utf8')).toBe(lines.join('') + 'after the flush\n');
});

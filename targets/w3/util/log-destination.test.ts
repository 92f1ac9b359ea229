// Asynchronous log files: lines are written off the event loop, a file rolls over at its size with the header
// repeated, at most `keep` old files stay, nothing is lost, flushSync() writes what is still buffered, and flush()
// waits for it without blocking.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogDestination } from './log-destination';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-logdest-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

test('rolls over at truncateSize, keeps `keep` old files, each starting with the header; no line lost', async () => {
  const file = path.join(dir, 'httperr.log');
  const d = new LogDestination({ file, truncateSize: 64 * 1024, keep: 2, header: () => '#Fields: x\n' });
  const line = 'y'.repeat(1000) + '\n';
  let written = 0;
  for (let i = 0; i < 300; i++) {
    d.write(`${i} ${line}`);
    written++;
    if (i % 20 === 0) await settle(); // let roll-overs happen between bursts, as on a live server
  }
  await d.close();
  const files = fs.readdirSync(dir).sort();
  expect(files).toEqual(['httperr.log', 'httperr.log.1', 'httperr.log.2']);
  for (const f of files) expect(fs.readFileSync(path.join(dir, f), 'utf8').startsWith('#Fields: x\n')).toBe(true);
  // A file passes the size by at most the one line that reached it (lines are ≤ 1005 bytes).
  for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThan(64 * 1024 + 1010);
  // Older files than `keep` are gone: the lines still present are the newest ones, in order, none missing.
  const numbers = ['httperr.log.2', 'httperr.log.1', 'httperr.log']
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => /^\d+ /.test(l))
    .map((l) => Number(l.split(' ')[0]));
  expect(numbers.length).toBeGreaterThan(100);
  expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => written - numbers.length + i));
  expect(d.dropped).toBe(0);
});

/** Holds every rename until release() — a roll-over on a loaded machine, whose thread pool is slow to rename. */
function slowRenames(): { release: () => void; started: () => number } {
  const real = fs.promises.rename.bind(fs.promises);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => (open = r));
  let calls = 0;
  jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
    calls++;
    await gate;
    return real(from, to);
  });
  return { release: () => open(), started: () => calls };
}

afterEach(() => jest.restoreAllMocks());

const numbered = (files: string[]): number[] =>
  files
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => /^\d+ /.test(l))
    .map((l) => Number(l.split(' ')[0]));

test('lines written during a slow roll-over start the new file: no file grows past its size, none lost', async () => {
  const renames = slowRenames();
  const file = path.join(dir, 'httperr.log');
  const d = new LogDestination({ file, truncateSize: 64 * 1024, keep: 3, header: () => '#Fields: x\n' });
  const line = 'y'.repeat(1000) + '\n';
  let i = 0;
  while (renames.started() === 0) d.write(`${i++} ${line}`); // up to the size: the roll-over starts
  const first = i - 1; // the line that started it is the first one held
  for (let k = 0; k < 100; k++) {
    d.write(`${i++} ${line}`);
    if (k % 10 === 0) await settle(); // the old file's writes complete meanwhile; the renames do not
  }
  expect(fs.statSync(file).size).toBeLessThan(64 * 1024 + 1010);
  renames.release();
  await d.close();
  const files = fs.readdirSync(dir).sort();
  expect(files).toEqual(['httperr.log', 'httperr.log.1', 'httperr.log.2']);
  for (const f of files) expect(fs.readFileSync(path.join(dir, f), 'utf8').startsWith('#Fields: x\n')).toBe(true);
  for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThan(64 * 1024 + 1010);
  // The file rolled over first holds the lines up to the size; the held ones follow in the next files, in order.
  expect(numbered(['httperr.log.2'])).toEqual(Array.from({ length: first }, (_, n) => n));
  expect(numbered(['httperr.log.2', 'httperr.log.1', 'httperr.log'])).toEqual(Array.from({ length: i }, (_, n) => n));
  expect(d.dropped).toBe(0);
});

test('flush() during a slow roll-over resolves only once the held lines are in the new file', async () => {
  const renames = slowRenames();
  const file = path.join(dir, 'host.log');
  const d = new LogDestination({ file, truncateSize: 10 * 1024, keep: 1 });
  const line = 'y'.repeat(100) + '\n';
  let i = 0;
  while (renames.started() === 0) d.write(`${i++} ${line}`);
  const first = i - 1;
  for (let k = 0; k < 20; k++) d.write(`${i++} ${line}`);
  let flushed = false;
  const flushing = d.flush().then(() => (flushed = true));
  await settle();
  expect(flushed).toBe(false); // 21 lines are held for the new file, which the renames keep from opening
  renames.release();
  await flushing;
  expect(numbered(['host.log.1'])).toEqual(Array.from({ length: first }, (_, n) => n));
  expect(numbered(['host.log'])).toEqual(Array.from({ length: 21 }, (_, n) => first + n));
  await d.close();
  expect(d.dropped).toBe(0);
});

test('flushSync() during a slow roll-over writes the held lines to the current file (the exit hook)', async () => {
  const renames = slowRenames();
  const file = path.join(dir, 'host.log');
  const d = new LogDestination({ file, truncateSize: 10 * 1024, keep: 1 });
  const line = 'y'.repeat(100) + '\n';
  let i = 0;
  while (renames.started() === 0) d.write(`${i++} ${line}`);
  for (let k = 0; k < 20; k++) d.write(`${i++} ${line}`);
  d.flushSync();
  // Every line, once — but the first: that write was handed to the OS before the flush and completes on its own
  // thread, late on a loaded machine (as in the test below); it is checked after close().
  const rest = numbered(['host.log']).filter((n) => n !== 0);
  expect(rest.sort((a, b) => a - b)).toEqual(Array.from({ length: i - 1 }, (_, n) => n + 1));
  renames.release();
  d.write(`${i++} ${line}`);
  await d.close();
  const all = numbered(['host.log.1', 'host.log']);
  expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: i }, (_, n) => n));
  expect(d.dropped).toBe(0);
});

test('flushSync writes what is buffered, synchronously (the exit hook)', () => {
  const file = path.join(dir, 'host.log');
  const d = new LogDestination({ file, truncateSize: 1 << 30, keep: 1 });
  for (let i = 0; i < 1000; i++) d.write(`line ${i}\n`);
  d.flushSync();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  // Every line is in the file when flushSync returns. The one write already handed to the OS before the flush (the
  // first line here) completes on its own thread and may land after the flushed ones; all others keep their order.
  expect(lines).toHaveLength(1000);
  const numbers = lines.map((l) => Number(l.split(' ')[1]));
  expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  const rest = numbers.filter((n) => n !== 0);
  expect(rest).toEqual(Array.from({ length: 999 }, (_, i) => i + 1));
});

test('flush() resolves once every line written so far is in the file, in order; the file stays open', async () => {
  const file = path.join(dir, 'host.log');
  const d = new LogDestination({ file, truncateSize: 1 << 30, keep: 1 });
  await d.flush(); // nothing written: at once
  const pad = 'x'.repeat(200);
  for (let i = 0; i < 5000; i++) d.write(`line ${i} ${pad}\n`); // ~1 MB: many asynchronous writes
  await d.flush();
  const numbers = (): number[] =>
    fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[1]));
  expect(numbers()).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  d.write(`line 5000 ${pad}\n`);
  await d.flush();
  expect(numbers()).toHaveLength(5001);
  await d.close();
  expect(d.dropped).toBe(0);
});

test('a write never blocks: 50 MB handed over returns at once; beyond the buffer limit is dropped and counted', () => {
  const file = path.join(dir, 'flood.log');
  const d = new LogDestination({ file, truncateSize: 1 << 30, keep: 1 });
  const chunk = 'z'.repeat(64 * 1024) + '\n';
  const t0 = Date.now();
  for (let i = 0; i < 800; i++) d.write(chunk);
  // Synchronous writes of 50 MB would take seconds on this disk; handing them over is memory work only.
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(d.dropped).toBeGreaterThan(0);
});

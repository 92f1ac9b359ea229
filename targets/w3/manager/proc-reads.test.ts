// /proc is read asynchronously: the host's one event loop serves every connection, and the health tick reads each
// worker's memory every 500 ms and a throttled worker's CPU every 100 ms. The samplers must work with every
// synchronous file read forbidden, and no module on the host's serving path (manager, listener, admin, events,
// control) calls a synchronous fs function — except what runs once at start-up, listed here with the reason.
import fs from 'node:fs';
import path from 'node:path';
import { sampleCpuMs, sampleMemory } from './memory-sampler';

afterEach(() => jest.restoreAllMocks());

test('memory and CPU samples of a live process come without any synchronous read', async () => {
  const forbid = (): never => {
    throw new Error('synchronous read on the event loop');
  };
  jest.spyOn(fs, 'readFileSync').mockImplementation(forbid);
  jest.spyOn(fs, 'readSync').mockImplementation(forbid);
  jest.spyOn(fs, 'openSync').mockImplementation(forbid);
  const pending = [sampleMemory(process.pid), sampleCpuMs(process.pid)];
  expect(pending.every((p) => p instanceof Promise)).toBe(true);
  const [mem, cpu] = await Promise.all(pending);
  expect((mem as { privateKB: number }).privateKB).toBeGreaterThan(0);
  expect(cpu).toEqual(expect.any(Number));
  await expect(sampleMemory(2 ** 22 + 12345)).resolves.toBeNull(); // a pid that cannot exist: null, no throw
});

const START_UP_ONLY: Record<string, string> = {
  'listener/connection-limit.ts': 'reads /proc/self/limits once, when the listener is created',
};

test('no synchronous fs call on the serving path of the host', () => {
  const root = path.resolve(__dirname, '..');
  const files = ['manager', 'listener', 'admin', 'events', 'control'].flatMap((d) =>
    fs
      .readdirSync(path.join(root, d))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `${d}/${f}`),
  );
  expect(files.length).toBeGreaterThan(30);
  const offending = files.flatMap((f) => {
    if (START_UP_ONLY[f]) return [];
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    // fs.readFileSync(…) as well as an imported readFileSync(…); our own flushSync() is not an fs function.
    const calls = [...text.matchAll(/\b(\w+Sync)\(/g)].map((m) => m[1]!).filter((name) => name in fs);
    return calls.map((name) => `${f}: ${name}`);
  });
  expect(offending).toEqual([]);
});

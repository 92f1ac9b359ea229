// Leak faults measured where the numbers mean something: each test runs the compiled agent in a child process of
// its own (fixtures/leak-probe.js) that reports process.memoryUsage() before the leak, while it holds its memory
// and after heal. In the shared Jest process other tests' garbage and GC timing move the same numbers by tens of
// megabytes, which made the old in-process checks both flaky and unable to tell a real leak from noise.
import { requireFreshBuild, dist, fixture, runNode } from '../test-support/dist';

beforeAll(() => requireFreshBuild());

type Memory = NodeJS.MemoryUsage;
interface Probe {
  before: Memory;
  during: Memory;
  leakedAtStop: number;
  leakedLater: number;
  activeAfterStop: number;
  leakedAfterHeal: number;
  after: Memory;
}

async function probe(spec: object): Promise<Probe> {
  const args = ['--expose-gc', fixture('leak-probe.js'), dist('faults/agent/agent'), dist('faults/spec')];
  const r = await runNode([...args, JSON.stringify(spec)], {}, 60_000);
  if (r.code !== 0) throw new Error(`leak probe exited ${r.code ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Probe;
}

const MB = 1024 * 1024;

test('off-heap leak allocates real, resident buffers up to its cap, and heal gives them back', async () => {
  const capKB = 40 * 1024;
  const cap = capKB * 1024;
  const p = await probe({ kind: 'leak', space: 'offheap', rateKBps: 200 * 1024, capKB });
  expect(p.leakedAtStop).toBe(cap); // reached, and never past it
  expect(p.leakedLater).toBe(cap);
  expect(p.during.arrayBuffers - p.before.arrayBuffers).toBeGreaterThan(cap * 0.9);
  // Filled with a non-zero byte, so the pages are committed: they count in this process's RSS.
  expect(p.during.rss - p.before.rss).toBeGreaterThan(cap * 0.8);
  expect(p.activeAfterStop).toBe(1);
  expect(p.leakedAfterHeal).toBe(0);
  expect(p.after.arrayBuffers - p.before.arrayBuffers).toBeLessThan(cap * 0.2);
});

test('heap leak grows heapUsed step by step at no more than its rate, and stops growing after durationMs', async () => {
  // 10 MB/s in 100 ms steps is 1 MB per step. In 300 ms: the first step at once, then one per interval tick. Node
  // runs the earlier-due interval tick before the 300 ms expiry even when the process was starved, so there are 2 to
  // 4 steps whatever the load; ticks missed while starved are not made up, so never more than the rate allows.
  const p = await probe({ kind: 'leak', space: 'heap', rateKBps: 10 * 1024, capKB: 64 * 1024, durationMs: 300 });
  expect(p.leakedAtStop % MB).toBe(0);
  expect(p.leakedAtStop).toBeGreaterThanOrEqual(2 * MB);
  expect(p.leakedAtStop).toBeLessThanOrEqual(4 * MB);
  expect(p.leakedLater).toBe(p.leakedAtStop); // stopped growing after durationMs...
  expect(p.activeAfterStop).toBe(1); // ...but still holds its memory until healed
  // Distinct strings on the JS heap, still there after a full GC.
  expect(p.during.heapUsed - p.before.heapUsed).toBeGreaterThan(p.leakedAtStop * 0.8);
  expect(p.leakedAfterHeal).toBe(0);
  expect(p.after.heapUsed - p.before.heapUsed).toBeLessThan(p.leakedAtStop * 0.2);
});

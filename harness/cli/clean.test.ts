// `w3lab clean` reports the lab containers it removed (by label) before the process sweep, and neither a missing
// Docker engine nor a failing removal stops the process sweep. Processes come from a fake /proc: nothing real is
// killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanLeftovers } from './clean';

const procRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-proc-'));
afterAll(() => fs.rmSync(procRoot, { recursive: true, force: true }));

function fakeProcess(pid: number, argv: string[], env: string[] = []): void {
  fs.mkdirSync(path.join(procRoot, String(pid)));
  fs.writeFileSync(path.join(procRoot, String(pid), 'cmdline'), argv.join('\0'));
  fs.writeFileSync(path.join(procRoot, String(pid), 'environ'), env.join('\0'));
}

fakeProcess(101, ['node', '/repo/targets/peers/node-cluster/primary.js']);
fakeProcess(102, ['node', '/usr/bin/something-else'], ['HOME=/root']);

test('reports removed containers first, then the lab processes it killed', async () => {
  const killed: number[] = [];
  const out = await cleanLeftovers({
    removeContainers: async () => ['removed container w3lab-w3-x (w3lab/w3:1, paused)'],
    procRoot,
    kill: (pid) => killed.push(pid),
  });
  expect(out).toEqual(['removed container w3lab-w3-x (w3lab/w3:1, paused)', 'killed 101: node /repo/targets/peers/node-cluster/primary.js']);
  expect(killed).toEqual([101]);
});

test('a failing container removal is reported and the process sweep still runs', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-empty-'));
  try {
    const out = await cleanLeftovers({
      removeContainers: () => Promise.reject(new Error('permission denied while trying to connect\nmore')),
      procRoot: empty,
      kill: () => undefined,
    });
    expect(out).toEqual(['could not remove lab containers: permission denied while trying to connect', 'no leftover lab processes']);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

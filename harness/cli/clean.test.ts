// `w3lab clean` decides from the run marks alone, on a fake /proc and a fake container list (nothing real is
// killed here; clean-concurrent.test.ts does it for real): only processes and containers of runs inside the scope
// whose harness is gone; never a running run's, another folder's, another user's, or a process that merely has
// W3LAB_RUN_ID in its environment; descendants and dry runs; a missing Docker engine does not stop the sweep; the
// temp socket folders by their owner records (real folders in a private temp folder).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanLeftovers, type CleanDeps } from './clean';
import type { OwnerState } from '../targets/ownership';
import type { LabContainerInfo } from '../runtimes/container-runtime';

const procRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-proc-'));
// Where the sweep looks for socket folders: never the machine's own temp folder (other runs' folders are there).
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-tmp-'));
afterAll(() => {
  fs.rmSync(procRoot, { recursive: true, force: true });
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

const SCOPE = '/jobs/a/w3lab-results';
const owners: Record<string, OwnerState> = { dead: 'gone', live: 'running', far: 'elsewhere' };

function fakeProcess(pid: number, argv: string[], env: string[]): void {
  fs.mkdirSync(path.join(procRoot, String(pid)));
  fs.writeFileSync(path.join(procRoot, String(pid), 'cmdline'), argv.join('\0') + '\0');
  fs.writeFileSync(path.join(procRoot, String(pid), 'environ'), env.join('\0') + '\0');
}

const marks = (run: string, dir: string, owner: string): string[] => [
  `W3LAB_RUN_ID=${run}`,
  `W3LAB_RUN_DIR=${dir}`,
  `W3LAB_OWNER=${owner}`,
];

fakeProcess(101, ['node', 'w3lab.js', 'serve'], marks('crashed-run', `${SCOPE}/s1/worker-crash`, 'dead'));
fakeProcess(102, ['node', 'worker-main.js'], marks('crashed-run', `${SCOPE}/s1/worker-crash`, 'dead'));
fakeProcess(103, ['node', 'w3lab.js', 'serve'], marks('healthy-run', `${SCOPE}/s2/steady-state`, 'live'));
fakeProcess(104, ['node', 'unrelated.js'], ['HOME=/root', 'W3LAB_RUN_ID=crashed-run']);
fakeProcess(105, ['node', 'w3lab.js', 'serve'], marks('other-job', '/jobs/b/w3lab-results/s1/worker-crash', 'dead'));
fakeProcess(106, ['node', 'tricky.js'], [`NOTE=W3LAB_RUN_DIR=${SCOPE}/s1/x`, 'W3LAB_OWNER=dead']);
fakeProcess(107, ['node', 'w3lab.js', 'serve'], marks('remote-run', `${SCOPE}/s3/x`, 'far'));

function deps(extra: Partial<CleanDeps> = {}): CleanDeps & { killed: number[]; removedIds: string[] } {
  const killed: number[] = [];
  const removedIds: string[] = [];
  return {
    procRoot,
    tmpDir: fs.mkdtempSync(path.join(tmpRoot, 'empty-')),
    uid: fs.statSync(procRoot).uid,
    ownerState: (t) => owners[t ?? ''] ?? 'gone',
    listContainers: async () => [],
    removeContainer: async (id) => (removedIds.push(id), true),
    kill: (pid) => killed.push(pid),
    killed,
    removedIds,
    ...extra,
  };
}

test("kills only the scope's processes whose harness is gone, and says what it left alone", async () => {
  const d = deps();
  const r = await cleanLeftovers({ scope: { dir: SCOPE } }, d);
  expect(d.killed.sort()).toEqual([101, 102]);
  expect(r.lines).toEqual(
    expect.arrayContaining([
      'left alone: 1 process(es) of run healthy-run (its run is still going)',
      'left alone: 1 process(es) of run remote-run (started from another machine)',
      'killed process 101 of run crashed-run: node w3lab.js serve',
    ]),
  );
  expect(r.lines.join('\n')).not.toMatch(/10[456]/);
});

test('--dry-run lists the same, touches nothing; --run narrows to one run; another user is never touched', async () => {
  const dry = deps();
  const r = await cleanLeftovers({ scope: { dir: SCOPE }, dryRun: true }, dry);
  expect(dry.killed).toEqual([]);
  expect(r.lines.filter((l) => l.startsWith('would kill')).length).toBe(2);
  const one = deps();
  await cleanLeftovers({ scope: { runId: 'other-job' } }, one);
  expect(one.killed).toEqual([105]);
  const stranger = deps({ uid: 4242 });
  const none = await cleanLeftovers({ scope: { dir: '/' } }, stranger);
  expect(stranger.killed).toEqual([]);
  expect(none.lines).toEqual(['nothing to clean in /']);
});

test("containers: removes a gone run's in scope, leaves running, remote, unmarked and out-of-scope ones", async () => {
  const c = (id: string, labels: Record<string, string>): LabContainerInfo => ({
    id,
    name: `w3lab-w3-${id}`,
    image: 'w3lab/w3:1',
    state: 'running',
    labels: { w3lab: '1', ...labels },
  });
  const containers = [
    c('gone', { 'w3lab.run': 'crashed-run', 'w3lab.dir': `${SCOPE}/s1/x`, 'w3lab.owner': 'dead' }),
    c('live', { 'w3lab.run': 'healthy-run', 'w3lab.dir': `${SCOPE}/s2/x`, 'w3lab.owner': 'live' }),
    c('far', { 'w3lab.run': 'remote-run', 'w3lab.dir': `${SCOPE}/s3/x`, 'w3lab.owner': 'far' }),
    c('other', { 'w3lab.run': 'other-job', 'w3lab.dir': '/jobs/b/w3lab-results/s1/x', 'w3lab.owner': 'dead' }),
    c('old', { 'w3lab.run': 'from-an-older-w3lab' }),
  ];
  const d = deps({
    listContainers: async () => containers,
    procRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'lab-clean-empty-')),
  });
  const r = await cleanLeftovers({ scope: { dir: SCOPE } }, d);
  expect(d.removedIds).toEqual(['gone']);
  expect(r.lines).toEqual([
    'removed container w3lab-w3-gone (w3lab/w3:1, running) of run crashed-run',
    'left alone: container w3lab-w3-live (w3lab/w3:1, running) of run healthy-run: its run is still going',
    'left alone: container w3lab-w3-far (w3lab/w3:1, running) of run remote-run: started from another machine',
    'left alone: 1 lab container(s) without run marks ' +
      '(not started by this w3lab; remove them with docker rm if they are yours)',
  ]);
});

test('no Docker engine: said once, and the process sweep still runs', async () => {
  const d = deps({ listContainers: () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock\nmore')) });
  const r = await cleanLeftovers({ scope: { dir: SCOPE } }, d);
  expect(r.lines).toContain(
    'containers: no Docker engine answering (connect ENOENT /var/run/docker.sock); none removed',
  );
  expect(d.killed.sort()).toEqual([101, 102]);
});

describe('socket folders (the temp folders of container control sockets)', () => {
  /** A folder as runtimes/socket-folder.ts makes it, with `record` as its owner.json (null: none). */
  function folder(tmpDir: string, name: string, record: unknown): string {
    const root = path.join(tmpDir, `w3lab-admin-${name}`);
    fs.mkdirSync(path.join(root, 's'), { recursive: true });
    if (record !== null)
      fs.writeFileSync(path.join(root, 'owner.json'), typeof record === 'string' ? record : JSON.stringify(record));
    return root;
  }
  const rec = (owner: string, run: string, dir: string): unknown => ({ token: owner, runId: run, runDir: dir });

  function fixture() {
    const tmpDir = fs.mkdtempSync(path.join(tmpRoot, 'sweep-'));
    const f = {
      crashed: folder(tmpDir, 'crashed', rec('dead', 'crashed-run', `${SCOPE}/s1/worker-crash`)),
      live: folder(tmpDir, 'live', rec('live', 'healthy-run', `${SCOPE}/s2/steady-state`)),
      far: folder(tmpDir, 'far', rec('far', 'remote-run', `${SCOPE}/s3/x`)),
      other: folder(tmpDir, 'other', rec('dead', 'other-job', '/jobs/b/w3lab-results/s1/x')),
      noRun: folder(tmpDir, 'norun', { token: 'dead' }),
      legacy: folder(tmpDir, 'legacy', null),
      garbled: folder(tmpDir, 'garbled', '{"token": 42'),
      array: folder(tmpDir, 'array', '["dead"]'),
      elsewhere: folder(fs.mkdtempSync(path.join(tmpRoot, 'elsewhere-')), 'target', rec('dead', 'crashed-run', SCOPE)),
    };
    // A link and a file that merely have the name: never followed, never removed.
    fs.symlinkSync(f.elsewhere, path.join(tmpDir, 'w3lab-admin-link'));
    fs.writeFileSync(path.join(tmpDir, 'w3lab-admin-file'), 'x');
    return { tmpDir, f };
  }

  test("removes only the scope's folders whose harness is gone; says what it left alone", async () => {
    const { tmpDir, f } = fixture();
    const d = deps({ tmpDir });
    const r = await cleanLeftovers({ scope: { dir: SCOPE } }, d);
    expect(r.removedFolders).toEqual([f.crashed]);
    const left = Object.entries(f).filter(([, p]) => fs.existsSync(p));
    expect(left.map(([k]) => k).sort()).toEqual([
      'array',
      'elsewhere',
      'far',
      'garbled',
      'legacy',
      'live',
      'noRun',
      'other',
    ]);
    expect(fs.lstatSync(path.join(tmpDir, 'w3lab-admin-link')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(tmpDir, 'w3lab-admin-file'))).toBe(true);
    const folderLines = r.lines.filter((l) => /socket folder/.test(l));
    expect(folderLines).toEqual([
      `left alone: socket folder ${f.array}: its owner record is unreadable`,
      `removed socket folder ${f.crashed} of run crashed-run`,
      `left alone: socket folder ${f.far} of run remote-run: made from another machine`,
      `left alone: socket folder ${f.garbled}: its owner record is unreadable`,
      `left alone: socket folder ${f.live} of run healthy-run: its run is still going`,
      `left alone: 1 socket folder(s) ${path.join(tmpDir, 'w3lab-admin-')}* without an owner record ` +
        '(made by an older w3lab, or being made right now; remove them by hand if no run of yours is going)',
    ]);
  });

  test('--dry-run lists without touching; --run narrows to one run; another user is never touched', async () => {
    const { tmpDir, f } = fixture();
    const dry = await cleanLeftovers({ scope: { dir: SCOPE }, dryRun: true }, deps({ tmpDir }));
    expect(dry.lines).toContain(`would remove socket folder ${f.crashed} of run crashed-run`);
    expect(dry.removedFolders).toEqual([]);
    expect(Object.values(f).every((p) => fs.existsSync(p))).toBe(true);
    const one = await cleanLeftovers({ scope: { runId: 'other-job' } }, deps({ tmpDir }));
    expect(one.removedFolders).toEqual([f.other]);
    expect(fs.existsSync(f.crashed)).toBe(true);
    const stranger = await cleanLeftovers({ scope: { dir: '/' } }, deps({ tmpDir, uid: 4242 }));
    expect(stranger.removedFolders).toEqual([]);
    expect(stranger.lines).toEqual(['nothing to clean in /']);
    expect(fs.existsSync(f.crashed)).toBe(true);
  });

  test('a temp folder that cannot be listed is said, and the rest of the sweep still runs', async () => {
    const d = deps({ tmpDir: path.join(tmpRoot, 'no-such-folder') });
    const r = await cleanLeftovers({ scope: { dir: SCOPE } }, d);
    expect(r.lines.some((l) => /^socket folders: cannot list .*no-such-folder .*ENOENT.*; none removed$/.test(l))).toBe(
      true,
    );
    expect(d.killed.sort()).toEqual([101, 102]);
  });
});

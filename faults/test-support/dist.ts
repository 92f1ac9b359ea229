// Helpers for tests that start real child processes. Children run the compiled JavaScript in dist/ (ts-jest only
// transforms modules loaded inside Jest), so these tests need `npm run build` first; a missing or stale build is
// reported as such instead of testing old code.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixture = (name: string): string => path.join(__dirname, 'fixtures', name);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-support' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Throws with instructions unless every faults/ module has a compiled file at least as new as its source. */
export function requireFreshBuild(): void {
  const problems: string[] = [];
  for (const src of sources(path.join(repoRoot, 'faults'))) {
    const out = path.join(repoRoot, 'dist', path.relative(repoRoot, src)).replace(/\.ts$/, '.js');
    if (!fs.existsSync(out)) problems.push(`missing ${path.relative(repoRoot, out)}`);
    else if (fs.statSync(out).mtimeMs + 1 < fs.statSync(src).mtimeMs)
      problems.push(`stale ${path.relative(repoRoot, out)}`);
  }
  if (problems.length > 0) {
    throw new Error(`faults/ child-process tests run dist/: run \`npm run build\` first (${problems.join(', ')})`);
  }
}

/** `dist('faults/agent/agent')` → absolute path of the compiled module. */
export function dist(relativeModule: string): string {
  return path.join(repoRoot, 'dist', relativeModule + '.js');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Collects a child's output and resolves when it exits; kills it (SIGKILL) after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = 20_000): Promise<Exit> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      // 'exit' can precede the last output chunks; 'close' waits for the pipes, when there are any.
      const done = (): void => resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      if (child.stdout || child.stderr) child.once('close', done);
      else done();
    });
  });
}

export function runNode(args: string[], opts: SpawnOptions = {}, timeoutMs?: number): Promise<Exit> {
  return collect(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }), timeoutMs);
}

/**
 * Polls `check` until it returns true or the deadline passes (then throws naming what was awaited). 20 s by default:
 * a node child took more than 5 s to print its first output at load 28.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The child exited and every pipe to it is closed (its 'close' was emitted, or is about to be). */
function gone(child: ChildProcess): boolean {
  const exited = child.exitCode !== null || child.signalCode !== null;
  return exited && !child.connected && child.stdio.every((s) => s == null || s.closed);
}

/**
 * Kills a child that is still running and waits until it is gone with all it held; for afterEach. The child's
 * 'close' comes once it exited and its pipes closed, which a grandchild that inherited them (the worker of a Node
 * cluster app) delays until it exits too. Not waiting left those pipes (and that process) alive past the end of the
 * test file: 0.5 s after preload.test.ts on a loaded machine, enough for Jest to force-exit the worker ("A worker
 * process has failed to exit gracefully") when that file was its last.
 */
export async function killIfRunning(child: ChildProcess | undefined, timeoutMs = 20_000): Promise<void> {
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (gone(child)) return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      child.off('close', closed);
      // Our ends of the pipes, at least, are not left behind; the test fails naming what held them.
      for (const s of child.stdio) s?.destroy();
      reject(new Error(`pid ${child.pid} was not gone ${timeoutMs} ms after SIGKILL: something still holds its pipes`));
    }, timeoutMs);
    const closed = (): void => {
      clearTimeout(t);
      resolve();
    };
    child.once('close', closed);
  });
}

// Counting the instructions a process executes over a window with valgrind's callgrind tool: the process runs
// under valgrind with instrumentation off (fast enough to start and warm up), `callgrind_control -i on/off`
// brackets the window, a dump gives the total. Instruction counts do not change with other load on the machine,
// which makes them the figure to compare designs by on a shared machine. They cover user space only (system calls
// cost kernel time callgrind cannot see; the throughput section counts those with perf).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findTool, type ToolAvailability } from './tools';
import type { Launcher } from './servers';

const run = promisify(execFile);

export const VALGRIND = { name: 'valgrind', debianPackage: 'valgrind', versionArgs: ['--version'] };

export function findValgrind(): ToolAvailability {
  return findTool(VALGRIND);
}

/** valgrind with callgrind, instrumentation off until switched on; dumps go to `dir`. */
export function callgrindLauncher(valgrind: string, dir: string, readyTimeoutMs: number): Launcher {
  return {
    prefix: [
      valgrind,
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${path.join(dir, 'callgrind.%p')}`,
    ],
    readyTimeoutMs,
  };
}

async function control(args: string[]): Promise<void> {
  await run('callgrind_control', args, { timeout: 60_000 });
}

export const instrumentationOn = (pid: number): Promise<void> => control(['-i', 'on', String(pid)]);
export const instrumentationOff = (pid: number): Promise<void> => control(['-i', 'off', String(pid)]);

/** The `totals:` line of a callgrind dump (instructions executed), or null. */
export function dumpTotal(text: string): number | null {
  const m = /^totals:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Asks `pid` to dump and returns the largest total among its dump files in `dir` (the one just written). */
export async function dumpAndRead(
  pid: number,
  dir: string,
  timeoutMs = 60_000,
): Promise<{ total: number; file: string }> {
  const before = new Set(fs.readdirSync(dir));
  await control(['-d', String(pid)]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = fs.readdirSync(dir).filter((f) => f.startsWith(`callgrind.${pid}.`) && !before.has(f));
    for (const f of fresh) {
      const file = path.join(dir, f);
      const total = dumpTotal(fs.readFileSync(file, 'utf8'));
      if (total !== null) return { total, file };
    }
    if (Date.now() > deadline) throw new Error(`callgrind: no dump from pid ${pid} in ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Share of a dump's instructions spent in V8's optimizing compiler: a high share means the code was still being
 * compiled during the window (prime longer). Read from callgrind_annotate's per-function list; null if unavailable.
 */
export async function compilerShare(file: string): Promise<number | null> {
  try {
    const { stdout } = await run('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], {
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return compilerShareFromAnnotate(stdout);
  } catch {
    return null;
  }
}

const COMPILER = /v8::internal::compiler::|v8::internal::maglev::|RegisterAllocator|InstructionSelector/;

export function compilerShareFromAnnotate(text: string): number | null {
  let total = 0;
  let compiler = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = Number(m[1]!.replace(/,/g, ''));
    if (m[2]!.startsWith('PROGRAM TOTALS')) total = v;
    else if (COMPILER.test(m[2]!)) compiler += v;
  }
  return total > 0 ? Math.round((compiler / total) * 1000) / 1000 : null;
}

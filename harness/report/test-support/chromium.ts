// Test support: Debian's headless Chromium for the report test. Finds the binary, installs the `chromium` package
// with apt-get when it is missing and we are root (CI machines start with Node only), and runs it headless with
// the flags a machine without network needs. Returns the reason when Chromium cannot be had, so the test can fail
// with it instead of passing silently.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];

function which(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : null;
}

function apt(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: 540_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-2000) };
}

/** The Chromium binary, installing Debian's package first when needed; or why there is none. */
export function ensureChromium(): { bin: string } | { reason: string } {
  const found = CANDIDATES.map(which).find((b) => b !== null);
  if (found) return { bin: found };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return { reason: 'chromium is not installed and installing it needs root (apt-get install chromium)' };
  if (!which('apt-get')) return { reason: 'chromium is not installed and this machine has no apt-get' };
  let r = apt(['install', '-y', '-qq', 'chromium']);
  if (!r.ok) {
    // A fresh machine has no package lists yet.
    apt(['update', '-qq']);
    r = apt(['install', '-y', '-qq', 'chromium']);
  }
  const bin = which('chromium');
  return bin ? { bin } : { reason: `apt-get install chromium failed: ${r.output}` };
}

export interface ChromiumRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs headless Chromium on a file with extra flags (e.g. --dump-dom or --screenshot=FILE). */
export function runChromium(bin: string, htmlFile: string, extra: string[]): ChromiumRun {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-chromium-'));
  try {
    const r = spawnSync(
      bin,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        '--enable-logging=stderr',
        '--v=0',
        `--user-data-dir=${profile}`,
        '--window-size=1400,2000',
        ...extra,
        `file://${htmlFile}`,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 },
    );
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Page errors and console messages in Chromium's log (the report writes nothing to the console when healthy). */
export function pageProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /Uncaught|:CONSOLE\(\d+\)\]/.test(l));
}

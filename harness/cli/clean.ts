// `w3lab clean`: removes what lab runs started and did not stop (a harness killed with SIGKILL cannot clean up
// after itself): first every lab container, by label (w3lab=1, whatever its run or state; a machine without a
// Docker engine just says so), then leftover processes, recognised by their command line — w3 hosts started by the
// lab (`w3lab.js serve` with a config inside a results folder), their workers, and node-cluster primaries and
// workers. Containers go first so their processes are not killed one by one from outside.
import fs from 'node:fs';
import { removeLabContainers } from '../runtimes/container-runtime';

const PATTERNS = [/w3lab\.js serve .*results/, /targets\/peers\/node-cluster\/primary\.js/, /W3LAB_RUN_ID=/];

export interface CleanDeps {
  /** Removes the lab's containers and says what it removed (default: removeLabContainers() of every run). */
  removeContainers?: () => Promise<string[]>;
  /** Where processes are listed (default /proc; tests pass a folder shaped like it). */
  procRoot?: string;
  kill?: (pid: number) => void;
}

export async function cleanLeftovers(deps: CleanDeps = {}): Promise<string[]> {
  const out: string[] = [];
  try {
    out.push(...(await (deps.removeContainers ?? (() => removeLabContainers()))()));
  } catch (err) {
    out.push(`could not remove lab containers: ${(err as Error).message.split('\n')[0]}`);
  }
  const processLines = out.length;
  const proc = deps.procRoot ?? '/proc';
  const kill = deps.kill ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  for (const pid of fs.readdirSync(proc).filter((d) => /^\d+$/.test(d)).map(Number)) {
    if (pid === process.pid) continue;
    let cmd: string;
    let env = '';
    try {
      cmd = fs.readFileSync(`${proc}/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      env = fs.readFileSync(`${proc}/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const isLab = PATTERNS.some((p) => p.test(cmd)) || env.includes('W3LAB_RUN_ID=');
    if (!isLab) continue;
    try {
      kill(pid);
      out.push(`killed ${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      /* gone meanwhile */
    }
  }
  if (out.length === processLines) out.push('no leftover lab processes');
  return out;
}

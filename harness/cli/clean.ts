// `w3lab clean`: finds processes a lab run started and did not stop (a harness killed with SIGKILL cannot clean up
// after itself) and kills them. Lab processes are recognised by their command line: w3 hosts started by the lab
// (`w3lab.js serve` with a config inside a results folder), their workers, and node-cluster primaries and workers.
import fs from 'node:fs';

const PATTERNS = [/w3lab\.js serve .*results/, /targets\/peers\/node-cluster\/primary\.js/, /W3LAB_RUN_ID=/];

export async function cleanLeftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    if (pid === process.pid) continue;
    let cmd: string;
    let env = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const isLab = PATTERNS.some((p) => p.test(cmd)) || env.includes('W3LAB_RUN_ID=');
    if (!isLab) continue;
    try {
      process.kill(pid, 'SIGKILL');
      out.push(`killed ${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      /* gone meanwhile */
    }
  }
  if (out.length === 0) out.push('no leftover lab processes');
  // Container leftovers are removed by label when the container runtime is available.
  return out;
}

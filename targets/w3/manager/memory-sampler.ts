// Reads a worker's memory from the OS (Linux /proc), the way WAS samples private bytes and virtual bytes.
// Private memory ≈ RssAnon + VmSwap (anonymous memory owned by the process), virtual = VmSize. KB, as in IIS.
// Asynchronous reads: the host's event loop serves every connection and must not wait on /proc (every 500 ms per
// worker for memory, every 100 ms per throttled worker for CPU).
import fs from 'node:fs';

export interface MemorySample {
  privateKB: number;
  virtualKB: number;
  rssKB: number;
}

export async function sampleMemory(pid: number): Promise<MemorySample | null> {
  try {
    return parseProcStatus(await fs.promises.readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

export function parseProcStatus(text: string): MemorySample {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { privateKB: kb('RssAnon') + kb('VmSwap'), virtualKB: kb('VmSize'), rssKB: kb('VmRSS') };
}

/** CPU time (user+system) of a process in ms, from /proc/PID/stat; null when gone. */
export async function sampleCpuMs(pid: number, ticksPerSecond = 100): Promise<number | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command (which may contain spaces) start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

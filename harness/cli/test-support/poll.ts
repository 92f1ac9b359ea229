// Test support for the CLI tests that kill a real `w3lab` process: polling for what its results folder shows.
import fs from 'node:fs';

export const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Resolves with what `probe` gives once it is not null, polling; rejects after `ms` naming what was awaited. */
export async function until<T>(what: string, probe: () => T | null | Promise<T | null>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

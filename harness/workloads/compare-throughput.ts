// Measures the tracked client's request rate against autocannon's on the same server and connection count, so the
// bench can show the evidence-gathering client does not throttle the load (goal: >= 0.8x autocannon). Both get a
// short warm-up first (JIT), then run one after the other; the tracked client writes a real history file by
// default, since that cost is part of every lab run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryWriter } from '../history/writer';
import { runAutocannon } from './autocannon-load';
import { runTrackedClient } from './tracked-client';

export interface ThroughputComparison {
  url: string;
  connections: number;
  durationMs: number;
  autocannon: { rps: number; requests: number; errors: number; non2xx: number };
  tracked: { rps: number; requests: number; ok: number; historyRecords: number };
  /** tracked.rps / autocannon.rps. */
  ratio: number;
}

export interface CompareOptions {
  /** Write the tracked client's records to a temporary history.jsonl (default true) instead of dropping them. */
  writeHistory?: boolean;
  /** Warm-up per tool before measuring (default min(500, durationMs / 4)). */
  warmupMs?: number;
}

export async function compareWithAutocannon(
  url: string,
  connections: number,
  durationMs: number,
  options: CompareOptions = {},
): Promise<ThroughputComparison> {
  const warmupMs = options.warmupMs ?? Math.min(500, durationMs / 4);
  if (warmupMs > 0) {
    await runAutocannon({ url, connections, durationMs: warmupMs });
    await runTrackedClient({ url, connections, durationMs: warmupMs, onRecord: () => undefined });
  }

  const ac = await runAutocannon({ url, connections, durationMs });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-compare-'));
  let writer: HistoryWriter | undefined;
  try {
    writer = options.writeHistory === false ? undefined : new HistoryWriter(path.join(dir, 'history.jsonl'));
    let records = 0;
    const tracked = await runTrackedClient({
      url,
      connections,
      durationMs,
      onRecord: (r) => {
        records += 1;
        writer?.append(r);
      },
    });
    writer?.close();
    const autocannonRps = ac.summary.rps;
    return {
      url,
      connections,
      durationMs,
      autocannon: {
        rps: autocannonRps,
        requests: ac.summary.requests,
        errors: ac.summary.errors,
        non2xx: ac.summary.non2xx,
      },
      tracked: { rps: tracked.rps, requests: tracked.requests, ok: tracked.ok, historyRecords: records },
      ratio: autocannonRps > 0 ? Math.round((tracked.rps / autocannonRps) * 100) / 100 : 0,
    };
  } finally {
    writer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// `w3lab merge DIR...`: one suite from the suites of several CI jobs (the shards of `w3lab run --shard i/n`, each
// job's results folder downloaded as an artifact). Each DIR is a suite folder or a folder holding suites (searched
// a few levels down, so an artifact's extra folder level does not matter); a suite found twice (a `latest` link, a
// copied artifact) counts once. Shards must be complete: the same total, each index once. The merged suite gets its
// own folder with a copy of every run folder, so it stands alone (one artifact, one junit.xml, one index.html).
import fs from 'node:fs';
import path from 'node:path';
import { SUITE_FILE } from '../results/store';
import { MergeError } from './errors';
import { SuiteFolder, readSuite, type SuiteFiles, type SuiteInfo } from './suite-folder';
import { shardLabel } from './shard';

export interface FoundSuite {
  dir: string;
  info: SuiteInfo;
}

const MAX_DEPTH = 4;

/** Every distinct suite under the given folders, in argument order. */
export function findSuites(dirs: readonly string[]): FoundSuite[] {
  const found: FoundSuite[] = [];
  const seen = new Set<string>();
  /** Returns how many suites (new or already seen) are at or below dir. */
  const visit = (dir: string, depth: number): number => {
    const info = readSuiteOrThrow(dir);
    if (info) {
      const key = info.uid ?? `${info.suiteId}|${info.shard ? shardLabel(info.shard) : ''}`;
      if (!seen.has(key)) found.push({ dir, info });
      seen.add(key);
      return 1;
    }
    if (depth >= MAX_DEPTH) return 0;
    let n = 0;
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const sub = path.join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(sub))) n += visit(sub, depth + 1);
    }
    return n;
  };
  for (const d of dirs) {
    const abs = path.resolve(d);
    if (!isDir(abs)) throw new MergeError(`${d}: no such folder`);
    if (visit(abs, 0) === 0) throw new MergeError(`${d}: no suite (${SUITE_FILE}) found in it`);
  }
  return found;
}

function readSuiteOrThrow(dir: string): SuiteInfo | null {
  try {
    return readSuite(dir);
  } catch (err) {
    throw new MergeError(`${path.join(dir, SUITE_FILE)}: not valid JSON (${(err as Error).message})`);
  }
}

const isDir = (p: string): boolean => fs.existsSync(p) && fs.statSync(p).isDirectory();

/** Shards from one `--shard i/n` family must be all there, once each; unsharded suites merge freely. */
export function checkShards(suites: readonly FoundSuite[]): void {
  const sharded = suites.filter((s) => s.info.shard);
  if (sharded.length === 0) return;
  if (sharded.length !== suites.length) {
    const plain = suites.filter((s) => !s.info.shard).map((s) => s.dir);
    throw new MergeError(`cannot merge shards with unsharded suites (${plain.join(', ')})`);
  }
  const totals = new Set(sharded.map((s) => s.info.shard!.total));
  if (totals.size > 1) throw new MergeError(`the shards come from different splits (totals ${[...totals].join(', ')})`);
  const total = [...totals][0]!;
  const byIndex = new Map<number, string[]>();
  for (const s of sharded) byIndex.set(s.info.shard!.index, [...(byIndex.get(s.info.shard!.index) ?? []), s.dir]);
  const twice = [...byIndex].filter(([, ds]) => ds.length > 1);
  if (twice.length) {
    throw new MergeError(
      twice.map(([i, ds]) => `shard ${i}/${total} appears ${ds.length} times (${ds.join(', ')})`).join('; '),
    );
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length)
    throw new MergeError(
      `missing shard(s) ${missing.map((i) => `${i}/${total}`).join(', ')}: every shard is needed for the suite`,
    );
}

export interface MergeResult {
  dir: string;
  files: SuiteFiles;
  info: SuiteInfo;
  exitCode: number;
}

export function mergeSuites(dirs: readonly string[], out: string): MergeResult {
  const suites = findSuites(dirs);
  if (suites.length === 0) throw new MergeError(`no suite found in ${dirs.join(', ')}`);
  checkShards(suites);
  const ordered = [...suites].sort((a, b) => (a.info.shard?.index ?? 0) - (b.info.shard?.index ?? 0));
  const merged = new SuiteFolder(path.resolve(out), { label: 'merged', runtime: ordered[0]!.info.runtime });
  merged.info.mergedFrom = ordered.map((s) => ({ suiteId: s.info.suiteId, shard: s.info.shard, dir: s.dir }));
  for (const s of ordered) {
    for (const run of s.info.runs) {
      const from = path.join(s.dir, run.dir);
      let to = path.join(merged.dir, run.scenario);
      for (let i = 2; fs.existsSync(to); i++) to = path.join(merged.dir, `${run.scenario}-${i}`);
      if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, dereference: true });
      else fs.mkdirSync(to); // the shard's run folder is gone: the suite still lists its outcome
      merged.addRun({ ...run, dir: path.relative(merged.dir, to) });
    }
  }
  const interrupted = ordered.some((s) => s.info.status !== 'finished');
  const files = merged.finish(interrupted ? 'interrupted' : 'finished');
  return { dir: merged.dir, files, info: merged.info, exitCode: merged.info.exitCode };
}

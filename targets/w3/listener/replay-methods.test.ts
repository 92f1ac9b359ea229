// The methods a worker death may replay are listed in three places a user reads: README's "What a client sees when
// a worker dies", the settings table (from the schema's description of retryIdempotent) and the code. They must agree.
import fs from 'node:fs';
import path from 'node:path';
import { IDEMPOTENT_METHODS } from './proxy-job';
import { repoRoot } from '../util/compiled-path';

const README = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
const METHOD_LIST = /\(((?:[A-Z]+, )+[A-Z]+)[^)]*\)/;

function listAfter(text: string, anchor: string): string[] {
  const at = text.indexOf(anchor);
  expect(at).toBeGreaterThanOrEqual(0);
  const m = METHOD_LIST.exec(text.slice(at, at + 400));
  expect(m).not.toBeNull();
  return m![1]!.split(', ').sort();
}

const code = [...IDEMPOTENT_METHODS].sort();

test("README's worker-death section names exactly the replayed methods", () => {
  expect(listAfter(README, 'Dispatched, no response byte yet, idempotent method')).toEqual(code);
});

test("the settings table's retryIdempotent row names exactly the replayed methods", () => {
  expect(listAfter(README, '| `pools[].retryIdempotent` |')).toEqual(code);
});

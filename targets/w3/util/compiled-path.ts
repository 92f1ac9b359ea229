// Child processes (workers, the host) must run compiled JavaScript even when the parent runs from TypeScript
// sources under ts-jest. This maps a module of the repository to its compiled file in dist/.
import path from 'node:path';
import fs from 'node:fs';

let root: string | null = null;

export function repoRoot(): string {
  if (root) return root;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('w3: cannot find the repository root above ' + __dirname);
    dir = up;
  }
  // dist/ has no package.json, so from dist/targets/w3/util we end at the repository root too.
  root = dir;
  return dir;
}

/** `compiled('targets/w3/worker/worker-main')` → /repo/dist/targets/w3/worker/worker-main.js */
export function compiled(relativeModule: string): string {
  const file = path.join(repoRoot(), 'dist', relativeModule + '.js');
  if (!fs.existsSync(file)) {
    throw new Error(`w3: ${file} is missing; run \`npm run build\` first`);
  }
  return file;
}

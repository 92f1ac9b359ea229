// Where the files targets start live: the repository root is the first folder above this module with a
// package.json, so the same code works from the TypeScript sources (ts-jest) and from dist/.
import fs from 'node:fs';
import path from 'node:path';

export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the w3lab repository root above ${from}`);
    dir = up;
  }
  return dir;
}

/** Paths of the programs and apps the lab's targets run. */
export function labPaths(root: string = repoRoot()) {
  return {
    root,
    w3Cli: path.join(root, 'bin', 'w3lab.js'),
    w3CliEntry: path.join(root, 'dist', 'harness', 'cli', 'main.js'),
    labApp: path.join(root, 'targets', 'apps', 'lab-app.js'),
    clusterPrimary: path.join(root, 'targets', 'peers', 'node-cluster', 'primary.js'),
    faultPreload: path.join(root, 'dist', 'faults', 'agent', 'preload.js'),
  };
}

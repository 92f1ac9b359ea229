#!/usr/bin/env node
// The `w3lab` command: a thin launcher for the compiled CLI (built by `npm install` / `npm run build`). The w3 server's
// own commands go to w3's CLI, which loads no lab module; everything else to the lab's.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const W3_COMMANDS = new Set(['serve', 'status', 'recycle', 'start', 'stop', 'reload']);
const args = process.argv.slice(2);
const dist = path.join(__dirname, '..', 'dist');
const entry = W3_COMMANDS.has(args[0])
  ? path.join(dist, 'targets', 'w3', 'cli', 'main.js')
  : path.join(dist, 'harness', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'w3lab: not built yet; run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n',
  );
  process.exit(255);
}
require(entry).main(args);

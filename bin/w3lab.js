#!/usr/bin/env node
// The `w3lab` command: a thin launcher for the compiled CLI (built by `npm install` / `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'harness', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('w3lab: not built yet; run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n');
  process.exit(255);
}
require(entry).main(process.argv.slice(2));

#!/usr/bin/env node
// fault-latency.js RUN_FOLDER...: how long each `action: fault` step of a finished run took to land — from the
// step's attempt (its fault-step mark's attemptedAt, in history.jsonl) to the target's confirmation (the first
// FaultInjected event at or after it, in events.jsonl) and to the step's performed mark — one line per step and the
// median over all of them. Used to compare the container runtime's control paths (direct socket, exec):
//   W3LAB_CONTAINER_ADMIN=exec npx w3lab run shutdown-hang --runtime container --target node-cluster --out /tmp/x
//   node scripts/fault-latency.js /tmp/x/*/shutdown-hang
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function jsonLines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

const folders = process.argv.slice(2);
if (!folders.length) {
  process.stderr.write('usage: fault-latency.js RUN_FOLDER...\n');
  process.exit(2);
}
const confirmed = [];
const performed = [];
for (const dir of folders) {
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  const access = (run.targetRuntime && run.targetRuntime.adminAccess) || run.runtime || '?';
  const steps = jsonLines(path.join(dir, 'history.jsonl')).filter(
    (r) => r.kind === 'mark' && r.name === 'fault-step' && r.action === 'fault',
  );
  const injected = jsonLines(path.join(dir, 'events.jsonl')).filter((e) => e.type === 'FaultInjected');
  for (const s of steps) {
    const conf = injected.find((e) => e.t >= s.attemptedAt);
    const toConf = conf ? conf.t - s.attemptedAt : NaN;
    const toDone = s.t - s.attemptedAt;
    if (conf) confirmed.push(toConf);
    performed.push(toDone);
    process.stdout.write(
      `${dir} [${run.target} ${access}] step ${s.step}: attempt→FaultInjected ${toConf} ms, ` +
        `attempt→performed ${toDone} ms (${s.status})\n`,
    );
  }
}
process.stdout.write(
  `median over ${performed.length} step(s): attempt→FaultInjected ${median(confirmed)} ms, ` +
    `attempt→performed ${median(performed)} ms\n`,
);

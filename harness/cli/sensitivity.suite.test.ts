// Checkers proven on real runs: every bundled scenario against its sabotaged target (harness/scenarios/sabotage.ts)
// must FAIL — not UNKNOWN — through one of the checks the sabotage breaks. A scenario that still passes when its
// property is switched off cannot see what it is for. The PASS half (each scenario against w3, every fault step
// carried out and shown) is core-suite.suite.test.ts. One run per scenario, in sequence (the suite pass runs alone,
// jest.suite.config.js). `npm run sensitivity` runs both halves and prints the README's table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { listScenarioFiles } from '../scenarios/load-scenario';
import { runSabotage } from '../runner/sensitivity';
import { SABOTAGES } from '../scenarios/sabotage';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-sensitivity-'));
const log = pino({ level: 'silent' });
let kept = false;
// The run folders stay when a row was wrong: they are what a reader needs to see why.
afterAll(() => {
  if (kept) process.stderr.write(`sensitivity runs kept in ${out}\n`);
  else fs.rmSync(out, { recursive: true, force: true });
});

test('every bundled scenario has a sabotage', () => {
  const bundled = listScenarioFiles().map((f) => path.basename(f, '.yaml'));
  expect(bundled.filter((name) => !SABOTAGES.some((s) => s.scenario === name))).toEqual([]);
});

test.each(SABOTAGES.map((s) => [s.scenario, s.sabotage, s] as const))(
  '%s against w3 with %s FAILs through the checks the sabotage breaks',
  async (_scenario, _what, s) => {
    const row = await runSabotage(s, { outDir: out, log });
    kept ||= !row.ok;
    // On failure the diff shows what was seen, which checks, why, and the run folder to read.
    const { seen, ok, checks, why, dir } = row;
    expect({ seen, ok, checks, why, dir }).toEqual({ seen: 'FAIL', ok: true, checks, why: '', dir });
  },
  180_000,
);

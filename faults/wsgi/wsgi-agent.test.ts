// The Python fault agent for WSGI workers (faults/wsgi): its own unit tests (Python's unittest, run here so
// `npm test` runs them), and parity with the lab's fault specs — the same specs must get the same verdicts and the
// same filled-in defaults from faults/spec.ts and from w3lab_wsgi/spec.py.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseWorkerFault } from '../spec';

const DIR = __dirname.replace(`${path.sep}dist${path.sep}`, path.sep);
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

test('the Python agent passes its unit tests', () => {
  const args = ['-W', 'error::ResourceWarning', '-m', 'unittest', 'discover', '-s', path.join(DIR, 'tests')];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python unittest failed (${String(r.status)}):\n${r.stderr}${r.stdout}`);
  expect(r.stderr).toMatch(/\nOK\s*$/);
}, 150_000);

const SPECS: unknown[] = [
  { kind: 'crash' },
  { kind: 'crash', mode: 'signal', signal: 'SIGSEGV', delayMs: 10 },
  { kind: 'crash', mode: 'abort', exitCode: 3.0 },
  { kind: 'crash', mode: 'unhandled-rejection' },
  { kind: 'crash', exitCode: 256 },
  { kind: 'crash', exitCode: 1.5 },
  { kind: 'crash', signal: 'SIGHUP' },
  { kind: 'crash', delayMs: -1 },
  { kind: 'crash', extra: true },
  { kind: 'hang' },
  { kind: 'hang', mode: 'stall-requests', durationMs: 500 },
  { kind: 'hang', mode: 'sleep' },
  { kind: 'hang', durationMs: true },
  { kind: 'leak' },
  { kind: 'leak', rateKBps: 0.5, capKB: 10, space: 'heap', durationMs: 100 },
  { kind: 'leak', rateKBps: 0 },
  { kind: 'leak', capKB: 0 },
  { kind: 'leak', space: 'disk' },
  { kind: 'slow' },
  { kind: 'slow', delayMs: 100 },
  { kind: 'slow', delayMs: 100, percent: 33.3 },
  { kind: 'slow', delayMs: 0 },
  { kind: 'slow', delayMs: 100, percent: 101 },
  { kind: 'error' },
  { kind: 'error', status: 503, percent: 0 },
  { kind: 'error', status: 399 },
  { kind: 'error', status: '500' },
  { kind: 'cpu-spin', dutyPercent: 50 },
  { kind: 'cpu-spin', dutyPercent: -1 },
  { kind: 'shutdown-hang' },
  { kind: 'shutdown-hang', durationMs: 5 },
  { kind: 'explode' },
  {},
  null,
  'crash',
  [{ kind: 'crash' }],
];

test('faults/spec.ts and w3lab_wsgi/spec.py agree on every spec and its defaults', () => {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(DIR)})`,
    'from w3lab_wsgi.spec import parse_worker_fault',
    'out = []',
    'for raw in json.load(sys.stdin):',
    '    ok, value = parse_worker_fault(raw)',
    '    out.append({"ok": ok, "value": value if ok else None, "error": None if ok else value})',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(SPECS), encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  const py = JSON.parse(r.stdout) as { ok: boolean; value: unknown; error: string | null }[];
  const rows = SPECS.map((spec, i) => {
    const ts = parseWorkerFault(spec);
    const p = py[i]!;
    return { spec, ts: ts.ok ? ts.value : 'invalid', py: p.ok ? p.value : 'invalid', pyError: p.error };
  });
  const seen = rows.map(({ spec, ts, py: v }) => ({ spec, ts, py: v }));
  expect(seen).toEqual(rows.map(({ spec, ts }) => ({ spec, ts, py: ts })));
  // Every rejection names the field (or the root) it is about.
  for (const r of rows.filter((x) => x.pyError !== null)) expect(r.pyError).toMatch(/^fault(\.\w+)?: /);
});

// Layering: the w3 server is usable without the lab. No module under targets/w3 (tests included) imports anything
// from harness/ or faults/; the one way lab code enters a w3 process is the fault plugin, loaded by path at run time
// and only when fault injection is enabled (integration-robustness/loaded-modules.test.ts checks the running
// processes).
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const W3 = __dirname;
const LAB = [path.join(ROOT, 'harness'), path.join(ROOT, 'faults')];
const SPECIFIER = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|js|mjs|cjs)$/.test(d.name) ? [p] : [];
  });
}

test('nothing under targets/w3 imports harness/ or faults/', () => {
  const files = sources(W3);
  expect(files.length).toBeGreaterThan(100);
  const offending: string[] = [];
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const spec = m[1]!;
      const target = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : spec;
      const lab = LAB.some((dir) => target === dir || target.startsWith(dir + path.sep));
      if (lab || /^w3lab\/(harness|faults)\b/.test(spec)) offending.push(`${path.relative(ROOT, file)}: ${spec}`);
    }
  }
  expect(offending).toEqual([]);
});

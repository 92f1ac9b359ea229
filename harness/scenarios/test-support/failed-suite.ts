// What a suite test prints when `w3lab run` over several scenarios does not pass: the exit status alone names no
// scenario, and CI keeps only the test's output. So: the status, the verdict table, stderr's tail and, for each
// scenario whose verdict is not PASS, its summary.md (which checks failed, with their numbers).
import fs from 'node:fs';
import path from 'node:path';

export function explainFailedSuite(
  command: string,
  outDir: string,
  r: { status: number | null; stdout: string; stderr: string },
): string {
  const parts = [`${command} exited ${r.status}`, r.stdout, r.stderr.slice(-2000)];
  const latest = path.join(outDir, 'latest');
  const scenarios = fs.existsSync(latest) ? fs.readdirSync(latest).sort() : [];
  for (const s of scenarios) {
    const summary = path.join(latest, s, 'summary.md');
    if (!fs.existsSync(summary)) continue;
    const text = fs.readFileSync(summary, 'utf8');
    if (!/^# \S+ — PASS/m.test(text)) parts.push(`--- ${s}/summary.md\n${text}`);
  }
  return parts.join('\n');
}

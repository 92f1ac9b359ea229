// JUnit XML for CI: one <testsuite> per scenario run (name "scenario [target]"), one <testcase> per check
// (classname "scenario.target"). A failed check is a <failure type="CheckFailed"> carrying the verdict details; an
// *unknown* verdict is an <error type="Unknown"> rather than <skipped>, because CI tools count skips as green and an
// undecided run must not pass silently. A run without results.json (crashed) or with a run error gets a "run"
// testcase with an <error>. The suite's system-out holds summary.md; its time is the run's duration, and a testcase's
// time is its checker's own time over the recorded data (results.json `durationMs`). Written by hand since we only
// emit the Jenkins/Surefire subset; every text is escaped and stripped of characters XML 1.0 cannot carry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkLabel, type Validity } from '../checkers';
import { loadRun, type LoadedRun } from './run-files';
import { asText } from '../history/as-text';

/** Characters XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const LONE_HIGH_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/;
const LONE_LOW_SURROGATE = /(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ILLEGAL = new RegExp([CONTROLS, LONE_HIGH_SURROGATE, LONE_LOW_SURROGATE].map((r) => r.source).join('|'), 'g');

export function xmlText(value: unknown): string {
  return asText(value).replace(ILLEGAL, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes and keep line breaks and tabs (a parser would normalise them to spaces). */
export function xmlAttr(value: unknown): string {
  return xmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const MAX_TEXT = 256 * 1024;
const clip = (text: string): string =>
  text.length > MAX_TEXT
    ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters in results.json)`
    : text;

interface Case {
  name: string;
  valid: Validity | 'error';
  summary: string;
  details: unknown;
  /** Seconds: the checker's own time over the recorded data (the run's time is the testsuite's). */
  seconds?: number;
}

function casesOf(run: LoadedRun): Case[] {
  const r = run.results;
  if (!r)
    return [
      {
        name: 'run',
        valid: 'error',
        summary: 'The run left no results.json (it crashed or was killed before the checks ran).',
        details: { status: run.info.status ?? 'unknown' },
      },
    ];
  const cases: Case[] = r.checks.map((c) => ({
    name: checkLabel(c),
    valid: c.verdict.valid,
    summary: c.verdict.summary,
    details: { options: c.options ?? {}, ...c.verdict.details },
    ...(typeof c.durationMs === 'number' ? { seconds: c.durationMs / 1000 } : {}),
  }));
  if (r.error)
    cases.unshift({
      name: 'run',
      valid: 'error',
      summary: `The run did not complete: ${r.error}`,
      details: { error: r.error },
    });
  if (cases.length === 0) cases.push({ name: 'run', valid: r.valid, summary: r.summary, details: {} });
  return cases;
}

function runSeconds(run: LoadedRun): number {
  const from = run.info.startedAt ? Date.parse(run.info.startedAt) : NaN;
  const to = typeof run.info.finishedAt === 'string' ? Date.parse(run.info.finishedAt) : NaN;
  if (Number.isFinite(from) && Number.isFinite(to) && to >= from) return (to - from) / 1000;
  return Math.max(0, run.end - run.start) / 1000;
}

/** One <testsuite> element for one run folder, with its counts. */
export function junitSuite(
  run: LoadedRun,
  indent = '  ',
): { xml: string; tests: number; failures: number; errors: number } {
  const { scenario, target } = run.info;
  const cases = casesOf(run);
  const failures = cases.filter((c) => c.valid === false).length;
  const errors = cases.filter((c) => c.valid === 'unknown' || c.valid === 'error').length;
  const classname = `${scenario}.${target}`;
  const i2 = indent + '  ';
  const i3 = i2 + '  ';
  const props = {
    runId: run.info.runId,
    target,
    runtime: run.info.runtime,
    seed: run.info.seed,
    git: run.info.versions?.git,
    dir: run.dir,
  };
  const timestamp = xmlAttr((run.info.startedAt ?? '').replace(/Z$/, ''));
  const out: string[] = [
    `${indent}<testsuite name="${xmlAttr(`${scenario} [${target}]`)}" tests="${cases.length}" ` +
      `failures="${failures}" errors="${errors}" skipped="0" ` +
      `time="${runSeconds(run).toFixed(3)}" timestamp="${timestamp}" hostname="${xmlAttr(os.hostname())}">`,
    `${i2}<properties>`,
    ...Object.entries(props)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${i3}<property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`),
    `${i2}</properties>`,
  ];
  for (const c of cases) {
    const time = (c.seconds ?? 0).toFixed(6);
    const head = `${i2}<testcase classname="${xmlAttr(classname)}" name="${xmlAttr(c.name)}" time="${time}"`;
    const body = xmlText(clip(`${c.summary}\n\n${JSON.stringify(c.details, null, 2)}`));
    if (c.valid === true) out.push(`${head}/>`);
    else if (c.valid === false)
      out.push(
        `${head}>`,
        `${i3}<failure message="${xmlAttr(c.summary)}" type="CheckFailed">${body}</failure>`,
        `${i2}</testcase>`,
      );
    else {
      const type = c.valid === 'unknown' ? 'Unknown' : 'RunError';
      out.push(
        `${head}>`,
        `${i3}<error message="${xmlAttr(c.summary)}" type="${type}">${body}</error>`,
        `${i2}</testcase>`,
      );
    }
  }
  out.push(
    `${i2}<system-out>${xmlText(clip(run.summaryMd ?? run.results?.summary ?? ''))}</system-out>`,
    `${indent}</testsuite>`,
  );
  return { xml: out.join('\n'), tests: cases.length, failures, errors };
}

/** A whole JUnit document (<testsuites>) for several runs. */
export function renderJunit(runs: LoadedRun[]): string {
  const suites = runs.map((r) => junitSuite(r));
  const sum = (k: 'tests' | 'failures' | 'errors'): number => suites.reduce((n, s) => n + s[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="w3lab" tests="${sum('tests')}" failures="${sum('failures')}" errors="${sum('errors')}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

/** Writes one JUnit file covering `runDirs` (e.g. a suite run for CI); returns the file. */
export function writeJunit(runDirs: string[], file: string): string {
  const xml = renderJunit(runDirs.map((d) => loadRun(d)));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, xml);
  return file;
}

/** junit.xml in the run folder itself. */
export function writeRunJunit(runDir: string): string {
  return writeJunit([runDir], path.join(runDir, 'junit.xml'));
}

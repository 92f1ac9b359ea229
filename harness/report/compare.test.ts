import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compare, renderCompareMarkdown, resolveSide, writeCompare } from './compare';
import { detectionLatencies, recycleMetrics } from './compare-metrics';
import { DEFAULT_THRESHOLDS, judge, parseThresholds } from './compare-thresholds';
import { saveBaseline } from './baseline';
import { loadRun } from './run-files';
import { writeSyntheticRun } from './test-support/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));

describe('recycle metrics', () => {
  it('measures failures, recycle times, detection and the rates inside and outside recycle windows', () => {
    const run = loadRun(writeSyntheticRun(tmp()));
    const m = recycleMetrics(run);
    expect(m.values).toMatchObject({
      failedRequests: 0,
      serverClosed: 0,
      recycleP50: 300,
      recycleP99: 300,
      readyP99: 250,
      detectionP50: 400,
      detectionP99: 400,
    });
    expect(detectionLatencies(run)).toEqual([400]);
    // 4 connections × 50 req/s; the windows hold 3 × 60 requests over 3 × 300 ms.
    expect(m.values.recycleThroughput).toBe(200);
    expect(m.values.outsideThroughput).toBeCloseTo(200, -1);
    expect(m.values.recycleP99Latency).toBe(11);
    expect(m.counts).toMatchObject({ recycles: 3, faults: 1, detections: 1, recycleWindowMs: 900 });
  });

  it('sees the degraded run queue and fail during recycles', () => {
    const m = recycleMetrics(loadRun(writeSyntheticRun(tmp(), { degraded: true }))).values;
    expect(m.failedRequests).toBe(3);
    expect(m.serverClosed).toBe(1);
    expect(m.recycleP99).toBe(700);
    expect(m.recycleThroughput!).toBeLessThan(150);
    expect(m.recycleP99Latency!).toBeGreaterThan(500);
  });
});

describe('thresholds', () => {
  it('parses overrides and rejects bad ones', () => {
    const t = parseThresholds([
      'recycleP99=+25%',
      'failedRequests=2',
      'recycleThroughput=-10%',
      'recycleP99Latency.floor=10',
      'readyP99=off',
    ]);
    expect(t.recycleP99).toEqual({ kind: 'pct', value: 25, floor: 20 });
    expect(t.failedRequests).toEqual({ kind: 'abs', value: 2, floor: 0 });
    expect(t.recycleThroughput).toEqual({ kind: 'pct', value: 10, floor: 5 });
    expect(t.recycleP99Latency.floor).toBe(10);
    expect(t.readyP99.kind).toBe('off');
    expect(() => parseThresholds(['nope=1'])).toThrow(/unknown metric "nope"/);
    expect(() => parseThresholds(['recycleThroughput=+20%'])).toThrow(/write -20%/);
    expect(() => parseThresholds(['recycleP99'])).toThrow(/KEY=VALUE/);
  });

  it('ignores changes under the noise floor and catches a missing metric', () => {
    // +100 % but only 4 ms:
    expect(judge('recycleP99Latency', 4, 8, DEFAULT_THRESHOLDS.recycleP99Latency).status).toBe('ok');
    expect(judge('recycleP99Latency', 4, 12, DEFAULT_THRESHOLDS.recycleP99Latency).status).toBe('crossed');
    expect(judge('failedRequests', 0, 1, DEFAULT_THRESHOLDS.failedRequests).status).toBe('crossed');
    expect(judge('failedRequests', 2, 1, DEFAULT_THRESHOLDS.failedRequests).status).toBe('ok');
    expect(judge('recycleThroughput', 200, 165, DEFAULT_THRESHOLDS.recycleThroughput).status).toBe('ok');
    expect(judge('recycleThroughput', 200, 150, DEFAULT_THRESHOLDS.recycleThroughput).status).toBe('crossed');
    expect(judge('recycleP99', 300, null, DEFAULT_THRESHOLDS.recycleP99).status).toBe('crossed');
    expect(judge('recycleP99', null, 300, DEFAULT_THRESHOLDS.recycleP99).status).toBe('new');
    expect(judge('recycleP50', 300, 900, DEFAULT_THRESHOLDS.recycleP50).status).toBe('reported');
  });
});

describe('compare', () => {
  it('a normal run against itself crosses nothing (exit 0)', () => {
    const a = writeSyntheticRun(tmp());
    const b = writeSyntheticRun(tmp());
    const r = compare(a, b);
    expect(r.exitCode).toBe(0);
    expect(r.crossed).toEqual([]);
    expect(renderCompareMarkdown(r)).toContain('no threshold crossed');
  });

  it('a degraded run against a normal baseline exits 1 and names the crossed thresholds', () => {
    const r = compare(writeSyntheticRun(tmp()), writeSyntheticRun(tmp(), { degraded: true }));
    expect(r.exitCode).toBe(1);
    expect(r.scenarios[0]!.crossed.sort()).toEqual(
      [
        'detectionP99',
        'failedRequests',
        'readyP99',
        'recycleP99',
        'recycleP99Latency',
        'recycleThroughput',
        'serverClosed',
      ].sort(),
    );
    const md = renderCompareMarkdown(r);
    expect(md).toContain('7 thresholds crossed');
    expect(md).toContain('failed requests (fail + info): 0 → 3 (allowed +0)');
    expect(md).toContain('recycle duration p99: 300 ms → 700 ms (allowed +50 % (floor 20 ms))');
    const cells = [
      'ok throughput during recycles',
      '200 req/s',
      '[\\d.]+ req/s',
      '−[\\d.]+ \\(−\\d+ %\\)',
      '−20 % \\(floor 5 req/s\\)',
      '\\*\\*CROSSED\\*\\*',
    ];
    expect(md).toMatch(new RegExp(`\\| ${cells.join(' \\| ')} \\|`));
    const out = tmp();
    const files = writeCompare(r, out);
    expect(JSON.parse(fs.readFileSync(files.json, 'utf8')).exitCode).toBe(1);
    expect(fs.readFileSync(files.md, 'utf8')).toBe(md);
  });

  it('overrides can silence a crossed threshold', () => {
    const r = compare(writeSyntheticRun(tmp()), writeSyntheticRun(tmp(), { degraded: true }), {
      thresholds: [
        'failedRequests=off',
        'serverClosed=+5',
        'recycleP99=+200%',
        'readyP99=off',
        'detectionP99=off',
        'recycleThroughput=off',
        'recycleP99Latency=off',
      ],
    });
    expect(r.exitCode).toBe(0);
  });

  it('matches scenarios across results folders, and saved baselines by name', () => {
    const base = tmp();
    writeSyntheticRun(path.join(base, 'overlapped-recycle', '20250101T000000Z'));
    writeSyntheticRun(path.join(base, 'worker-crash', '20250101T000000Z'), { scenario: 'worker-crash' });
    const runs = tmp();
    writeSyntheticRun(path.join(runs, 'overlapped-recycle', '20250102T000000Z'), { degraded: true });
    writeSyntheticRun(path.join(runs, 'queue-overflow', '20250102T000000Z'), { scenario: 'queue-overflow' });
    const baselines = path.join(tmp(), 'baselines');
    const saved = saveBaseline('nightly', base, baselines);
    expect(saved.scenarios.map((s) => s.scenario)).toEqual(['overlapped-recycle', 'worker-crash']);
    expect(fs.existsSync(path.join(baselines, 'nightly', 'worker-crash', 'history.jsonl'))).toBe(true);
    expect([...resolveSide('nightly', baselines).keys()].sort()).toEqual(['overlapped-recycle', 'worker-crash']);
    const r = compare('nightly', runs, { baselinesDir: baselines });
    expect(r.scenarios.map((s) => s.scenario)).toEqual(['overlapped-recycle']);
    expect(r.onlyInBaseline).toEqual(['worker-crash']);
    expect(r.onlyInRun).toEqual(['queue-overflow']);
    expect(r.exitCode).toBe(1);
  });

  it('rejects bad input with exit code 254', () => {
    const a = writeSyntheticRun(tmp());
    const expect254 = (f: () => unknown, msg: RegExp): void => {
      try {
        f();
        throw new Error('no error');
      } catch (err) {
        expect((err as Error).message).toMatch(msg);
        expect((err as { exitCode?: number }).exitCode).toBe(254);
      }
    };
    expect254(() => compare(a, path.join(tmp(), 'missing')), /no such run folder/);
    expect254(() => compare(a, a, { scenarios: ['nope'] }), /unknown scenario nope/);
    expect254(() => compare(a, tmp()), /no runs/);
    expect254(() => compare(a, a, { thresholds: ['x=1'] }), /unknown metric/);
  });
});

// Checker noFailedRequests: inside a time window (offsets or marks) or a workload phase, at most `maxFailed` requests
// certainly failed and at most `maxInfo` ended with an unknown outcome (reset, closed, hung). Counts are absolute,
// not rates: "zero 503s during a recycle" is the promise being tested, and a rate would hide a handful. Fewer than
// `minRequests` requests in the window (default 100) answer unknown: one lucky request shows nothing. Statuses the
// scenario allows are named in the verdict ("0 failed; 9381 answered 503, allowed by allowStatuses"), never hidden.
import { z } from 'zod';
import type { RequestRecord } from '../history/types';
import {
  countBy,
  defineChecker,
  describeWindow,
  EXAMPLES,
  marksOf,
  requestBrief,
  requestWindowShape,
  selectRequests,
  verdict,
} from './shared';

export const noFailedRequestsOptions = z.strictObject({
  ...requestWindowShape,
  maxFailed: z.number().int().nonnegative().default(0).describe('requests with outcome fail tolerated'),
  maxInfo: z.number().int().nonnegative().default(0).describe('requests with outcome info (unknown) tolerated'),
  allowStatuses: z
    .array(z.number().int().min(100).max(599))
    .default([])
    .describe('responses with these statuses are expected and not counted as failures (e.g. [404])'),
  pathPrefix: z.string().optional().describe('only requests whose path starts with this prefix'),
  minRequests: z.number().int().positive().default(100).describe('fewer requests in the window answer unknown'),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

export const noFailedRequests = defineChecker('noFailedRequests', noFailedRequestsOptions, (input, o) => {
  const sel = selectRequests(input, o);
  if (!sel.ok) return verdict('unknown', `Cannot place the window: ${sel.reason}.`, {});
  const { window } = sel.value;
  const requests = sel.value.requests.filter((r) => o.pathPrefix === undefined || r.path.startsWith(o.pathPrefix));
  const scope = { window: describeWindow(input, window), ...(o.phase !== undefined ? { phase: o.phase } : {}) };
  if (requests.length === 0) {
    const noPhase = o.phase !== undefined && !marksOf(input, 'phase-start').some((m) => m['phase'] === o.phase);
    return verdict('unknown', noPhase ? `No phase "${o.phase}" in this run.` : 'No requests in the window.', scope);
  }

  const allowed = (r: RequestRecord): boolean => r.status !== undefined && o.allowStatuses.includes(r.status);
  const failed = requests.filter((r) => r.outcome === 'fail' && !allowed(r));
  const info = requests.filter((r) => r.outcome === 'info');
  const notOk = [...failed, ...info].sort((a, b) => a.t - b.t);
  const details = {
    ...scope,
    requests: requests.length,
    ok: requests.filter((r) => r.outcome === 'ok').length,
    failed: failed.length,
    info: info.length,
    allowedByStatus: requests.filter((r) => r.outcome !== 'ok' && allowed(r)).length,
    byError: countBy(notOk, (r) => r.error ?? (r.status !== undefined ? `status-${r.status}` : 'other')),
    byStatus: countBy(notOk, (r) => (r.status !== undefined ? String(r.status) : undefined)),
    examples: notOk.slice(0, o.maxExamples).map((r) => requestBrief(input, r)),
  };
  const overFailed = failed.length > o.maxFailed;
  const overInfo = info.length > o.maxInfo;
  if (overFailed || overInfo) {
    const parts = [
      overFailed ? `${failed.length} failed (max ${o.maxFailed})` : undefined,
      overInfo ? `${info.length} with unknown outcome (max ${o.maxInfo})` : undefined,
    ].filter((p) => p !== undefined);
    return verdict(false, `Of ${requests.length} requests in the window, ${parts.join(' and ')}.`, details);
  }
  // Thin evidence never passes; it can still fail (a failure among a few requests is a failure).
  if (requests.length < o.minRequests) {
    const few =
      `Only ${requests.length} requests in the window (minRequests ${o.minRequests}): ` +
      'too few to show that none fail.';
    return verdict('unknown', few, details);
  }
  const answered = (s: number): boolean => requests.some((r) => r.status === s && r.outcome !== 'ok');
  const allowedNote =
    details.allowedByStatus > 0
      ? `; ${details.allowedByStatus} answered ${o.allowStatuses.filter(answered).join('/')}, allowed by allowStatuses`
      : '';
  const limits = o.maxFailed > 0 || o.maxInfo > 0 ? ` (allowed: ${o.maxFailed} failed, ${o.maxInfo} unknown)` : '';
  const counts = `${failed.length} failed, ${info.length} unknown`;
  return verdict(true, `${requests.length} requests in the window: ${counts}${limits}${allowedNote}.`, details);
});

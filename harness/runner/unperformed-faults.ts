// Fault steps a target could not perform at all (no capability: LAB_ERR_CAPABILITY, e.g. a container fault on the
// process runtime) leave a run that did not test what its scenario says: its checks may pass, but the verdict is
// unknown. Read from the fault-error marks, so a re-run of the checks (`w3lab report`) agrees with the run.
import type { Verdict } from '../checkers';
import type { HistoryRecord, MarkRecord } from '../history/types';

/** The fault-error marks of steps the target could not perform at all (LAB_ERR_CAPABILITY). */
export function unperformedSteps(history: HistoryRecord[]): MarkRecord[] {
  return history.filter((r): r is MarkRecord => r.kind === 'mark' && r.name === 'fault-error' && r['code'] === 'LAB_ERR_CAPABILITY');
}

/** Unknown when a fault step could not be performed: the checks then judge a run without its fault. */
export function unperformedVerdict(history: HistoryRecord[]): Verdict | null {
  const steps = unperformedSteps(history);
  if (steps.length === 0) return null;
  const errors = steps.map((m) => `faults[${String(m['step'])}] (${String(m['action'])}): ${String(m['error'])}`);
  return { valid: 'unknown', summary: `The target could not perform ${steps.length} fault step(s): ${errors.join('; ')}`, details: { unperformed: errors } };
}

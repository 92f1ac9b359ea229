// The checker protocol: a pure function of what was recorded to a verdict. `unknown` means the data cannot
// decide (for example, no recycle happened in a run that was meant to check recycles).
import type { HistoryRecord } from '../history/types';
import type { LabEvent } from '../events';

export type Validity = true | false | 'unknown';

export interface Verdict {
  valid: Validity;
  /** One human sentence explaining the verdict. */
  summary: string;
  details: Record<string, unknown>;
}

export interface CheckInput {
  history: HistoryRecord[];
  /** Target events (w3's event log; peers emit the subset they can observe). */
  events: LabEvent[];
  /** Run start and end, epoch ms. */
  start: number;
  end: number;
}

export interface Checker<Options = Record<string, unknown>> {
  name: string;
  check(input: CheckInput, options: Options): Verdict;
}

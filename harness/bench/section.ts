// The contract between run-bench and one benchmark section: a section gets the parameters and where to write, runs
// on its own (starting and stopping everything it needs), writes its JSON file and hands back lines to print.
// Adding a benchmark = one file implementing BenchSection + one entry in run-bench's list.
import type { BenchParams, RunMeta } from './bench-env';
import type { ProcessRegistry } from './managed-process';

export interface BenchContext {
  params: BenchParams;
  /** Built fresh per section so timestamp and load reflect when the section started. */
  meta: () => RunMeta;
  /** results/bench/ */
  outDir: string;
  repoRoot: string;
  /** Every process a section starts is registered here, so an interrupted run can kill them all. */
  processes: ProcessRegistry;
  /** Progress lines (stderr), so stdout keeps just the tables. */
  progress: (msg: string) => void;
}

export interface SectionReport {
  /** Files the section wrote. */
  files: string[];
  /** Human-readable table(s) for stdout. */
  lines: string[];
  /** A section that measured but saw something that must not happen (e.g. failed requests during recycles). */
  problems: string[];
}

export interface BenchSection {
  name: string;
  description: string;
  /** Runs only when named on the command line (slow sections, e.g. under valgrind). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<SectionReport>;
}

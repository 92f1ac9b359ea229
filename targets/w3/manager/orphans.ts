// Orphaned workers (IIS failure.orphanWorkerProcess): a worker found unhealthy — ping failure or
// request-progress stall — is left running for diagnosis instead of being killed. The pool stops routing to it (its
// in-flight requests fail over at once), starts a replacement as for a kill, and runs orphanActionCommand with %1% =
// the PID. IIS leaves an orphan until someone kills it; w3 does the same while the host runs (an admin pool stop
// leaves it too), but kills orphans when the host stops or the pool is removed by a reload: the lab must never leak
// processes, and a module worker could not outlive its host anyway (it exits when its control channel closes).
import { expandArgs, runPoolCommand } from './pool-commands';
import type { WorkerProcess } from './worker-process';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../util/logger';

export class Orphans {
  readonly list: WorkerProcess[] = [];

  constructor(
    private readonly pool: string,
    private readonly events: EventLog,
    private readonly log: Logger,
  ) {}

  adopt(w: WorkerProcess, reason: string, actionCommand: string[] | null): void {
    w.orphan();
    this.list.push(w);
    this.events.emit({ type: 'WorkerOrphaned', pool: this.pool, workerId: w.id, pid: w.pid, reason });
    if (actionCommand) runPoolCommand(expandArgs(actionCommand, String(w.pid)), 'orphanActionCommand', this.log);
  }

  /** An orphan's process ended (someone killed it, or the host did): forget it. True when `w` was an orphan. */
  onExit(w: WorkerProcess): boolean {
    const i = this.list.indexOf(w);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }

  /** Host stop / pool removal: SIGKILL every orphan and resolve when all have exited. */
  async killAll(why: string): Promise<void> {
    const gone = this.list.map(
      (w) => new Promise<void>((resolve) => (w.exited ? resolve() : w.once('exit', () => resolve()))),
    );
    for (const w of this.list) {
      this.events.emit({
        type: 'WorkerKilled',
        pool: this.pool,
        workerId: w.id,
        pid: w.pid,
        reason: `orphan (${why})`,
      });
      w.kill(why);
    }
    await Promise.all(gone);
  }
}

// A target's events as the lab collects them, whatever runtime the target runs in: the JSON lines
// `{"event":{...}}` its main program writes (w3's pino lines; the node-cluster primary prints the same shape) are
// turned into events, kept in arrival order, and can be waited for with a deadline. Once the source has ended (the
// process exited, the container was removed), pending and later waits fail at once with the source's reason.
// The worker PIDs the target reported (WorkerStarting) are remembered: only those may be signalled.
// These are the target's own events, in its own words; the target's adapter maps them into the lab's vocabulary
// (harness/events) for everything downstream.

/** One event as a target logged it: a type, a time, and whatever fields that target gives it. */
export interface TargetLogEvent {
  t: number;
  type: string;
  [field: string]: unknown;
}

/** The event in one output line, or null for any other line (a worker's own output interleaved with ours). */
export function eventFromLine(raw: string): TargetLogEvent | null {
  const line = raw.trim();
  if (!line.startsWith('{') || !line.includes('"event"')) return null;
  let parsed: { event?: TargetLogEvent };
  try {
    parsed = JSON.parse(line) as { event?: TargetLogEvent };
  } catch {
    return null;
  }
  const e = parsed.event;
  return e && typeof e.type === 'string' && typeof e.t === 'number' ? e : null;
}

export class EventLog {
  private readonly seen: TargetLogEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly workers = new Set<number>();
  private ended: ((what: string) => Error) | null = null;

  /** @param onRecord sees each event as it is recorded (e.g. to follow live workers). */
  constructor(private readonly onRecord?: (e: TargetLogEvent) => void) {}

  record(e: TargetLogEvent): void {
    this.seen.push(e);
    if (e.type === 'WorkerStarting' && typeof e.pid === 'number') this.workers.add(e.pid);
    this.onRecord?.(e);
    this.notify();
  }

  /** Records the event of one line, if it holds one. */
  recordLine(line: string): void {
    const e = eventFromLine(line);
    if (e) this.record(e);
  }

  /** Every event so far, in arrival order (a copy). */
  events(): TargetLogEvent[] {
    return this.seen.slice();
  }

  get length(): number {
    return this.seen.length;
  }

  /** A worker the target reported (WorkerStarting), alive or not. */
  reportedWorker(pid: number): boolean {
    return this.workers.has(pid);
  }

  /** The source ended: waits now fail with failure(what) instead of running into their deadline. */
  end(failure: (what: string) => Error): void {
    this.ended ??= failure;
    this.notify();
  }

  /** Resolves with the first event (from index `from` on) matching pred; rejects on timeout or when the source ends. */
  waitFor(
    pred: (e: TargetLogEvent) => boolean,
    timeoutMs: number,
    what: string,
    onTimeout: (message: string) => Error,
    from = 0,
  ): Promise<TargetLogEvent> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): void => {
        for (; scanned < this.seen.length; scanned++) {
          const e = this.seen[scanned]!;
          if (pred(e)) return finish(() => resolve(e));
        }
        if (this.ended) {
          const failure = this.ended;
          finish(() => reject(failure(what)));
        }
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(onTimeout(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

// events.jsonl as the run goes: the target's events (in the lab vocabulary) are appended every `intervalMs` while
// the run lasts, and once more at the end, so a run that is killed — the lab itself SIGKILLed, the machine
// rebooted — keeps every event up to the last flush, not an empty file. Writes are synchronous appends (like the
// history), so flushSync() is safe in an exit handler.
import fs from 'node:fs';
import type { LabEvent } from '../events';

export class EventRecorder {
  private fd: number | null;
  private written = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly file: string,
    private readonly source: () => LabEvent[],
    private readonly intervalMs = 100,
  ) {
    this.fd = fs.openSync(file, 'a');
  }

  start(): void {
    this.timer ??= setInterval(() => this.flushSync(), this.intervalMs);
    this.timer.unref();
  }

  /** Appends the events not written yet; returns every event so far. */
  flushSync(): LabEvent[] {
    const all = this.source();
    if (this.fd === null || all.length <= this.written) return all;
    const lines = all
      .slice(this.written)
      .map((e) => JSON.stringify(e) + '\n')
      .join('');
    fs.writeSync(this.fd, lines);
    this.written = all.length;
    return all;
  }

  /** Stops the timer, writes the rest and closes the file; returns every event. Idempotent. */
  close(): LabEvent[] {
    clearInterval(this.timer ?? undefined);
    this.timer = null;
    const all = this.flushSync();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    return all;
  }
}

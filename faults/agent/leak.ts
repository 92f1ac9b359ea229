// Memory leak fault: grows retained memory at a rate up to a cap, then holds it until healed. The memory must be
// real — heap leaks are many distinct JS strings kept in an array (they count in heapUsed and rss); off-heap
// leaks are Buffers filled with a non-zero byte, because zero-filled pages may never be committed by the kernel
// and would not show in rss (they count in arrayBuffers and rss).
import type { WorkerFaultSpec } from '../spec';

type LeakSpec = Extract<WorkerFaultSpec, { kind: 'leak' }>;

/** Allocation step: 100 ms gives a smooth curve without timer overhead dominating. */
export const LEAK_STEP_MS = 100;
/** Heap leaks are cut into strings of this size so no single allocation is unusually large. */
const HEAP_CHUNK_BYTES = 64 * 1024;

export class MemoryLeak {
  private retained: (Buffer | string)[] = [];
  private bytes = 0;
  private fill = 0x41;
  private timer: NodeJS.Timeout | null = null;
  private readonly capBytes: number;
  private readonly stepBytes: number;

  constructor(private readonly spec: LeakSpec) {
    this.capBytes = spec.capKB * 1024;
    this.stepBytes = Math.max(1, Math.round((spec.rateKBps * 1024 * LEAK_STEP_MS) / 1000));
  }

  /** Allocates the first step at once (so the effect is visible on apply), then one step per interval. */
  start(): void {
    if (this.timer) return;
    this.step();
    if (this.bytes >= this.capBytes) return;
    this.timer = setInterval(() => this.step(), LEAK_STEP_MS);
    this.timer.unref(); // a leak alone must not keep the process alive
  }

  /** Stops growing; what was allocated stays retained (durationMs elapsed, or the cap was reached). */
  stopGrowing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Drops every reference so the next GC can return the memory. */
  release(): void {
    this.stopGrowing();
    this.retained = [];
    this.bytes = 0;
  }

  retainedBytes(): number {
    return this.bytes;
  }

  private step(): void {
    const n = Math.min(this.stepBytes, this.capBytes - this.bytes);
    if (n <= 0) {
      this.stopGrowing();
      return;
    }
    // Rotating the fill byte keeps chunks distinct, so nothing can share or deduplicate them.
    this.fill = this.fill >= 0x7a ? 0x41 : this.fill + 1;
    if (this.spec.space === 'offheap') {
      this.retained.push(Buffer.alloc(n, this.fill));
    } else {
      for (let left = n; left > 0; left -= HEAP_CHUNK_BYTES) {
        // latin1 decoding gives a flat one-byte string: exactly one heap byte per character.
        this.retained.push(Buffer.alloc(Math.min(left, HEAP_CHUNK_BYTES), this.fill).toString('latin1'));
      }
    }
    this.bytes += n;
    if (this.bytes >= this.capBytes) this.stopGrowing();
  }
}

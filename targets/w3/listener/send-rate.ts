// The minimum send rate (HTTP.SYS MinSendRate, IIS webLimits.minBytesPerSecond): a client that
// takes a response slower than `minBytesPerSecond` is disconnected (HTTPERR Timer_MinBytesPerSecond) — but only
// once the time the response would take at that rate has elapsed, so short dips never kill a connection.
//
// Node has no such timer, so w3 keeps a deadline per response in progress and checks it on a coarse tick:
//  - at the response head: deadline = now + (head bytes + Content-Length) / rate (a chunked response of unknown
//    size starts with the head only and every chunk handed to the connection adds chunk / rate — HTTP.SYS gives
//    each send its own size/rate allowance);
//  - whenever a chunk is handed while the connection has caught up (nothing left in Node's buffer), the client is
//    not behind and any wait so far was the worker's: the deadline becomes at least now + (bytes still owed) / rate;
//  - expiry needs both: deadline passed and bytes still waiting in Node's buffer for the client.
// A response stops being watched once its last byte is in the kernel (res 'close'); what the kernel still holds
// for a client that stopped reading is then the idle timer's business. Precision: the tick (250 ms).
// Responses served from the response cache are not watched (they are at most maxResponseSize).

export interface SendRateTracked {
  sendDeadline: number;
  /** Bytes of the whole response as far as known (head + Content-Length, or head + what was handed so far). */
  sendTotal: number;
  /** Bytes handed to the connection so far. */
  sendHanded: number;
  /** Bytes waiting in Node's buffer for the client (socket.writableLength). */
  sendBacklog(): number;
  onSendRateExpired(): void;
}

export const SEND_RATE_TICK_MS = 250;

/** A new response: budget for the head plus the announced body. */
export function startSend(
  t: SendRateTracked,
  headBytes: number,
  contentLength: number | null,
  now: number,
  bytesPerSecond: number,
): void {
  t.sendHanded = headBytes;
  t.sendTotal = headBytes + (contentLength ?? 0);
  t.sendDeadline = now + (t.sendTotal * 1000) / bytesPerSecond;
}

/** `n` body bytes are being handed to the connection; `backlog` is what Node still buffers before this chunk. */
export function recordSend(t: SendRateTracked, n: number, backlog: number, now: number, bytesPerSecond: number): void {
  const before = t.sendHanded;
  const after = before + n;
  if (backlog === 0) {
    // Caught up: owed is the rest of a known-size response, or this chunk.
    const owed = Math.max(t.sendTotal, after) - before;
    t.sendDeadline = Math.max(t.sendDeadline, now + (owed * 1000) / bytesPerSecond);
  } else if (after > t.sendTotal) {
    t.sendDeadline += ((after - Math.max(t.sendTotal, before)) * 1000) / bytesPerSecond;
  }
  t.sendHanded = after;
  if (after > t.sendTotal) t.sendTotal = after;
}

export function sendExpired(t: SendRateTracked, now: number): boolean {
  return now > t.sendDeadline && t.sendBacklog() > 0;
}

/** The set of responses in progress and the tick that checks them (runs only while there are some). */
export class SendRateWatch {
  private readonly watched = new Set<SendRateTracked>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    public bytesPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.bytesPerSecond > 0;
  }

  start(t: SendRateTracked, headBytes: number, contentLength: number | null): void {
    startSend(t, headBytes, contentLength, this.now(), this.bytesPerSecond);
    this.watched.add(t);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), SEND_RATE_TICK_MS);
      this.timer.unref();
    }
  }

  sent(t: SendRateTracked, n: number): void {
    recordSend(t, n, t.sendBacklog(), this.now(), this.bytesPerSecond);
  }

  stop(t: SendRateTracked): void {
    this.watched.delete(t);
  }

  tick(): void {
    const now = this.now();
    for (const t of this.watched) {
      if (!sendExpired(t, now)) continue;
      this.watched.delete(t);
      t.onSendRateExpired();
    }
    if (this.watched.size === 0) this.close();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

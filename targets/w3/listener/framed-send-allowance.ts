// The minimum send rate's first allowance for a response on the framed transport. The listener never parses a
// worker's response, but the allowance must cover the announced body, as on the HTTP transport (where undici reads
// Content-Length): the first response bytes are searched for the end of the head and a Content-Length in it.
import type { SendRateTracked, SendRateWatch } from './send-rate';

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = [Buffer.from('\r\nContent-Length:'), Buffer.from('\r\ncontent-length:')];

/**
 * The Content-Length of a response head that ends at `end` in `chunk` (null: none, or an unusual spelling). Node
 * writes `Content-Length` when it computes it and the application's spelling otherwise: the two common ones are
 * searched as bytes, anything else by a lower-cased copy.
 */
export function contentLengthIn(chunk: Buffer, end: number): number | null {
  const head = chunk.subarray(0, end);
  let at = head.indexOf(CONTENT_LENGTH[0]!);
  if (at === -1) at = head.indexOf(CONTENT_LENGTH[1]!);
  if (at === -1) at = head.toString('latin1').toLowerCase().indexOf('\r\ncontent-length:');
  if (at === -1) return null;
  const from = at + CONTENT_LENGTH[0]!.length;
  const eol = head.indexOf(13, from);
  const n = Number(head.toString('latin1', from, eol === -1 ? end : eol).trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Starts watching a response from its first bytes: the head and the announced body, or just these bytes. */
export function startSendAllowance(rate: SendRateWatch, tracked: SendRateTracked, chunk: Buffer): void {
  const head = chunk.indexOf(HEAD_END);
  const length = head === -1 ? null : contentLengthIn(chunk, head);
  if (length === null) rate.start(tracked, chunk.length, null);
  else {
    rate.start(tracked, head + 4, length);
    if (chunk.length > head + 4) rate.sent(tracked, chunk.length - head - 4);
  }
}

// What an autocannon phase reports, kept apart from autocannon-load.ts so that the public types (a session's drive()
// result) do not import autocannon's: it is an optional package, and a consumer without it must still type-check.

export const AUTOCANNON_NOTE = 'autocannon cannot see connection closes; see history.jsonl for per-connection evidence';

export interface AutocannonCompactSummary {
  /** Responses received. */
  requests: number;
  /** Requests written (includes phantom writes on closed sockets, see the note). */
  sent: number;
  rps: number;
  durationSec: number;
  /** Socket errors plus timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number; max: number };
  note: typeof AUTOCANNON_NOTE;
}

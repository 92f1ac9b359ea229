// Checker connectionsSurvive: client keep-alive connections outlive worker crashes and recycles. In the IIS model the
// listener (HTTP.sys) owns the connections, so a worker's death must not close a client's socket; a node-cluster
// style server, where the worker owns the socket, fails this. Every close by the server counts as a drop unless the
// scenario allows it: a close announced with `Connection: close` (a server that announces it on every response
// drops every connection just the same) with `allowAnnouncedClose`, and a socket ended after a protocol error (stray
// bytes, bad framing) with `allowErrorClose`. Allowed closes are named in the verdict.
import { z } from 'zod';
import type { SocketRecord } from '../history/types';
import type { CheckInput } from './types';
import {
  countBy,
  defineChecker,
  describeWindow,
  EXAMPLES,
  inWindow,
  resolveWindow,
  socketsOf,
  timeRefSchema,
  verdict,
} from './shared';

export const connectionsSurviveOptions = z.strictObject({
  allowAnnouncedClose: z
    .boolean()
    .default(false)
    .describe('a close after a response carrying Connection: close is not an offence'),
  allowErrorClose: z
    .boolean()
    .default(false)
    .describe('a socket the client closed after a protocol error (stray bytes, bad framing) is not an offence'),
  from: timeRefSchema.optional().describe('only sockets closed at or after this time'),
  to: timeRefSchema.optional().describe('only sockets closed before this time'),
  maxExamples: z.number().int().nonnegative().default(EXAMPLES),
});

type Options = z.output<typeof connectionsSurviveOptions>;

function offence(s: SocketRecord, o: Options): string | undefined {
  if (s.closedWithRequestInFlight) return 'closed with a request in flight';
  if (s.closeKind === 'server-fin') return 'closed by the server (FIN) without Connection: close';
  if (s.closeKind === 'reset') return 'reset';
  if (s.closeKind === 'server-close-announced' && !o.allowAnnouncedClose)
    return 'closed by the server after Connection: close';
  if (s.closeKind === 'error' && !o.allowErrorClose) return 'ended after a protocol error';
  return undefined;
}

/** "; 3 closed after Connection: close, allowed by allowAnnouncedClose" — allowed closes are said, not hidden. */
function allowedNote(sockets: SocketRecord[], o: Options): string {
  const n = (k: string): number => sockets.filter((s) => s.closeKind === k && !s.closedWithRequestInFlight).length;
  const parts = [
    o.allowAnnouncedClose && n('server-close-announced') > 0
      ? `${n('server-close-announced')} closed after Connection: close, allowed by allowAnnouncedClose`
      : '',
    o.allowErrorClose && n('error') > 0 ? `${n('error')} ended after a protocol error, allowed by allowErrorClose` : '',
  ].filter(Boolean);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function brief(input: CheckInput, s: SocketRecord, why: string): Record<string, unknown> {
  return {
    conn: s.conn,
    ...(s.localPort !== undefined ? { localPort: s.localPort } : {}),
    opened: s.opened - input.start,
    ...(s.closed !== undefined ? { closed: s.closed - input.start } : {}),
    closeKind: s.closeKind ?? 'open',
    requests: s.requests,
    why,
    ...(s.errorMessage !== undefined ? { errorMessage: s.errorMessage } : {}),
  };
}

export const connectionsSurvive = defineChecker('connectionsSurvive', connectionsSurviveOptions, (input, o) => {
  const w = resolveWindow(input, o.from, o.to);
  if (!w.ok) return verdict('unknown', `Cannot place the window: ${w.reason}.`, {});
  const windowed = o.from !== undefined || o.to !== undefined;
  // A socket still open at the end has no close time; it is in every window (it survived).
  const sockets = socketsOf(input).filter((s) => !windowed || s.closed === undefined || inWindow(w.value, s.closed));
  if (sockets.length === 0) {
    return verdict('unknown', 'No socket records: the workload did not track connections.', {
      window: describeWindow(input, w.value),
    });
  }
  const offending = sockets
    .map((s) => ({ s, why: offence(s, o) }))
    .filter((x): x is { s: SocketRecord; why: string } => x.why !== undefined)
    .sort((a, b) => (a.s.closed ?? Infinity) - (b.s.closed ?? Infinity));
  const details = {
    sockets: sockets.length,
    byCloseKind: countBy(sockets, (s) => s.closeKind ?? 'open'),
    closedWithRequestInFlight: sockets.filter((s) => s.closedWithRequestInFlight).length,
    offending: offending.length,
    examples: offending.slice(0, o.maxExamples).map((x) => brief(input, x.s, x.why)),
    ...(windowed ? { window: describeWindow(input, w.value) } : {}),
  };
  if (offending.length > 0) {
    return verdict(
      false,
      `${offending.length} of ${sockets.length} client connections were closed by the server` +
        ` (${offending.filter((x) => x.s.closedWithRequestInFlight).length} with a request in flight).`,
      details,
    );
  }
  const allowed = allowedNote(sockets, o);
  const survived = allowed
    ? `No client connection was dropped (${sockets.length} sockets${allowed}).`
    : `All ${sockets.length} client connections survived.`;
  return verdict(true, survived, details);
});

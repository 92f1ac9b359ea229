// Run statistics: which socket ends count as closed by the server.
import { computeStats } from './stats';
import type { SocketCloseKind, SocketRecord } from '../history/types';

const socket = (conn: number, closeKind?: SocketCloseKind): SocketRecord => ({
  kind: 'socket',
  conn,
  opened: 0,
  closed: closeKind ? 10 : undefined,
  closeKind,
  requests: 1,
});

test('every close the server caused counts, announced or not; the client closing and open sockets do not', () => {
  const history = [
    socket(1, 'server-fin'),
    socket(2, 'server-close-announced'),
    socket(3, 'reset'),
    socket(4, 'error'),
    socket(5, 'client'),
    socket(6),
  ];
  const stats = computeStats(history, [], 0, 1000);
  expect(stats.sockets).toBe(6);
  expect(stats.serverClosedSockets).toBe(4);
});

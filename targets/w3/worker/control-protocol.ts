// Messages on the control channel between the manager and a module-mode worker (Node IPC). The data path (HTTP
// requests) uses a separate Unix socket; this channel carries readiness, health pings, drain and faults.
// Any message that does not match these shapes is "malformed" and counts as a rapid-fail failure (IIS 5127).

export type ToWorker =
  | { type: 'ping'; seq: number }
  | { type: 'shutdown' }
  | { type: 'fault'; id: number; spec: unknown }
  | { type: 'heal'; id?: number };

export type FromWorker =
  | { type: 'ready'; socket: string }
  | { type: 'pong'; seq: number }
  | { type: 'unhealthy'; reason?: string }
  | { type: 'fault-ack'; id: number; ok: boolean; error?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string };

export function isFromWorker(m: unknown): m is FromWorker {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  switch (t) {
    case 'ready':
      return typeof (m as { socket?: unknown }).socket === 'string';
    case 'pong':
      return typeof (m as { seq?: unknown }).seq === 'number';
    case 'unhealthy':
    case 'fault-ack':
    case 'log':
      return true;
    default:
      return false;
  }
}

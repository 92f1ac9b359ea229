// The call an application makes from inside a w3 worker to declare itself unhealthy: the manager then recycles
// the worker (overlapped, event 5078, reason IsapiUnhealthy) — the Node analogue of an ISAPI extension reporting
// unhealthy. Outside w3 (no control channel) it is a no-op and returns false.
//   require('w3lab/w3').reportUnhealthy('cache corrupted')
// or, without importing anything: process.send({ type: 'unhealthy', reason: '...' })
export function reportUnhealthy(reason = 'reported by the application'): boolean {
  if (!process.send || !process.connected || !process.env['W3_WORKER_ID']) return false;
  process.send({ type: 'unhealthy', reason });
  return true;
}

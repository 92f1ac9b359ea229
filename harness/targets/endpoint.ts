// The client-facing address of a target, from the `listen` field of its HostStarted event.
import { TargetError } from './errors';
import type { Endpoint } from './types';

export function endpointOf(listen: unknown): Endpoint {
  const l = listen as { host?: unknown; port?: unknown } | undefined;
  if (typeof l?.port !== 'number')
    throw new TargetError('LAB_ERR_TARGET_START', `HostStarted event has no listen port: ${JSON.stringify(listen)}`);
  const raw = typeof l.host === 'string' ? l.host : '127.0.0.1';
  // A wildcard bind is reached over loopback.
  const host = raw === '0.0.0.0' ? '127.0.0.1' : raw === '::' ? '::1' : raw;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { host, port: l.port, url: `http://${urlHost}:${l.port}` };
}

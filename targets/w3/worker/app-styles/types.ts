// The contract between the app loader (../load-app.ts) and the export styles it knows (one module per style):
// a style recognises an export by its shape and turns it into a Node request listener, possibly with a close()
// that ends the app's own resources (Fastify's onClose hooks, Nest's shutdown hooks) when the worker shuts down.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
/** What a Node server's 'upgrade' event receives (a module's `upgrade` export). */
export type UpgradeListener = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export interface LoadedApp {
  listener: RequestListener;
  /** Which style served the export, e.g. "fastify", "nest (fastify)": logged by the worker, shown in tests. */
  style: string;
  /** Ends the app's own resources; called once, when the worker shuts down gracefully. */
  close?: () => Promise<void>;
  /** The module's `upgrade(req, socket, head)` export: WebSocket and other upgrades routed to this app. */
  upgrade?: UpgradeListener;
}

/** Resolves an inner export (a factory's result, a Nest app's HTTP framework instance) with every style. */
export type ResolveInner = (value: unknown, what: string) => Promise<LoadedApp>;

export interface AppStyle {
  readonly name: string;
  /** What the style accepts, as one item of the "w3 accepts ..." list in the error for an unusable export. */
  readonly accepts: string;
  matches(value: unknown): boolean;
  /** `what` names the export in messages ("module.exports", "export createApp"). */
  adapt(value: unknown, what: string, resolve: ResolveInner): Promise<LoadedApp>;
}

/** The error for an export w3 cannot serve, or an app that fails to become ready. */
export class AppLoadError extends Error {
  readonly code = 'W3_ERR_APP_LOAD' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

export function hasMethods(
  value: unknown,
  ...names: string[]
): value is Record<string, (...args: unknown[]) => unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const o = value as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}

// Settings the two front-proxy peers (nginx, haproxy) share: the Node backends behind them and how they are
// supervised. The scenario's pool settings give the defaults where they have an equivalent (pool-intent.ts).
import { z } from 'zod';
import { appModule, type NodeClusterSettings } from './node-cluster-settings';
import type { PoolIntent } from './pool-intent';

export const backendSettingsShape = {
  config: z.record(z.string(), z.unknown()).optional().describe("the scenario's w3 config (app module, pool settings)"),
  workers: z
    .number()
    .int()
    .min(1)
    .max(16)
    .optional()
    .describe(
      "number of Node backends (default: the pool's maxProcesses, at least 2 — " +
        'one backend has nothing to fail over to)',
    ),
  app: z.string().min(1).optional().describe('app module (a Node request listener); relative to the current directory'),
  pool: z.string().min(1).default('app').describe('pool name the backends are reported under'),
  port: z.number().int().min(0).max(65535).default(0).describe('port the proxy listens on; 0 = a free one'),
  restartDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(100)
    .describe("restart a crashed backend after this (systemd's RestartSec)"),
  shutdownTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("SIGKILL a backend this long after SIGTERM (default: the pool's shutdownTimeLimit, else 10 s)"),
};

export function backendSettings(
  s: {
    workers?: number | undefined;
    app?: string | undefined;
    config?: Record<string, unknown> | undefined;
    shutdownTimeoutMs?: number | undefined;
    restartDelayMs: number;
  },
  intent: PoolIntent,
  labApp: string,
): { backends: number; app: string; shutdownTimeoutMs: number; restartDelayMs: number } {
  return {
    backends: s.workers ?? Math.max(2, intent.workers ?? 0),
    app: appModule({ app: s.app, config: s.config } as NodeClusterSettings, labApp),
    shutdownTimeoutMs: s.shutdownTimeoutMs ?? intent.shutdownTimeLimitMs ?? 10_000,
    restartDelayMs: s.restartDelayMs,
  };
}

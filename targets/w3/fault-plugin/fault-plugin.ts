// The interface a fault-injection plugin implements to plug into w3. w3 itself contains no fault code: with fault
// injection off (the default) neither the host nor a worker loads any of it. With it on, the host loads the plugin
// module named by HostOptions.faultInjection.plugin (the CLI passes this package's lab plugin, or $W3_FAULT_PLUGIN)
// and each module-mode worker loads the plugin's worker module before the application.
//
// Host side: the admin API validates fault specs with the plugin, then sends the validated value to the worker
// unchanged. Worker side: the agent applies and heals faults, wraps the request listener, and decides whether pings
// are answered and a graceful shutdown is honoured (a hang or a shutdown-hang fault says no).
import type { IncomingMessage, ServerResponse } from 'node:http';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface StartupFault {
  mode: 'crash' | 'hang';
  /** How many of the next worker starts get it; 0 = every start until disarmed. */
  count: number;
}

export interface HostFaultPlugin {
  /** Validates the body of POST /pools/:name/workers/:id/faults; `value` is what the worker's agent receives. */
  parseWorkerFault(body: unknown): ParseResult<unknown>;
  /** Validates the body of POST /pools/:name/faults (a startup fault for the next worker starts). */
  parseStartupFault(body: unknown): ParseResult<StartupFault>;
  /** Absolute path of the module workers load: it exports createWorkerFaultAgent (WorkerFaultModule). */
  workerModule: string;
}

export interface HostFaultModule {
  createHostFaultPlugin(): HostFaultPlugin;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface WorkerFaultAgent {
  /**
   * Applies a spec the host validated. A fault that takes the process over (a crash, a blocked or spinning event
   * loop) must start only once `startAfter` settles: the worker passes "the fault's ack has left", which a dead or
   * blocked process could no longer send when the control pipe was backed up.
   */
  apply(spec: unknown, opts?: { startAfter?: PromiseLike<unknown> }): void;
  /** Heals one fault, or all when `id` is omitted. */
  heal(id?: number): void;
  wrapHandler(h: RequestListener): RequestListener;
  answersPings(): boolean;
  honoursShutdown(): boolean;
}

export interface WorkerFaultModule {
  /**
   * Called first thing in the worker, before the application loads. `startupFault` is set when the host armed a
   * startup fault for this worker: the plugin crashes or hangs the process here.
   */
  createWorkerFaultAgent(opts: { startupFault: 'crash' | 'hang' | null }): WorkerFaultAgent;
}

export class FaultPluginError extends Error {
  readonly code = 'W3_ERR_FAULT_PLUGIN';
  constructor(message: string) {
    super(message);
    this.name = 'FaultPluginError';
  }
}

/** Loads and checks a host plugin module (absolute path or package name). */
export function loadHostFaultPlugin(modulePath: string): HostFaultPlugin {
  let mod: Partial<HostFaultModule>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plugin named in the config, at run time
    mod = require(modulePath) as Partial<HostFaultModule>;
  } catch (err) {
    throw new FaultPluginError(
      `fault injection: cannot load the fault plugin ${modulePath}: ${(err as Error).message}`,
    );
  }
  if (typeof mod.createHostFaultPlugin !== 'function') {
    throw new FaultPluginError(`fault injection: ${modulePath} does not export createHostFaultPlugin()`);
  }
  const plugin = mod.createHostFaultPlugin();
  const ok =
    typeof plugin?.parseWorkerFault === 'function' &&
    typeof plugin.parseStartupFault === 'function' &&
    typeof plugin.workerModule === 'string';
  if (!ok) throw new FaultPluginError(`fault injection: ${modulePath} returned an incomplete plugin`);
  return plugin;
}

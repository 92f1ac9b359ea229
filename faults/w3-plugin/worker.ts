// The lab's fault plugin for w3, worker side: applies a startup fault before the application loads, then hosts
// the fault agent (faults/agent/agent.ts). The specs it receives were validated by the host (./host.ts), so the
// spec parser is not loaded here (building its schemas stalls a worker's event loop for ~0.5 s on a busy machine).
import { createFaultAgent } from '../agent/agent';
import { applyStartupFault, STARTUP_FAULT_ENV } from '../agent/startup';
import type { WorkerFaultSpec } from '../spec';
import type { WorkerFaultAgent } from '../../targets/w3/fault-plugin/fault-plugin';

export function createWorkerFaultAgent(opts: { startupFault: 'crash' | 'hang' | null }): WorkerFaultAgent {
  if (opts.startupFault) applyStartupFault({ [STARTUP_FAULT_ENV]: opts.startupFault });
  const agent = createFaultAgent();
  return {
    apply: (spec, applyOpts) => void agent.apply(spec as WorkerFaultSpec, applyOpts),
    heal: (id) => agent.heal(id),
    wrapHandler: (h) => agent.wrapHandler(h),
    answersPings: () => agent.answersPings(),
    honoursShutdown: () => agent.honoursShutdown(),
  };
}

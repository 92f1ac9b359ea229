// Public API of faults/: fault specs, the in-worker agent and how to host it, process faults by PID, target
// selectors and the seeded random source they share. preload.ts is deliberately not exported: loading it
// installs the agent into the current process.
export * from './spec';
export * from './errors';
export { seededRandom, type Random } from './seeded-random';
export { targetSelector, pickTargets, selectionSize, type TargetSelector, type Selection } from './selector';
export {
  createFaultAgent,
  type FaultAgent,
  type FaultAgentOptions,
  type ActiveFault,
  type RequestHandler,
} from './agent/agent';
export { MAX_BLOCK_MS } from './agent/busy';
export {
  applyStartupFault,
  STARTUP_FAULT_ENV,
  STARTUP_CRASH_EXIT_CODE,
  STARTUP_HANG_END_EXIT_CODE,
  MAX_STARTUP_HANG_MS,
  type StartupFaultOptions,
} from './agent/startup';
export { installFaultAgent, WORKER_PID_HEADER, type AgentRequest, type AgentReply } from './agent/install';
export { sendSignal, processExists, pauseProcess, resumeProcess, withPause } from './process/signals';

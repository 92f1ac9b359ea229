// Container-level faults: signal / pause / restart a whole container, signal one process inside, and the memory
// quota → kernel OOM kill of a worker. They act on anything shaped like ContainerControl (the container runtime's
// handle satisfies it).
export type { ContainerControl, ContainerExecResult, ContainerStateSnapshot } from './container-control';
export {
  killContainer,
  pauseContainer,
  withContainerPaused,
  restartContainer,
  signalProcessInContainer,
  ContainerFaultError,
  type ContainerFaultErrorCode,
  type KillResult,
  type PausedContainer,
  type RestartResult,
} from './container-faults';
export {
  oomKillWorker,
  oomKillEvent,
  readOomCounters,
  parseEventLine,
  type OomCounters,
  type OomKillOptions,
  type OomKillObservation,
  type LoggedEvent,
} from './oom-kill';

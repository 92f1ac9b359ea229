// The bundled core suite's scenario names, as the tests expect them (one list, so a new scenario is added once).
export const CORE_SCENARIOS = [
  'front-reload',
  'idle-demand-start',
  'memory-leak',
  'overlapped-recycle',
  'queue-overflow',
  'rapid-fail',
  'shutdown-hang',
  'steady-state',
  'web-garden-crash',
  'worker-crash',
  'worker-hang',
  'zombie-worker',
];

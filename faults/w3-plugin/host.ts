// The lab's fault plugin for w3, host side (targets/w3/fault-plugin/fault-plugin.ts is the interface): fault specs
// are validated with the lab's schemas (faults/spec.ts); workers load ./worker. w3 loads this module only when fault
// injection is enabled.
import path from 'node:path';
import { parseStartupFault, parseWorkerFault } from '../spec';
import type { HostFaultPlugin } from '../../targets/w3/fault-plugin/fault-plugin';

export function createHostFaultPlugin(): HostFaultPlugin {
  return {
    parseWorkerFault,
    parseStartupFault: (body) => {
      const r = parseStartupFault(body);
      return r.ok ? { ok: true, value: { mode: r.value.mode, count: r.value.count } } : r;
    },
    workerModule: path.join(__dirname, 'worker.js'),
  };
}

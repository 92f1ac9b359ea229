// A FaultSchedule built from a scenario's `faults:` list for the schedule's unit tests: its marks collected in order,
// and the warnings it leaves in the lab log (level warn and above), so a test can read both.
import pino from 'pino';
import { seededRandom } from '../../../faults';
import { parseScenario } from '../../scenarios/load-scenario';
import type { StartedTarget } from '../../targets/types';
import { FaultSchedule } from '../fault-schedule';

export function scheduleUnderTest(t: StartedTarget, faults: unknown[], readyWaitMs?: number) {
  const steps = parseScenario(
    { name: 'x', workload: [{ name: 'l', duration: '10s' }], faults, expect: [{ check: 'noFailedRequests' }] },
    't',
  ).faults;
  const marks: Record<string, unknown>[] = [];
  const logged: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'warn', base: undefined },
    { write: (s: string) => void logged.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const s = new FaultSchedule(
    t,
    steps,
    seededRandom(1),
    (name, extra) => marks.push({ name, ...extra }),
    log,
    readyWaitMs,
  );
  const named = (n: string) => marks.filter((m) => m['name'] === n);
  const warnings = () => logged.map(({ msg, pid, err, step }) => ({ msg, pid, err, step }));
  return { s, marks, named, warnings };
}

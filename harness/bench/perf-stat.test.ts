import { parsePerfCsv } from './perf-stat';

describe('parsePerfCsv', () => {
  it('reads counted events and leaves unsupported ones null', () => {
    const text = [
      '42595,,raw_syscalls:sys_enter,1342908750,100.00,31.716,K/sec',
      '6207,,context-switches,1343007959,100.00,4.622,K/sec',
      '<not supported>,,instructions,0,100.00,,',
    ].join('\n');
    expect(parsePerfCsv(text)).toEqual({ syscalls: 42595, contextSwitches: 6207, instructions: null });
  });

  it('gives nulls for output that counted nothing', () => {
    expect(
      parsePerfCsv('<not counted>,,raw_syscalls:sys_enter,0,100.00,,\nProblems finding threads of monitor'),
    ).toEqual({
      syscalls: null,
      contextSwitches: null,
      instructions: null,
    });
  });
});

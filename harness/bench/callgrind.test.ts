import { callgrindLauncher, compilerShareFromAnnotate, dumpTotal } from './callgrind';

describe('callgrind helpers', () => {
  it('reads the total of a dump', () => {
    expect(dumpTotal('version: 1\ncreator: callgrind-3.19.0\nsummary: 0\ntotals: 261979655\n')).toBe(261979655);
    expect(dumpTotal('summary: 0\n')).toBeNull();
  });

  it("counts V8's optimizing compiler in callgrind_annotate's list", () => {
    const text = [
      '1,000 (100.0%)  PROGRAM TOTALS',
      '  300 (30.0%)  ???:v8::internal::compiler::GraphReducer::ReduceTop() [/usr/bin/node]',
      '  100 (10.0%)  ???:Builtins_LoadIC [/usr/bin/node]',
    ].join('\n');
    expect(compilerShareFromAnnotate(text)).toBe(0.3);
    expect(compilerShareFromAnnotate('nothing')).toBeNull();
  });

  it('starts programs with instrumentation off and per-pid dump files in the given folder', () => {
    const l = callgrindLauncher('/usr/bin/valgrind', '/tmp/d', 1000);
    expect(l.prefix).toEqual([
      '/usr/bin/valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      '--callgrind-out-file=/tmp/d/callgrind.%p',
    ]);
  });
});

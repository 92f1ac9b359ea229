// The `w3lab` command line: w3's commands (serve, status, recycle, start, stop, reload) and the lab's
// (run, list, report, compare, clean, matrix). Exit codes: 0 ok, 1 a check failed, 2 unknown, 3 not supported
// (every scenario needed a capability the target lacks: nothing was tested), 254 bad usage or config, 255 internal
// error. This is the only place that calls process.exit.
import { Command, CommanderError } from 'commander';
import { registerW3Commands, CliError } from '../../targets/w3/cli/commands';
import { registerLabCommands } from './lab-commands';
import { registerMatrixCommand } from './matrix-command';
import { registerReportCommands } from '../report/commands';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('w3lab')
    .description('w3lab: fault-injection lab for web-server process models, and the w3 server')
    .exitOverride()
    .showHelpAfterError();
  registerW3Commands(program);
  registerLabCommands(program);
  registerMatrixCommand(program);
  registerReportCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(254);
    }
    const code = (err as { exitCode?: number }).exitCode;
    if (!(err as { quiet?: boolean }).quiet) process.stderr.write(`w3lab: ${(err as Error).message}\n`);
    process.exit(typeof code === 'number' ? code : 255);
  }
}

export { CliError };

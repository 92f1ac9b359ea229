// The w3 server's own command line: serve, status, recycle, start, stop, reload — without the lab. `bin/w3lab.js`
// sends these commands here, so a running w3 host has loaded no lab module (harness/, faults/) unless fault
// injection is enabled. Same exit codes as the full `w3lab` CLI (harness/cli/main.ts), which also lists these
// commands in its help.
import { Command, CommanderError } from 'commander';
import { registerW3Commands } from './commands';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('w3lab').description('w3: the IIS-style server').exitOverride().showHelpAfterError();
  registerW3Commands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
      process.exit(254);
    }
    const code = (err as { exitCode?: number }).exitCode;
    process.stderr.write(`w3lab: ${(err as Error).message}\n`);
    process.exit(typeof code === 'number' ? code : 255);
  }
}

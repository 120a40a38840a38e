/**
 * The `lake` CLI entry point. `main` runs one invocation in-process and returns its exit code;
 * bin/lake calls it with the real process streams and exits with the result.
 */
import { packageVersion } from '../version.js';
import type { Command } from 'commander';
import { buildProgram } from './program.js';
import type { CliIo, GlobalOptions } from './context.js';
import { reportError } from './report.js';
import { secretsFromEnv } from './redact.js';

export type { CliIo } from './context.js';

/**
 * Runs `lake` with `argv`, the arguments after the program name (process.argv.slice(2)).
 * Never throws and never exits: every failure is reported on `io.stderr` and becomes the exit code
 * (0 success, 1 failure, 2 usage error).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let program: Command | undefined;
  let subcommand: string | undefined;
  try {
    program = buildProgram(io, { version: packageVersion() });
    program.hook('preSubcommand', (_program, command) => {
      subcommand = command.name();
    });
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const options = program?.opts<GlobalOptions>() ?? {};
    return reportError(error, {
      stderr: io.stderr,
      verbose: options.verbose === true || flagGiven(argv, '--verbose', '-v'),
      json: options.json === true || flagGiven(argv, '--json'),
      secrets: secretsFromEnv(io.env),
      helpCommand: subcommand === undefined ? 'lake --help' : `lake ${subcommand} --help`,
    });
  }
}

/** Whether a flag appears before `--` (for errors raised before commander stored the options). */
function flagGiven(argv: readonly string[], ...flags: string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (flags.includes(arg)) return true;
  }
  return false;
}

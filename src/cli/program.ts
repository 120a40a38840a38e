/**
 * The `lake` commander program: global options, output plumbing, and the commands, each a module
 * that registers itself. Commands stay thin: they parse arguments, call library code and print.
 */
import { Command, Option } from 'commander';
import { CONFIG_FILE_NAME, DEFAULT_WAREHOUSE, WAREHOUSE_ENV } from '../config.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { expireCommand } from './commands/expire.js';
import { filesCommand } from './commands/files.js';
import { historyCommand } from './commands/history.js';
import { infoCommand } from './commands/info.js';
import { appendCommand, overwriteCommand } from './commands/load.js';
import { mergeCommand } from './commands/merge.js';
import { optimizeCommand } from './commands/optimize.js';
import { restoreCommand } from './commands/restore.js';
import { scanCommand } from './commands/scan.js';
import { updateCommand } from './commands/update.js';
import { vacuumCommand } from './commands/vacuum.js';
import { contextFactory, type CliIo, type ContextFactory } from './context.js';

export interface CommandModule {
  readonly name: string;
  /** Adds the command to `program`; its action builds its context with `context(command)`. */
  register(program: Command, context: ContextFactory): void;
}

/** Every command, in the order `lake --help` lists them. */
export const COMMANDS: readonly CommandModule[] = [
  infoCommand,
  filesCommand,
  historyCommand,
  scanCommand,
  createCommand,
  appendCommand,
  overwriteCommand,
  deleteCommand,
  updateCommand,
  mergeCommand,
  checkpointCommand,
  optimizeCommand,
  vacuumCommand,
  expireCommand,
  restoreCommand,
];

export interface ProgramOptions {
  readonly version: string;
  readonly commands?: readonly CommandModule[];
}

/**
 * The program, set up not to exit or touch process streams: parse errors, --help and --version
 * throw CommanderError (main() maps them to exit codes) and all output goes to `io`.
 */
export function buildProgram(io: CliIo, options: ProgramOptions): Command {
  const program = new Command('lake');
  program
    .description('Manage Delta Lake and Apache Iceberg tables on local files and S3')
    .version(options.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--config <file>', `config file (default: the nearest ${CONFIG_FILE_NAME} here or above)`))
    .addOption(new Option('--json', 'print results as JSON'))
    .addOption(new Option('-q, --quiet', 'print nothing but results and errors').conflicts('verbose'))
    .addOption(new Option('-v, --verbose', 'print diagnostics, and stack traces with errors'))
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // main() prints parse errors itself, as one `lake: …` line.
      outputError: () => {},
      getOutHelpWidth: () => io.stdout.columns ?? 80,
      getErrHelpWidth: () => io.stderr.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText(
      'after',
      `
Tables:
  A table argument is a location (a path, file:///path or s3://bucket/prefix) or a
  name in the warehouse: "orders" is <warehouse>/orders, "db.orders" is
  <warehouse>/db/orders. Anything with '/', a scheme or a leading '.' is a location.

Warehouse (first found wins):
  --config FILE, then $${WAREHOUSE_ENV}, then ${CONFIG_FILE_NAME} in this directory
  or a parent, then ${DEFAULT_WAREHOUSE}.

Exit codes: 0 success, 1 failure, 2 usage error.`,
    );
  const context = contextFactory(io);
  for (const command of options.commands ?? COMMANDS) command.register(program, context);
  return program;
}

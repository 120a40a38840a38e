/** `lake restore TABLE --to-version N | --to-timestamp TS`: one commit back to an earlier version's files. */
import { restore } from '../../delta/operations/restore.js';
import { UsageError } from '../../errors.js';
import { openDeltaTable } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { formatBytes } from '../sizes.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface RestoreCommandOptions {
  toVersion?: number;
  toTimestamp?: number;
}

export const restoreCommand: CommandModule = {
  name: 'restore',
  register(program, context) {
    program
      .command('restore')
      .description("make the latest version hold an earlier version's files and schema again (one new commit; history stays)")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .option('--to-version <n>', 'the version to restore', parseVersion)
      .option('--to-timestamp <time>', 'restore the version current at this ISO-8601 time', parseTime)
      .action(async (argument: string, options: RestoreCommandOptions, command) => {
        if ((options.toVersion === undefined) === (options.toTimestamp === undefined)) throw new UsageError('give --to-version N or --to-timestamp TIME (one of them)');
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const result = await restore(table, options.toVersion === undefined ? { timestamp: options.toTimestamp! } : { version: options.toVersion });
        const m = result.metrics;
        ctx.result(result, () =>
          result.version === undefined
            ? `the latest version already matches version ${result.restoredVersion}: nothing committed`
            : `version ${result.version} restores version ${result.restoredVersion}: ${m.numRestoredFiles} files (${formatBytes(m.restoredFilesSize)}) re-added, ${m.numRemovedFiles} (${formatBytes(m.removedFilesSize)}) removed; ${m.numOfFilesAfterRestore} files now`,
        );
      });
  },
};

function parseVersion(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--to-version ${text}: give a version number`);
  return Number(text);
}

function parseTime(text: string): number {
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--to-timestamp ${text}: give a time such as 2024-05-01T12:00:00Z`);
  return time;
}

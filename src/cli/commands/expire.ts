/**
 * `lake expire TABLE`: deletes Delta log files that time travel inside the log retention no longer
 * needs (see delta/log-cleanup.ts).
 */
import { cleanUpExpiredLogs } from '../../delta/log-cleanup.js';
import { describeDuration } from '../../delta/table-properties.js';
import { openDeltaTable } from '../delta-target.js';
import { parseDuration } from '../durations.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface ExpireCommandOptions {
  retain?: number;
  allowShortRetention?: boolean;
  dryRun?: boolean;
}

export const expireCommand: CommandModule = {
  name: 'expire',
  register(program, context) {
    program
      .command('expire')
      .description("delete Delta log files older than the log retention that no version inside it needs (time travel before then ends)")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .option('--retain <duration>', 'keep time travel this far back, e.g. 720h or "30 days" (default: delta.logRetentionDuration, else 30 days)', parseDuration)
      .option('--allow-short-retention', "allow a retention shorter than the table's")
      .option('--dry-run', 'list the log files that would be deleted, delete nothing')
      .action(async (argument: string, options: ExpireCommandOptions, command) => {
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const snapshot = await table.snapshot({ stats: false });
        const result = await cleanUpExpiredLogs(table.store, snapshot.metadata, {
          ...(options.retain === undefined ? {} : { retentionMs: options.retain }),
          ...(options.allowShortRetention === true ? { enforceRetention: false } : {}),
          ...(options.dryRun === true ? { dryRun: true } : {}),
        });
        ctx.result(result, () => {
          const window = `time travel kept for ${describeDuration(result.retentionMs)}`;
          if (result.logStartsAt === undefined) return `nothing to delete (${window}; no checkpoint old enough)`;
          const what = `${result.files.length} log files before version ${result.logStartsAt}`;
          return result.dryRun ? [...result.files, `${what} would be deleted (dry run; ${window})`].join('\n') : `${what} deleted (${window})`;
        });
      });
  },
};

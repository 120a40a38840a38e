/**
 * `lake vacuum TABLE`: deletes files no version inside the retention window needs (see
 * delta/operations/vacuum.ts), or with --dry-run lists them.
 */
import { vacuum, type VacuumResult } from '../../delta/operations/vacuum.js';
import { describeDuration } from '../../delta/table-properties.js';
import type { CliContext } from '../context.js';
import { openDeltaTable } from '../delta-target.js';
import { parseDuration } from '../durations.js';
import { progressBar } from '../progress.js';
import type { CommandModule } from '../program.js';
import { formatBytes } from '../sizes.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface VacuumCommandOptions {
  lite?: boolean;
  retain?: number;
  allowShortRetention?: boolean;
  dryRun?: boolean;
}

export const vacuumCommand: CommandModule = {
  name: 'vacuum',
  register(program, context) {
    program
      .command('vacuum')
      .description('delete files that no version inside the retention window references (removed data, failed writes)')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .option('--retain <duration>', 'keep files removed within this long, e.g. 168h or "7 days" (default: delta.deletedFileRetentionDuration, else 7 days)', parseDuration)
      .option('--allow-short-retention', "allow a retention shorter than the table's: readers of older versions may lose files")
      .option('--lite', "find candidates in the log's remove actions instead of listing every file (faster; misses files that never reached the log)")
      .option('--dry-run', 'list the files that would be deleted, delete nothing')
      .action(async (argument: string, options: VacuumCommandOptions, command) => {
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const result = await vacuum(table, {
          mode: options.lite === true ? 'lite' : 'full',
          ...(options.retain === undefined ? {} : { retentionMs: options.retain }),
          ...(options.allowShortRetention === true ? { enforceRetention: false } : {}),
          ...(options.dryRun === true ? { dryRun: true } : {}),
          onProgress: (deleted, total) => ctx.progress(`vacuum ${progressBar(deleted / Math.max(1, total))} ${deleted}/${total} files`),
        });
        report(ctx, result);
      });
  },
};

function report(ctx: CliContext, result: VacuumResult): void {
  ctx.result(result, () => {
    const window = `older than ${describeDuration(result.retentionMs)}`;
    const note = result.logStartsAt === undefined ? '' : `\n(the log starts at version ${result.logStartsAt}: files removed before it are found only by a full vacuum)`;
    if (result.dryRun) {
      const lines = result.files.map((f) => f.path);
      return [...lines, `${result.files.length} files (${formatBytes(result.files.reduce((n, f) => n + f.size, 0))}) ${window} would be deleted (dry run)${note}`].join('\n');
    }
    return `${result.numFilesDeleted} files (${formatBytes(result.bytesDeleted)}) ${window} deleted; versions ${result.versions.join(', ')} record the vacuum${note}`;
  });
}

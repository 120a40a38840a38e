/** `lake delete TABLE --where SQL` (or `--all`): deletes rows, copy-on-write. */
import { deleteRows } from '../../delta/operations/delete.js';
import { UsageError } from '../../errors.js';
import { openDeltaTable } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

export const deleteCommand: CommandModule = {
  name: 'delete',
  register(program, context) {
    program
      .command('delete')
      .description('delete the rows matching a SQL condition from a Delta table')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .option('--where <sql>', "the rows to delete, e.g. \"day < '2024-01-01'\"")
      .option('--all', 'delete every row (instead of --where)')
      .action(async (argument: string, options: { where?: string; all?: boolean }, command) => {
        const ctx = await context(command);
        if ((options.where === undefined) === (options.all !== true)) throw new UsageError('give --where SQL, or --all to delete every row');
        const table = await openDeltaTable(ctx, argument);
        const result = await deleteRows(table, options.where);
        ctx.result(result, () =>
          result.version === undefined
            ? 'no row matched: nothing was committed'
            : `version ${result.version}: ${result.metrics.numDeletedRows} rows deleted, ${result.metrics.numRemovedFiles} files removed, ${result.metrics.numAddedFiles} written`,
        );
      });
  },
};

/** `lake update TABLE --set col=expr … [--where SQL]`: updates rows, copy-on-write. */
import { updateRows } from '../../delta/operations/update.js';
import { UsageError } from '../../errors.js';
import { openDeltaTable } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

export const updateCommand: CommandModule = {
  name: 'update',
  register(program, context) {
    program
      .command('update')
      .description('set columns to SQL expressions in the rows matching a condition of a Delta table')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .requiredOption('--set <column=expression>', 'a column and its new value as SQL, e.g. "amount=amount * 2" (repeatable)', collectAssignment, {})
      .option('--where <sql>', 'only the rows matching this condition (default: every row)')
      .option('--memory-limit <size>', "DuckDB's memory limit, e.g. 2GB")
      .action(async (argument: string, options: { set: Record<string, string>; where?: string; memoryLimit?: string }, command) => {
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const result = await updateRows(table, {
          set: options.set,
          ...(options.where === undefined ? {} : { where: options.where }),
          ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
        });
        ctx.result(result, () =>
          result.version === undefined ? 'no row matched: nothing was committed' : `version ${result.version}: ${result.metrics.numUpdatedRows} rows updated`,
        );
      });
  },
};

function collectAssignment(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new UsageError(`--set ${value}: write column=expression`);
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

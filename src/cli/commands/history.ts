/** `lake history TABLE`: the table's commits, newest first. */
import { DeltaTable } from '../../delta/table.js';
import { UsageError } from '../../errors.js';
import { describeIcebergHistory } from '../../iceberg/describe.js';
import { addIcebergOptions, openIcebergTable, refuseIcebergOptions, type IcebergCommandOptions } from '../iceberg-target.js';
import type { TableFormat } from '../../table-format.js';
import type { CommandModule } from '../program.js';
import { formatOption, openTable, TABLE_ARGUMENT_HELP } from '../table.js';

export const historyCommand: CommandModule = {
  name: 'history',
  register(program, context) {
    const history = program
      .command('history')
      .description("list a table's commits, newest first")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(formatOption())
      .option('--limit <n>', 'at most this many commits', (value) => {
        if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--limit ${value}: give a positive whole number`);
        return Number(value);
      });
    addIcebergOptions(history).action(async (argument: string, options: { format?: TableFormat; limit?: number } & IcebergCommandOptions, command) => {
        const ctx = await context(command);
        // With --catalog the argument is a catalog name, not a location.
        const table = options.catalog === undefined ? await openTable(ctx, argument, options.format) : undefined;
        if (table === undefined || table.format === 'iceberg') {
          const snapshots = describeIcebergHistory((await openIcebergTable(ctx, argument, table, options)).metadata).slice(0, options.limit ?? Infinity);
          ctx.result(snapshots, () => snapshots.map((s) => `${s.snapshotId}\t${new Date(s.timestamp).toISOString()}\t${s.operation ?? '-'}`).join('\n'));
          return;
        }
        refuseIcebergOptions(options);
        const history = await new DeltaTable(table.store, table.location).history(options.limit === undefined ? {} : { limit: options.limit });
        ctx.result(history, () =>
          history
            .map((entry) => `${entry.version}\t${new Date(entry.timestamp).toISOString()}\t${entry.operation ?? '-'}`)
            .join('\n'),
        );
      });
  },
};

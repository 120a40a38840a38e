/** `lake files TABLE`: the live data files of a snapshot. */
import { describeFiles } from '../../delta/describe.js';
import { filesMatching, partitionFilterFromWhere } from '../../delta/file-pruning.js';
import { DeltaTable } from '../../delta/table.js';
import { LakeError } from '../../errors.js';
import type { TableFormat } from '../../table-format.js';
import { asOfOption, type AsOf } from '../as-of.js';
import type { CommandModule } from '../program.js';
import { formatOption, openTable, TABLE_ARGUMENT_HELP } from '../table.js';

export const filesCommand: CommandModule = {
  name: 'files',
  register(program, context) {
    program
      .command('files')
      .description('list the data files of a table version')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(formatOption())
      .addOption(asOfOption())
      .option('--where <sql>', 'only files that may hold rows for which this SQL condition is true (pruned by partition values and statistics)')
      .action(async (argument: string, options: { format?: TableFormat; asOf?: AsOf; where?: string }, command) => {
        const ctx = await context(command);
        const table = await openTable(ctx, argument, options.format);
        if (table.format !== 'delta') throw new LakeError('UNSUPPORTED', `lake files does not read ${table.format} tables yet`);
        const { where } = options;
        // With --where, partitions that cannot match are left out while the log is read.
        const snapshot = await new DeltaTable(table.store, table.location).snapshot({
          ...options.asOf,
          ...(where === undefined ? {} : { partitionFilter: partitionFilterFromWhere(where) }),
        });
        const files = describeFiles(snapshot, where === undefined ? snapshot.files : await filesMatching(snapshot, where));
        ctx.result(files, () => files.map((f) => `${f.path}\t${f.size}\t${f.numRecords ?? '?'} rows`).join('\n'));
      });
  },
};

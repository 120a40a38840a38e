/** `lake files TABLE`: the live data files of a snapshot. */
import { describeFiles } from '../../delta/describe.js';
import { filesMatching, partitionFilterFromWhere } from '../../delta/file-pruning.js';
import { DeltaTable } from '../../delta/table.js';
import type { TableFormat } from '../../table-format.js';
import { asOfOption, deltaAsOf, icebergAsOf, type AsOf } from '../as-of.js';
import { describeIcebergFiles } from '../../iceberg/describe.js';
import { planIcebergScan, snapshotSchema } from '../../iceberg/scan.js';
import { addIcebergOptions, openIcebergTable, refuseIcebergOptions, type IcebergCommandOptions } from '../iceberg-target.js';
import type { CommandModule } from '../program.js';
import { formatOption, openTable, TABLE_ARGUMENT_HELP } from '../table.js';

export const filesCommand: CommandModule = {
  name: 'files',
  register(program, context) {
    const files = program
      .command('files')
      .description('list the data files of a table version')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(formatOption())
      .addOption(asOfOption())
      .option('--where <sql>', 'only files that may hold rows for which this SQL condition is true (pruned by partition values and statistics)');
    addIcebergOptions(files, { ref: true }).action(async (argument: string, options: { format?: TableFormat; asOf?: AsOf; where?: string } & IcebergCommandOptions, command) => {
        const ctx = await context(command);
        // With --catalog the argument is a catalog name, not a location.
        const table = options.catalog === undefined ? await openTable(ctx, argument, options.format) : undefined;
        if (table === undefined || table.format === 'iceberg') {
          const iceberg = await openIcebergTable(ctx, argument, table, options);
          const snapshot = iceberg.snapshot({ ...icebergAsOf(options.asOf), ...(options.ref === undefined ? {} : { ref: options.ref }) });
          const planned = await planIcebergScan(iceberg, snapshot, snapshotSchema(iceberg, snapshot), options.where);
          const described = describeIcebergFiles(iceberg, planned);
          ctx.result(described, () => described.map((f) => `${f.path}\t${f.fileSizeInBytes}\t${f.recordCount} rows${f.deleteFiles.length === 0 ? '' : `\t${f.deleteFiles.length} delete files`}`).join('\n'));
          return;
        }
        refuseIcebergOptions(options);
        const { where } = options;
        // With --where, partitions that cannot match are left out while the log is read.
        const snapshot = await new DeltaTable(table.store, table.location).snapshot({
          ...deltaAsOf(options.asOf),
          ...(where === undefined ? {} : { partitionFilter: partitionFilterFromWhere(where) }),
        });
        const files = describeFiles(snapshot, where === undefined ? snapshot.files : await filesMatching(snapshot, where));
        ctx.result(files, () => files.map((f) => `${f.path}\t${f.size}\t${f.numRecords ?? '?'} rows`).join('\n'));
      });
  },
};

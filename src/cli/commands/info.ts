/**
 * `lake info TABLE`: what a table is. For Delta: version, time, protocol, metadata, schema and
 * totals (the DeltaInfo shape, a contract for tooling); for other formats, format and location.
 */
import { describeSnapshot } from '../../delta/describe.js';
import { DeltaTable } from '../../delta/table.js';
import { displayLocation, formatLocation } from '../../storage/location.js';
import { asOfOption, deltaAsOf, icebergAsOf, type AsOf } from '../as-of.js';
import type { CommandModule } from '../program.js';
import { formatOption, openTable, TABLE_ARGUMENT_HELP } from '../table.js';
import type { TableFormat } from '../../table-format.js';
import { describeIceberg } from '../../iceberg/describe.js';
import { snapshotSchema } from '../../iceberg/scan.js';
import { addIcebergOptions, openIcebergTable, refuseIcebergOptions, type IcebergCommandOptions } from '../iceberg-target.js';

export const infoCommand: CommandModule = {
  name: 'info',
  register(program, context) {
    const info = program
      .command('info')
      .description("show a table's format, version, schema and size")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(formatOption())
      .addOption(asOfOption());
    addIcebergOptions(info, { ref: true }).action(async (argument: string, options: { format?: TableFormat; asOf?: AsOf } & IcebergCommandOptions, command) => {
        const ctx = await context(command);
        // With --catalog the argument is a catalog name, not a location.
        const table = options.catalog === undefined ? await openTable(ctx, argument, options.format) : undefined;
        if (table === undefined || table.format === 'iceberg') {
          const iceberg = await openIcebergTable(ctx, argument, table, options);
          const snapshot = iceberg.snapshot({ ...icebergAsOf(options.asOf), ...(options.ref === undefined ? {} : { ref: options.ref }) });
          const info = describeIceberg(iceberg, await iceberg.plan(snapshot), snapshotSchema(iceberg, snapshot));
          ctx.result(info, () =>
            [
              `format:     iceberg (format version ${info.formatVersion})`,
              `location:   ${info.location}`,
              `metadata:   ${info.metadataLocation}`,
              `snapshot:   ${info.snapshotId ?? '- (no snapshots)'}`,
              `partitions: ${(info.partitionSpec as { fields: { name: string; transform: string }[] }).fields.map((f) => `${f.name} (${f.transform})`).join(', ') || '-'}`,
              `files:      ${info.numFiles} (${info.sizeBytes} bytes), ${info.numDeleteFiles} delete files`,
              `rows:       ${info.numRecords} (before deletes)`,
            ].join('\n'),
          );
          return;
        }
        refuseIcebergOptions(options);
        if (table.format === 'delta') {
          const snapshot = await new DeltaTable(table.store, table.location).snapshot(deltaAsOf(options.asOf));
          const info = describeSnapshot(snapshot);
          ctx.result(info, () =>
            [
              `format:     delta`,
              `location:   ${displayLocation(table.location)}`,
              `version:    ${info.version} (${new Date(info.timestamp).toISOString()})`,
              `protocol:   reader ${info.protocol.minReaderVersion}, writer ${info.protocol.minWriterVersion}` +
                (info.protocol.readerFeatures === null ? '' : `; reader features ${info.protocol.readerFeatures.join(', ') || '-'}`),
              `partitions: ${info.metadata.partitionColumns.join(', ') || '-'}`,
              `files:      ${info.numFiles} (${info.sizeBytes} bytes)`,
              `rows:       ${info.numRecords ?? 'unknown (files without statistics)'}`,
            ].join('\n'),
          );
          return;
        }
        const result = { format: table.format, location: formatLocation(table.location) };
        ctx.result(result, () => `format:   ${table.format}\nlocation: ${displayLocation(table.location)}`);
      });
  },
};

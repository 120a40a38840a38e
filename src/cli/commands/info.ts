/**
 * `lake info TABLE`: what a table is. For now its format and location; later, the Delta version or
 * Iceberg snapshot, the schema, the partitioning…
 */
import { displayLocation, formatLocation } from '../../storage/location.js';
import type { TableFormat } from '../../table-format.js';
import type { CommandModule } from '../program.js';
import { formatOption, openTable, TABLE_ARGUMENT_HELP } from '../table.js';

export interface InfoResult {
  readonly format: TableFormat;
  /** The table's canonical URL (file:///…, s3://bucket/prefix). */
  readonly location: string;
}

export const infoCommand: CommandModule = {
  name: 'info',
  register(program, context) {
    program
      .command('info')
      .description("show a table's format and location")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(formatOption())
      .action(async (argument: string, options: { format?: TableFormat }, command) => {
        const ctx = await context(command);
        const table = await openTable(ctx, argument, options.format);
        const result: InfoResult = { format: table.format, location: formatLocation(table.location) };
        ctx.result(result, () => `format:   ${table.format}\nlocation: ${displayLocation(table.location)}`);
      });
  },
};

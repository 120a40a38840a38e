/** `lake create TABLE --schema …`: creates an empty Delta table. */
import { Option } from 'commander';
import { createTable } from '../../delta/operations/create.js';
import { parseSchemaText } from '../../delta/schema-text.js';
import { LakeError, UsageError } from '../../errors.js';
import { deltaTableOrNothing } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

export const createCommand: CommandModule = {
  name: 'create',
  register(program, context) {
    program
      .command('create')
      .description('create an empty table')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(new Option('--format <format>', 'table format').choices(['delta']).default('delta'))
      .requiredOption('--schema <schema>', 'columns: "id long not null, name string, amount decimal(10,2)", or the Delta schema JSON')
      .option('--partition-by <a,b>', 'partition columns', (value) => value.split(',').map((c) => c.trim()))
      .option('--property <key=value>', 'a table property, e.g. delta.enableDeletionVectors=true (repeatable)', collectProperty, {})
      .action(async (argument: string, options: { schema: string; partitionBy?: string[]; property: Record<string, string> }, command) => {
        const ctx = await context(command);
        const target = await deltaTableOrNothing(ctx, argument);
        if (target.table !== undefined) throw new LakeError('TABLE_EXISTS', `${argument} already exists: write to it, or choose another name`);
        const table = target.create();
        const result = await createTable(table.store, table.location, {
          schema: parseSchemaText(options.schema),
          ...(options.partitionBy === undefined ? {} : { partitionColumns: options.partitionBy }),
          configuration: options.property,
        });
        ctx.result({ version: result.version, location: table.store.url }, () => `created Delta table ${argument} (${table.store.url})`);
      });
  },
};

function collectProperty(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new UsageError(`--property ${value}: write key=value`);
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

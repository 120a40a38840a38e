/**
 * `lake write TABLE FILE…`: loads Parquet, CSV or JSON-lines files into a Delta table (creating it
 * from the files' columns when nothing is there yet), appending or overwriting.
 */
import { Option } from 'commander';
import { createTable } from '../../delta/operations/create.js';
import { writeTable } from '../../delta/operations/write.js';
import { INPUT_FORMATS, inputFormatOf, readInputFiles, type InputFormat } from '../../engine/input-files.js';
import { SqlWorkspace } from '../../engine/sql-workspace.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../program.js';
import { deltaTableOrNothing } from '../delta-target.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface WriteCommandOptions {
  mode: 'append' | 'overwrite';
  replaceWhere?: string;
  partitionOverwrite?: 'dynamic';
  schemaMode?: 'merge' | 'overwrite';
  partitionBy?: string[];
  inputFormat?: InputFormat;
  memoryLimit?: string;
}

export const writeCommand: CommandModule = {
  name: 'write',
  register(program, context) {
    program
      .command('write')
      .description('write rows from Parquet, CSV or JSON-lines files into a Delta table (created if missing)')
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .argument('<files...>', 'input files, all of one format')
      .addOption(new Option('--mode <mode>', 'append the rows, or overwrite the table').choices(['append', 'overwrite']).default('append'))
      .option('--replace-where <sql>', 'with --mode overwrite: replace only the rows matching this condition (every new row must match it)')
      .addOption(new Option('--partition-overwrite <mode>', 'with --mode overwrite: replace only the partitions the new rows fall in').choices(['dynamic']))
      .addOption(new Option('--schema-mode <mode>', 'merge: add the input\'s new columns; overwrite: replace the schema (whole-table overwrite)').choices(['merge', 'overwrite']))
      .option('--partition-by <a,b>', 'partition columns of a table created by this write', (value) => value.split(',').map((c) => c.trim()))
      .addOption(new Option('--input-format <format>', 'input format (default: from the file names)').choices(INPUT_FORMATS))
      .option('--memory-limit <size>', "DuckDB's memory limit while reading the input, e.g. 2GB")
      .action(async (argument: string, files: string[], options: WriteCommandOptions, command) => {
        const ctx = await context(command);
        const format = options.inputFormat ?? inputFormatOf(files[0]!);
        if (options.mode === 'append' && (options.replaceWhere !== undefined || options.partitionOverwrite !== undefined)) {
          throw new UsageError('--replace-where and --partition-overwrite need --mode overwrite');
        }
        const target = await deltaTableOrNothing(ctx, argument);
        const workspace = await SqlWorkspace.open(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit });
        try {
          let table = target.table;
          const castTo = table === undefined || options.schemaMode === 'overwrite' ? undefined : (await table.snapshot({ stats: false })).arrowSchema;
          const rows = readInputFiles(workspace, files, format, castTo === undefined ? {} : { castTo });
          if (table === undefined) {
            // The first batch says the columns the new table gets.
            const iterator = rows[Symbol.asyncIterator]();
            const first = await iterator.next();
            if (first.done === true) throw new UsageError(`the input ${files.join(', ')} has no columns to create a table from`);
            table = target.create();
            await createTable(table.store, table.location, { schema: first.value.schema, ...(options.partitionBy === undefined ? {} : { partitionColumns: options.partitionBy }) });
            ctx.progress(`created Delta table ${argument}`);
            const all = (async function* () {
              yield first.value;
              for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
            })();
            const result = await writeTable(table, all, { mode: options.mode });
            ctx.result(result, () => `version ${result.version}: ${result.metrics.numOutputRows} rows in ${result.metrics.numFiles} files`);
            return;
          }
          if (options.partitionBy !== undefined) throw new UsageError('--partition-by applies when the write creates the table; this table exists');
          const result = await writeTable(table, rows, {
            mode: options.mode,
            ...(options.replaceWhere === undefined ? {} : { replaceWhere: options.replaceWhere }),
            ...(options.partitionOverwrite === undefined ? {} : { partitionOverwrite: options.partitionOverwrite }),
            ...(options.schemaMode === undefined ? {} : { schemaMode: options.schemaMode }),
          });
          ctx.result(result, () => `version ${result.version}: ${result.metrics.numOutputRows} rows in ${result.metrics.numFiles} files, ${result.metrics.numRemovedFiles} files removed`);
        } finally {
          await workspace.close();
        }
      });
  },
};

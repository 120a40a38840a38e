/**
 * `lake append TABLE FILE…` and `lake overwrite TABLE FILE…`: load Parquet, CSV or JSON-lines files
 * into a Delta table. `append` creates the table from the files' columns when nothing is there yet
 * (as delta-rs's write_deltalake does); `overwrite` replaces the table's rows, or only those
 * matching `--where`, or only the partitions the new rows fall in.
 */
import { Option, type Command } from 'commander';
import { createTable } from '../../delta/operations/create.js';
import { writeTable, type WriteOptions } from '../../delta/operations/write.js';
import { INPUT_FORMATS, inputFilesSql, inputFormatOf, type InputFormat } from '../../engine/input-files.js';
import { SqlWorkspace } from '../../engine/sql-workspace.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { deltaTableOrNothing } from '../delta-target.js';
import type { CommandModule } from '../program.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface LoadOptions {
  schemaMode?: 'merge' | 'overwrite';
  partitionBy?: string[];
  inputFormat?: InputFormat;
  memoryLimit?: string;
  where?: string;
  dynamicPartitions?: boolean;
}

function loadCommand(command: Command, description: string): Command {
  return command
    .description(description)
    .argument('<table>', TABLE_ARGUMENT_HELP)
    .argument('<files...>', 'input files, all of one format')
    .addOption(new Option('--input-format <format>', 'input format (default: from the file names)').choices(INPUT_FORMATS))
    .option('--memory-limit <size>', "DuckDB's memory limit while reading the input, e.g. 2GB");
}

export const appendCommand: CommandModule = {
  name: 'append',
  register(program, context) {
    loadCommand(program.command('append'), 'append rows from Parquet, CSV or JSON-lines files to a Delta table (created if missing)')
      .addOption(new Option('--schema-mode <mode>', "merge: add the input's new columns to the table").choices(['merge']))
      .option('--partition-by <a,b>', 'partition columns, when this append creates the table', splitList)
      .action(async (argument: string, files: string[], options: LoadOptions, command) => {
        await load(await context(command), argument, files, options, { mode: 'append', ...(options.schemaMode === undefined ? {} : { schemaMode: options.schemaMode }) });
      });
  },
};

export const overwriteCommand: CommandModule = {
  name: 'overwrite',
  register(program, context) {
    loadCommand(program.command('overwrite'), "replace a Delta table's rows with rows from Parquet, CSV or JSON-lines files")
      .option('--where <sql>', 'replace only the rows matching this condition (every new row must match it)')
      .option('--dynamic-partitions', 'replace only the partitions the new rows fall in')
      .addOption(new Option('--schema-mode <mode>', "overwrite: the table's schema becomes the input's").choices(['overwrite']))
      .action(async (argument: string, files: string[], options: LoadOptions, command) => {
        const ctx = await context(command);
        if (options.where !== undefined && options.dynamicPartitions === true) throw new UsageError('give --where or --dynamic-partitions, not both');
        await load(ctx, argument, files, options, {
          mode: 'overwrite',
          ...(options.where === undefined ? {} : { replaceWhere: options.where }),
          ...(options.dynamicPartitions === true ? { partitionOverwrite: 'dynamic' as const } : {}),
          ...(options.schemaMode === undefined ? {} : { schemaMode: options.schemaMode }),
        });
      });
  },
};

async function load(ctx: CliContext, argument: string, files: string[], options: LoadOptions, write: WriteOptions): Promise<void> {
  const format = options.inputFormat ?? inputFormatOf(files[0]!);
  const target = await deltaTableOrNothing(ctx, argument);
  if (target.table === undefined && write.mode !== 'append') throw new UsageError(`there is no table ${argument} to overwrite: create it, or append to create it`);
  if (target.table !== undefined && options.partitionBy !== undefined) throw new UsageError('--partition-by applies when append creates the table; this table exists');
  const workspace = await SqlWorkspace.open(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit });
  try {
    let table = target.table;
    const input = { files, format };
    if (table === undefined) {
      // A new table takes the input's columns and types (an existing table's schema decides, by name).
      const schema = await workspace.arrowSchema(inputFilesSql(input));
      table = target.create();
      await createTable(table.store, table.location, { schema, ...(options.partitionBy === undefined ? {} : { partitionColumns: options.partitionBy }) });
      ctx.progress(`created Delta table ${argument}`);
    }
    let written = 0;
    let rowsWritten = 0;
    let bytes = 0;
    const result = await writeTable(table, input, {
      ...write,
      workspace,
      onFile: (file, count) => {
        written++;
        rowsWritten += count;
        bytes += file.size;
        ctx.progress(`wrote ${written} file${written > 1 ? 's' : ''}, ${rowsWritten.toLocaleString('en')} rows, ${(bytes / 1e6).toFixed(1)} MB`);
      },
    });
    const m = result.metrics;
    ctx.result(result, () => `version ${result.version}: ${m.numOutputRows} rows in ${m.numFiles} files${m.numRemovedFiles > 0 ? `, ${m.numRemovedFiles} files removed` : ''}`);
  } finally {
    await workspace.close();
  }
}

function splitList(value: string): string[] {
  return value.split(',').map((c) => c.trim());
}

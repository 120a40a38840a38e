/**
 * `lake scan TABLE`: a table's rows, as JSON lines (the exact encoding of engine/json-values.ts),
 * CSV, an aligned text table, or a Parquet file.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Table, type RecordBatch, type Schema as ArrowSchema } from 'apache-arrow';
import { Option } from 'commander';
import { partitionFilterFromWhere } from '../../delta/file-pruning.js';
import { DeltaTable } from '../../delta/table.js';
import { batchRowsAsJson, type JsonValue } from '../../engine/json-values.js';
import { writeParquet } from '../../engine/parquet-write.js';
import { UsageError } from '../../errors.js';
import { icebergArrowSchema, scanIceberg, snapshotSchema } from '../../iceberg/scan.js';
import { addIcebergOptions, openIcebergTable, refuseIcebergOptions, type IcebergCommandOptions } from '../iceberg-target.js';
import type { TableFormat } from '../../table-format.js';
import { asOfOption, deltaAsOf, icebergAsOf, type AsOf } from '../as-of.js';
import type { CommandModule } from '../program.js';
import { openTable, TABLE_ARGUMENT_HELP, tableFormatOption } from '../table.js';

type OutputFormat = 'jsonl' | 'csv' | 'table' | 'parquet';

interface ScanCommandOptions {
  tableFormat?: TableFormat;
  asOf?: AsOf;
  columns?: string[];
  where?: string;
  limit?: number;
  format?: OutputFormat;
  output?: string;
}

export const scanCommand: CommandModule = {
  name: 'scan',
  register(program, context) {
    const scan = program
      .command('scan')
      .description("print a table's rows")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .addOption(tableFormatOption())
      .addOption(asOfOption())
      .option('--columns <a,b,…>', 'only these columns, in this order', (value) => value.split(',').map((c) => c.trim()))
      .option('--where <sql>', "only rows for which this SQL condition (DuckDB's dialect) is true, e.g. \"id > 10 AND name LIKE 'a%'\"")
      .option('--limit <n>', 'at most this many rows', (value) => {
        if (!/^\d+$/.test(value)) throw new UsageError(`--limit ${value}: give a whole number`);
        return Number(value);
      })
      .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv', 'table', 'parquet']).default('jsonl'))
      .option('--output <file>', 'write the rows to this file instead of standard output (required for parquet on a terminal)');
    addIcebergOptions(scan, { ref: true }).action(async (argument: string, options: ScanCommandOptions & IcebergCommandOptions, command) => {
        const ctx = await context(command);
        if (options.format === 'parquet' && options.output === undefined && process.stdout.isTTY === true) {
          throw new UsageError('--format parquet writes binary data: give --output FILE or redirect standard output');
        }
        // With --catalog the argument is a catalog name, not a location.
        const table = options.catalog === undefined ? await openTable(ctx, argument, options.tableFormat) : undefined;
        const scanOptions = {
          ...(options.columns === undefined ? {} : { columns: options.columns }),
          ...(options.where === undefined ? {} : { where: options.where }),
          ...(options.limit === undefined ? {} : { limit: options.limit }),
        };
        let batches: AsyncIterable<RecordBatch>;
        let columns: string[];
        let emptySchema: () => Promise<ArrowSchema>;
        if (table === undefined || table.format === 'iceberg') {
          const iceberg = await openIcebergTable(ctx, argument, table, options);
          const selector = { ...icebergAsOf(options.asOf), ...(options.ref === undefined ? {} : { ref: options.ref }) };
          const schema = snapshotSchema(iceberg, iceberg.snapshot(selector));
          columns = options.columns ?? schema.fields.map((f) => f.name);
          batches = scanIceberg(iceberg, { ...selector, ...scanOptions });
          emptySchema = () => icebergArrowSchema(schema, columns);
        } else {
          refuseIcebergOptions(options);
          const { where } = options;
          // Statistics are read only when a condition can use them; partitions that cannot match
          // are left out while the log is read.
          const snapshot = await new DeltaTable(table.store, table.location).snapshot({
            ...deltaAsOf(options.asOf),
            ...(where === undefined ? { stats: false } : { partitionFilter: partitionFilterFromWhere(where) }),
          });
          batches = snapshot.scan(scanOptions);
          columns = options.columns ?? snapshot.schema.fields.map((f) => f.name);
          emptySchema = async () => snapshot.arrowSchema.select(columns);
        }
        const file = options.output === undefined ? undefined : createWriteStream(options.output);
        const write = async (text: string): Promise<void> => {
          if (file === undefined) ctx.stdout.write(text);
          else await new Promise<void>((resolve, reject) => file.write(text, (error) => (error ? reject(error) : resolve())));
        };
        const format = options.format ?? 'jsonl';
        if (format === 'parquet') {
          // One file: the rows are gathered first (Parquet's footer describes every row group).
          const collected: RecordBatch[] = [];
          for await (const batch of batches) collected.push(batch);
          const rows = collected.length === 0 ? new Table(await emptySchema()) : new Table(collected);
          const bytes = writeParquet(rows);
          if (options.output !== undefined) await writeFile(options.output, bytes);
          else await write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as string);
          return;
        }
        if (format === 'table') {
          const rows: Record<string, JsonValue>[] = [];
          for await (const batch of batches) rows.push(...batchRowsAsJson(batch));
          await write(textTable(columns, rows));
        } else {
          if (format === 'csv') await write(`${columns.map(csvField).join(',')}\n`);
          for await (const batch of batches) {
            let text = '';
            for (const row of batchRowsAsJson(batch)) {
              text += format === 'jsonl' ? `${JSON.stringify(row)}\n` : `${columns.map((c) => csvField(row[c] ?? null)).join(',')}\n`;
            }
            await write(text);
          }
        }
        if (file !== undefined) await new Promise<void>((resolve) => file.end(resolve));
      });
  },
};

/** RFC 4180: quoted when needed; nested values as their JSON text; null as an empty field. */
function csvField(value: JsonValue): string {
  if (value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function textTable(columns: readonly string[], rows: readonly Record<string, JsonValue>[]): string {
  const cell = (value: JsonValue): string => (value === null ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  const cells = rows.map((row) => columns.map((c) => cell(row[c] ?? null)));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), `(${rows.length} rows)`].join('\n') + '\n';
}

/**
 * Files of rows to load (the CLI's inputs): Parquet, CSV and JSON lines, read by DuckDB and
 * handed over as Arrow record batches (sql-workspace.ts). With a target schema, columns are cast
 * by name to its types in DuckDB (a CSV's inferred BIGINT becomes the table's INTEGER, its text
 * a DATE), so a value that does not fit fails there, naming the value; columns the input lacks
 * are left out (the writer fills nullable ones with nulls).
 */
import { extname } from 'node:path';
import type { RecordBatch, Schema } from 'apache-arrow';
import { UsageError } from '../errors.js';
import { sqlIdentifier, sqlString } from './duckdb-session.js';
import { duckdbType } from './duckdb-types.js';
import type { SqlWorkspace } from './sql-workspace.js';

export type InputFormat = 'parquet' | 'csv' | 'jsonl';

export const INPUT_FORMATS: readonly InputFormat[] = ['parquet', 'csv', 'jsonl'];

/** The format a file name says (.parquet, .csv/.tsv, .jsonl/.ndjson/.json). */
export function inputFormatOf(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return 'parquet';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new UsageError(`cannot tell the format of ${path} from its name: give --input-format parquet|csv|jsonl`);
}

/** The rows of local files (one format; several files are read as one input). */
export async function* readInputFiles(
  workspace: SqlWorkspace,
  paths: readonly string[],
  format: InputFormat,
  options: { castTo?: Schema } = {},
): AsyncIterable<RecordBatch> {
  const list = `[${paths.map(sqlString).join(', ')}]`;
  const source =
    format === 'parquet'
      ? `read_parquet(${list})`
      : format === 'csv'
        ? `read_csv(${list}, header = true)`
        : `read_json(${list}, format = 'newline_delimited')`;
  await workspace.run(`CREATE OR REPLACE TEMP VIEW __lake_input AS SELECT * FROM ${source}`);
  let select = '*';
  if (options.castTo !== undefined) {
    const present = new Set(await workspace.columnNames('SELECT * FROM __lake_input'));
    const known = new Set(options.castTo.fields.map((f) => f.name));
    const unknown = [...present].filter((name) => !known.has(name));
    // Unknown columns stay as they are: the writer decides (an error, or new columns with schema merge).
    select = [
      ...options.castTo.fields.filter((f) => present.has(f.name)).map((f) => `CAST(${sqlIdentifier(f.name)} AS ${duckdbType(f.type)}) AS ${sqlIdentifier(f.name)}`),
      ...unknown.map(sqlIdentifier),
    ].join(', ');
  }
  yield* workspace.query(`SELECT ${select} FROM __lake_input`);
}

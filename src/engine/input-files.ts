/**
 * Files of rows to load (the CLI's inputs): Parquet, CSV and JSON lines, which DuckDB reads where
 * they lie. A writer casts their columns by name to the table's types in DuckDB (a CSV's inferred
 * BIGINT becomes the table's INTEGER, its text a DATE), so a value that does not fit fails there,
 * naming the value.
 */
import { extname } from 'node:path';
import { UsageError } from '../errors.js';
import { sqlString } from './duckdb-session.js';

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

/** Local files of rows, to be read by DuckDB where they lie (no copy through JavaScript). */
export interface InputFiles {
  readonly files: readonly string[];
  readonly format: InputFormat;
}

export function isInputFiles(value: unknown): value is InputFiles {
  return typeof value === 'object' && value !== null && Array.isArray((value as InputFiles).files) && typeof (value as InputFiles).format === 'string';
}

/** A query over the files' rows (one format; several files are read as one input). */
export function inputFilesSql(input: InputFiles): string {
  const list = `[${input.files.map(sqlString).join(', ')}]`;
  switch (input.format) {
    case 'parquet':
      return `SELECT * FROM read_parquet(${list})`;
    case 'csv':
      return `SELECT * FROM read_csv(${list}, header = true)`;
    case 'jsonl':
      return `SELECT * FROM read_json(${list}, format = 'newline_delimited')`;
  }
}

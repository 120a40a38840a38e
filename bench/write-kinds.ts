/** The measurements of bench/writes.ts, and what each one times. */
export const WRITE_KINDS = {
  'append-duckdb-copy': 'DuckDB: COPY (SELECT * FROM read_parquet(<10M-row input>)) TO <file> (FORMAT parquet, COMPRESSION zstd)',
  'append-lake': 'lake append: the same input read by DuckDB, written by lake as a new Delta table (zstd Parquet, statistics, commit)',
  'merge-duckdb-touched': 'DuckDB: the upsert as a FULL OUTER JOIN of the source with only the files lake rewrote, COPY to Parquet (zstd)',
  'merge-lake': 'lake merge: 1 % upsert (ids in one range: 90 % updates, 10 % inserts) into the 10M-row table, whenMatchedUpdateAll + whenNotMatchedInsertAll',
} as const;
export type WriteKind = keyof typeof WRITE_KINDS;

/** The measurements of bench/optimize.ts, and what each one times. */
export const OPTIMIZE_KINDS = {
  'binpack-duckdb-copy': 'DuckDB: COPY (SELECT * FROM read_parquet(<the table\'s ~200 files>)) TO <file> (FORMAT parquet, COMPRESSION zstd)',
  'binpack-lake': 'lake optimize: the same files bin-packed into 512 MiB files (statistics, commit)',
  'zorder-duckdb-sort': 'DuckDB: the same files ORDER BY x, amount, COPY to Parquet (zstd)',
  'zorder-lake': 'lake optimize --zorder-by x,amount (Morton key sort, 8 MiB files, statistics, commit)',
  'hilbert-lake': 'lake optimize --zorder-by x,amount --curve hilbert (Hilbert index sort, 8 MiB files, statistics, commit)',
  'binpack-lake-1gb': 'lake optimize of the memory benchmark\'s table with memoryLimit 1GB (bench/optimize-memory.ts)',
  'zorder-lake-1gb': 'lake optimize --zorder-by x,y of the memory benchmark\'s table with memoryLimit 1GB',
} as const;
export type OptimizeKind = keyof typeof OPTIMIZE_KINDS;

export const ZORDER_COLUMNS = ['x', 'amount'];
export const ZORDER_TARGET = 8 * 1024 * 1024;

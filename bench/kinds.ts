/** The measurements of bench/run.ts, and what each one times. */
export const KINDS = {
  'duckdb-baseline':
    'DuckDB: SELECT add.path, add.size, add.partitionValues, add.modificationTime FROM read_parquet(<checkpoint>) WHERE add IS NOT NULL, materialized into JavaScript column arrays (getColumnsJS)',
  'duckdb-baseline-stats':
    'DuckDB: the same with add.stats as well (the columns a snapshot with statistics holds), materialized into JavaScript column arrays (getColumnsJS)',
  'duckdb-aggregate': 'DuckDB: count(*), sum(add.size) over the checkpoint, nothing crosses into JavaScript (a lower bound for reading it)',
  'load-default': 'DeltaTable.snapshot() of the latest version (files with stats), files.length',
  'load-no-stats': 'DeltaTable.snapshot({stats: false}) of the latest version (what `lake scan` without --where loads), files.length',
  'pruned-pushdown':
    "files --where: DeltaTable.snapshot({partitionFilter: partitionFilterFromWhere(where)}) then filesMatching(snapshot, where) and describeFiles (what `lake files --where` does)",
  'pruned-after-load': 'files --where without pushdown: DeltaTable.snapshot() then filesMatching(snapshot, where) and describeFiles',
} as const;
export type Kind = keyof typeof KINDS;

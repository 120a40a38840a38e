/** What the benchmarks share: running one statement in a fresh DuckDB, and medians. */
import { DuckDBInstance } from '@duckdb/node-api';

/** Runs `sql` in a new in-memory DuckDB (the baselines, and generating inputs). */
export async function duck(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

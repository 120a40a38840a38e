/**
 * One measurement, in a process of its own (so that its peak RSS is its own):
 * `node --import tsx bench/measure.ts <kind> <table dir> <checkpoint file> <where>`.
 * Prints one JSON line: {kind, ms, rssMB, count}. `ms` is the operation alone (after imports);
 * it includes creating the DuckDB instance where the operation uses one.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable } from '../src/delta/table.js';
import { filesMatching, partitionFilterFromWhere } from '../src/delta/file-pruning.js';
import { describeFiles } from '../src/delta/describe.js';
import { KINDS, type Kind } from './kinds.js';


async function duckdb(checkpoint: string, sql: (file: string) => string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql(`'${checkpoint.replaceAll("'", "''")}'`));
    const columns = reader.getColumnsJS();
    return columns[0]?.length ?? 0;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function run(kind: Kind, dir: string, checkpoint: string, where: string): Promise<number> {
  switch (kind) {
    case 'duckdb-baseline':
      return duckdb(checkpoint, (f) => `SELECT add.path, add.size, add.partitionValues, add.modificationTime FROM read_parquet(${f}) WHERE add IS NOT NULL`);
    case 'duckdb-baseline-stats':
      return duckdb(checkpoint, (f) => `SELECT add.path, add.size, add.partitionValues, add.modificationTime, add.stats FROM read_parquet(${f}) WHERE add IS NOT NULL`);
    case 'duckdb-aggregate':
      return duckdb(checkpoint, (f) => `SELECT count(*), sum(add.size) FROM read_parquet(${f}) WHERE add IS NOT NULL`);
    case 'load-default': {
      const table = await DeltaTable.open(dir);
      return (await table.snapshot()).files.length;
    }
    case 'load-no-stats': {
      const table = await DeltaTable.open(dir);
      return (await table.snapshot({ stats: false })).files.length;
    }
    case 'pruned-pushdown': {
      const table = await DeltaTable.open(dir);
      const snapshot = await table.snapshot({ partitionFilter: partitionFilterFromWhere(where) });
      return describeFiles(snapshot, await filesMatching(snapshot, where)).length;
    }
    case 'pruned-after-load': {
      const table = await DeltaTable.open(dir);
      const snapshot = await table.snapshot();
      return describeFiles(snapshot, await filesMatching(snapshot, where)).length;
    }
  }
}

const [kind, dir, checkpoint, where] = process.argv.slice(2) as [Kind, string, string, string];
if (!(kind in KINDS)) throw new Error(`unknown measurement ${kind}`);
const started = performance.now();
const count = await run(kind, dir, checkpoint, where);
const ms = performance.now() - started;
console.log(JSON.stringify({ kind, ms, rssMB: process.resourceUsage().maxRSS / 1024, count }));

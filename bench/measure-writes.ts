/**
 * One write measurement, in a process of its own:
 * `node --import tsx bench/measure-writes.ts <kind> <work dir> <input.parquet> <table dir> <source.parquet>`.
 * Prints one JSON line {kind, ms, rssMB, count, files?}. The table a merge changes is a fresh copy
 * made before the clock starts.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MergeBuilder } from '../src/delta/operations/merge.js';
import { DeltaTable } from '../src/delta/table.js';
import { inputFilesSql } from '../src/engine/input-files.js';
import { SqlWorkspace } from '../src/engine/sql-workspace.js';
import type { WriteKind } from './write-kinds.js';
import { duck } from './duck.js';



const [kind, work, input, tableDir, source, touchedList] = process.argv.slice(2) as [WriteKind, string, string, string, string, string?];
const scratch = await mkdtemp(join(work, 'run-'));
let copy: string | undefined;
if (kind === 'merge-lake') {
  copy = join(scratch, 'table');
  await cp(tableDir, copy, { recursive: true });
}
const started = performance.now();
let count = 0;
let files: number | undefined;
switch (kind) {
  case 'append-duckdb-copy':
    await duck(`COPY (SELECT * FROM read_parquet('${input}')) TO '${join(scratch, 'out.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    count = 10_000_000;
    break;
  case 'append-lake': {
    const input_ = { files: [input], format: 'parquet' as const };
    const workspace = await SqlWorkspace.open();
    try {
      const table = await DeltaTable.create(join(scratch, 'table'), { schema: await workspace.arrowSchema(inputFilesSql(input_)) });
      const result = await table.write(input_, { workspace });
      count = result.metrics.numOutputRows;
      files = result.metrics.numFiles;
    } finally {
      await workspace.close();
    }
    break;
  }
  case 'merge-lake': {
    const table = await DeltaTable.open(copy!);
    const result = await new MergeBuilder(table, { files: [source], format: 'parquet' }, { predicate: 'target.id = source.id' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute();
    count = result.metrics.numTargetRowsUpdated + result.metrics.numTargetRowsInserted;
    files = result.metrics.numTargetFilesRemoved;
    break;
  }
  case 'merge-duckdb-touched': {
    const touched = (touchedList ?? '').split(',').filter(Boolean).map((f) => `'${join(tableDir, f)}'`);
    const columns = 'id, name, day, amount, x';
    await duck(
      `COPY (SELECT ${columns.split(', ').map((c) => `coalesce(s.${c}, t.${c}) AS ${c}`).join(', ')} FROM read_parquet([${touched.join(', ')}]) t ` +
        `FULL OUTER JOIN read_parquet('${source}') s ON t.id = s.id) TO '${join(scratch, 'out.parquet')}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    files = touched.length;
    break;
  }
}
const ms = performance.now() - started;
await rm(scratch, { recursive: true, force: true });
console.log(JSON.stringify({ kind, ms, rssMB: process.resourceUsage().maxRSS / 1024, count, ...(files === undefined ? {} : { files }) }));

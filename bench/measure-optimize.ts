/**
 * One optimize measurement, in a process of its own:
 * `node --import tsx bench/measure-optimize.ts <kind> <work dir> <table dir>`.
 * Prints one JSON line {kind, ms, rssMB, files?}. lake's runs work on a fresh copy of the table,
 * made before the clock starts; DuckDB's read the table's data files.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { optimize } from '../src/delta/operations/optimize.js';
import { DeltaTable } from '../src/delta/table.js';
import { ZORDER_COLUMNS, ZORDER_TARGET, type OptimizeKind } from './optimize-kinds.js';
import { duck } from './duck.js';

const [kind, work, tableDir] = process.argv.slice(2) as [OptimizeKind, string, string];
const scratch = await mkdtemp(join(work, 'run-'));
const copy = join(scratch, 'table');
if (kind.includes('-lake')) await cp(tableDir, copy, { recursive: true });
const sourceFiles = (await (await DeltaTable.open(tableDir)).snapshot({ stats: false })).files.map((f) => `'${join(tableDir, f.path)}'`).join(', ');
const started = performance.now();
let files: number | undefined;
switch (kind) {
  case 'binpack-duckdb-copy':
    await duck(`COPY (SELECT * FROM read_parquet([${sourceFiles}])) TO '${join(scratch, 'out.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    break;
  case 'binpack-lake':
    files = (await optimize(await DeltaTable.open(copy))).metrics.numFilesAdded;
    break;
  case 'zorder-duckdb-sort':
    await duck(`COPY (SELECT * FROM read_parquet([${sourceFiles}]) ORDER BY ${ZORDER_COLUMNS.join(', ')}) TO '${join(scratch, 'out.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    break;
  case 'zorder-lake':
    files = (await optimize(await DeltaTable.open(copy), { zorderBy: ZORDER_COLUMNS, targetFileSize: ZORDER_TARGET })).metrics.numFilesAdded;
    break;
  case 'hilbert-lake':
    files = (await optimize(await DeltaTable.open(copy), { zorderBy: ZORDER_COLUMNS, curve: 'hilbert', targetFileSize: ZORDER_TARGET })).metrics.numFilesAdded;
    break;
  case 'binpack-lake-1gb':
    files = (await optimize(await DeltaTable.open(copy), { memoryLimit: '1GB', tempDir: scratch })).metrics.numFilesAdded;
    break;
  case 'zorder-lake-1gb':
    files = (await optimize(await DeltaTable.open(copy), { zorderBy: ['x', 'y'], memoryLimit: '1GB', tempDir: scratch })).metrics.numFilesAdded;
    break;
}
const ms = performance.now() - started;
await rm(scratch, { recursive: true, force: true });
console.log(JSON.stringify({ kind, ms, rssMB: process.resourceUsage().maxRSS / 1024, ...(files === undefined ? {} : { files }) }));

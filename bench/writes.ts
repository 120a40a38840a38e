/**
 * The write benchmark (part of `npm run bench`): appending 10,000,000 rows against DuckDB copying
 * the same rows to Parquet, and a 1 % upsert into a 10M-row table against DuckDB joining only the
 * files lake rewrote, all measured in this run, each measurement in a fresh process.
 *
 * Inputs (generated once under `$LAKE_BENCH_DIR`, default `<tmpdir>/lake-bench-writes`): a 10M-row
 * Parquet file (id, name, day, amount decimal(12,2), x double), a Delta table of those rows written
 * by lake in id order (files of 32 MB, so that an upsert of one id range touches few), and the
 * upsert source: 100,000 rows, ids in one range of the table (90 %) and new ids (10 %).
 * BENCH_REPS (default 3), BENCH_ROWS (default 10,000,000) narrow it.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DeltaTable } from '../src/delta/table.js';
import { inputFilesSql } from '../src/engine/input-files.js';
import { SqlWorkspace } from '../src/engine/sql-workspace.js';
import { WRITE_KINDS, type WriteKind } from './write-kinds.js';
import { duck, median } from './duck.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
const reps = Number(process.env.BENCH_REPS ?? 3);
const dir = process.env.LAKE_BENCH_DIR ?? join(tmpdir(), `lake-bench-writes-${rows}`);
const input = join(dir, 'input.parquet');
const source = join(dir, 'upsert.parquet');
const tableDir = join(dir, 'table');

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}


console.log(`lake bench (writes): ${rows.toLocaleString('en')} rows; ${reps} runs each, median; every run in a fresh process`);
await mkdir(dir, { recursive: true });
if (!(await exists(input))) {
  console.log('generating the input …');
  await duck(
    `COPY (SELECT i::BIGINT AS id, 'name-' || (i % 1000)::VARCHAR AS name, DATE '2024-01-01' + (i % 365)::INTEGER AS day, ` +
      `((i % 100000) / 100)::DECIMAL(12,2) AS amount, (hash(i) % 1000000) / 1000.0 AS x FROM range(${rows}) t(i)) TO '${input}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  const start = Math.floor(rows * 0.42);
  const updates = Math.floor(rows / 100 * 0.9);
  await duck(
    `COPY (SELECT id, 'upserted' AS name, DATE '2025-01-01' AS day, 1.00::DECIMAL(12,2) AS amount, 0.5 AS x FROM ` +
      `(SELECT (${start} + i)::BIGINT AS id FROM range(${updates}) t(i) UNION ALL SELECT (${rows} + i)::BIGINT FROM range(${Math.floor(rows / 1000)}) t(i))) TO '${source}' (FORMAT parquet)`,
  );
}
if (!(await exists(join(tableDir, '_delta_log')))) {
  console.log('writing the table …');
  const input_ = { files: [input], format: 'parquet' as const };
  const workspace = await SqlWorkspace.open();
  try {
    const table = await DeltaTable.create(tableDir, { schema: await workspace.arrowSchema(inputFilesSql(input_)) });
    await table.write(input_, { workspace, targetFileSize: 32 * 1024 * 1024 });
  } finally {
    await workspace.close();
  }
}

interface Sample {
  readonly ms: number;
  readonly rssMB: number;
  readonly count: number;
  readonly files?: number;
}

// The files whose id range meets the source's: what lake's pruning keeps (the probe run below
// reports how many it rewrote), and what the DuckDB baseline joins.
const snapshot = await (await DeltaTable.open(tableDir)).snapshot();
const low = Math.floor(rows * 0.42);
const high = low + Math.floor((rows / 100) * 0.9);
const touched = snapshot.files
  .filter((file) => {
    const stats = JSON.parse(file.stats!) as { minValues: { id: number }; maxValues: { id: number } };
    return stats.maxValues.id >= low && stats.minValues.id <= high;
  })
  .map((file) => file.path);

async function measure(kind: WriteKind): Promise<Sample> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'measure-writes.ts'), kind, dir, input, tableDir, source, touched.join(',')], {
    maxBuffer: 1 << 20,
    cwd: join(here, '..'),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
}

const probe = await measure('merge-lake');
const kinds = Object.keys(WRITE_KINDS) as WriteKind[];
const samples = new Map<WriteKind, Sample[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const kind of kinds) {
    const sample = await measure(kind);
    samples.set(kind, [...(samples.get(kind) ?? []), sample]);
    process.stderr.write(`  run ${rep + 1}/${reps} ${kind}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.rssMB.toFixed(0)} MB\n`);
  }
}
const medianMs = (kind: WriteKind): number => median(samples.get(kind)!.map((s) => s.ms));
console.log('');
console.log('definitions:');
for (const kind of kinds) console.log(`  ${kind}: ${WRITE_KINDS[kind]}`);
console.log('');
console.log('results (median):');
for (const kind of kinds) {
  const s = samples.get(kind)!;
  console.log(`  ${kind}: ${(medianMs(kind) / 1000).toFixed(2)} s; peak RSS ${Math.max(...s.map((x) => x.rssMB)).toFixed(0)} MB${s[0]!.files === undefined ? '' : `; ${s[0]!.files} files`}`);
}
const appendRatio = medianMs('append-duckdb-copy') / medianMs('append-lake');
const mergeRatio = medianMs('merge-lake') / medianMs('merge-duckdb-touched');
console.log('');
console.log('goals:');
console.log(`  append throughput vs DuckDB COPY: ${appendRatio.toFixed(2)}× (goal ≥ 0.7×) ${appendRatio >= 0.7 ? 'met' : 'NOT met'}`);
console.log(`  merge time vs DuckDB joining only the touched files: ${mergeRatio.toFixed(2)}× (goal ≤ 2×) ${mergeRatio <= 2 ? 'met' : 'NOT met'}; lake rewrote ${probe.files} of ${snapshot.files.length} files (${touched.length} meet the source's id range)`);

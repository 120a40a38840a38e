/**
 * The optimize benchmark (part of `npm run bench`): bin-packing ~200 small files (10M rows)
 * against DuckDB copying the same files into one, and Z-ordering them against DuckDB sorting them,
 * each measurement in a fresh process, median of BENCH_REPS (default 3); then the quality of the
 * Z-order: for range queries on each Z-order column, the files a reader keeps after pruning, for
 * the table as written, Z-ordered, and sorted by the first column alone (same file size).
 *
 * Inputs are generated once under `$LAKE_BENCH_DIR` (default `<tmpdir>/lake-bench-optimize-<rows>`).
 * Peak memory of optimizing ≥ 5 GB with a 1 GB limit: bench/optimize-memory.ts.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { filesMatching } from '../src/delta/file-pruning.js';
import { optimize } from '../src/delta/operations/optimize.js';
import { DeltaTable } from '../src/delta/table.js';
import { OPTIMIZE_KINDS, ZORDER_COLUMNS, ZORDER_TARGET, type OptimizeKind } from './optimize-kinds.js';
import { duck, median } from './duck.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);
const reps = Number(process.env.BENCH_REPS ?? 3);
const dir = process.env.LAKE_BENCH_DIR ?? join(tmpdir(), `lake-bench-optimize-${rows}`);
const input = join(dir, 'input.parquet');
const tableDir = join(dir, 'table');

const exists = (path: string) => stat(path).then(() => true, () => false);

console.log(`lake bench (optimize): ${rows.toLocaleString('en')} rows in about 200 files; ${reps} runs each, median; every run in a fresh process`);
await mkdir(dir, { recursive: true });
if (!(await exists(join(tableDir, '_delta_log')))) {
  console.log('generating the table …');
  await duck(
    `COPY (SELECT i::BIGINT AS id, 'name-' || (i % 1000)::VARCHAR AS name, DATE '2024-01-01' + (i % 365)::INTEGER AS day, ` +
      `((hash(i * 3) % 100000) / 100)::DECIMAL(12,2) AS amount, (hash(i) % 1000000) / 1000.0 AS x FROM range(${rows}) t(i)) TO '${input}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  const table = await DeltaTable.create(tableDir, { schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
    { name: 'amount', type: 'decimal(12,2)', nullable: true, metadata: {} },
    { name: 'x', type: 'double', nullable: true, metadata: {} },
  ] } });
  const size = (await stat(input)).size;
  await table.write({ files: [input], format: 'parquet' }, { targetFileSize: Math.ceil(size / 200) });
}
const files = (await (await DeltaTable.open(tableDir)).snapshot({ stats: false })).files.length;
console.log(`table: ${files} files`);

interface Sample {
  readonly ms: number;
  readonly rssMB: number;
  readonly files?: number;
}
async function measure(kind: OptimizeKind): Promise<Sample> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'measure-optimize.ts'), kind, dir, tableDir], { maxBuffer: 1 << 20, cwd: join(here, '..') });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
}
const kinds = (Object.keys(OPTIMIZE_KINDS) as OptimizeKind[]).filter((kind) => !kind.endsWith('-1gb'));
const samples = new Map<OptimizeKind, Sample[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const kind of kinds) {
    const sample = await measure(kind);
    samples.set(kind, [...(samples.get(kind) ?? []), sample]);
    process.stderr.write(`  run ${rep + 1}/${reps} ${kind}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.rssMB.toFixed(0)} MB\n`);
  }
}
const medianMs = (kind: OptimizeKind): number => median(samples.get(kind)!.map((s) => s.ms));

// Z-order quality: files kept by range queries on each column.
const zordered = join(dir, 'quality-zorder');
const hilbert = join(dir, 'quality-hilbert');
const sorted = join(dir, 'quality-sorted');
for (const d of [zordered, hilbert, sorted]) await rm(d, { recursive: true, force: true });
await run('cp', ['-r', tableDir, zordered]);
await optimize(await DeltaTable.open(zordered), { zorderBy: ZORDER_COLUMNS, targetFileSize: ZORDER_TARGET });
await run('cp', ['-r', tableDir, hilbert]);
await optimize(await DeltaTable.open(hilbert), { zorderBy: ZORDER_COLUMNS, curve: 'hilbert', targetFileSize: ZORDER_TARGET });
const sortedInput = join(dir, 'sorted.parquet');
await duck(`COPY (SELECT * FROM read_parquet('${input}') ORDER BY ${ZORDER_COLUMNS[0]}) TO '${sortedInput}' (FORMAT parquet, COMPRESSION zstd)`);
const plain = await DeltaTable.create(sorted, { schema: (await (await DeltaTable.open(tableDir)).snapshot({ stats: false })).schema });
await plain.write({ files: [sortedInput], format: 'parquet' }, { targetFileSize: ZORDER_TARGET });
// Lower ranges only on x (a double: its max says nothing of NaN, so upper ranges skip nothing).
const queries = ['x < 10', 'x < 100', 'amount < 10', 'amount >= 990', 'x < 100 AND amount < 100'];
const quality: string[] = [];
for (const [name, location] of [['as written', tableDir], ['Z-ordered (x, amount)', zordered], ['Hilbert-ordered (x, amount)', hilbert], ['sorted by x', sorted]] as const) {
  const snapshot = await (await DeltaTable.open(location)).snapshot();
  const kept = await Promise.all(queries.map(async (q) => `${q}: ${(await filesMatching(snapshot, q)).length}`));
  quality.push(`  ${name} (${snapshot.files.length} files): ${kept.join('; ')}`);
}

console.log('');
console.log('definitions:');
for (const kind of kinds) console.log(`  ${kind}: ${OPTIMIZE_KINDS[kind]}`);
console.log('');
console.log('results (median):');
for (const kind of kinds) {
  const s = samples.get(kind)!;
  console.log(`  ${kind}: ${(medianMs(kind) / 1000).toFixed(2)} s; peak RSS ${Math.max(...s.map((x) => x.rssMB)).toFixed(0)} MB${s[0]!.files === undefined ? '' : `; ${s[0]!.files} files written`}`);
}
console.log('');
console.log('files kept by range queries (fewer is better):');
for (const line of quality) console.log(line);
const binpack = medianMs('binpack-duckdb-copy') / medianMs('binpack-lake');
const zorder = medianMs('zorder-duckdb-sort') / medianMs('zorder-lake');
console.log('');
console.log('goals:');
console.log(`  bin-pack throughput vs DuckDB COPY: ${binpack.toFixed(2)}× (goal ≥ 0.8×) ${binpack >= 0.8 ? 'met' : 'NOT met'}`);
console.log(`  Z-order throughput vs DuckDB ORDER BY copy: ${zorder.toFixed(2)}× (goal ≥ 0.6×) ${zorder >= 0.6 ? 'met' : 'NOT met'}`);
console.log(`  (Hilbert: ${(medianMs('zorder-duckdb-sort') / medianMs('hilbert-lake')).toFixed(2)}× the ORDER BY copy's throughput)`);
console.log('  peak RSS optimizing ≥ 5 GB with a 1 GB memory limit: bench/optimize-memory.ts (next)');

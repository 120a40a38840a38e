/**
 * The memory benchmark of optimize (part of `npm run bench`): a table of ≥ BENCH_MEMORY_GB
 * (default 5) GB of small Parquet files, bin-packed and then Z-ordered by lake with
 * `memoryLimit: 1GB`, each in a fresh process whose peak RSS (the whole process: Node, Arrow,
 * DuckDB) is reported against the goal of 1.5 GB. DuckDB spills beyond its limit to a temp
 * directory under the work dir.
 *
 * The data is hard to compress (hex digests, hashed doubles), so the bytes on disk are the bytes
 * DuckDB has to move. Inputs are generated once under `$LAKE_BENCH_DIR`
 * (default `<tmpdir>/lake-bench-memory-<GB>`); one run each (a run takes minutes).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DeltaTable } from '../src/delta/table.js';
import { duck } from './duck.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const gigabytes = Number(process.env.BENCH_MEMORY_GB ?? 5);
const dir = process.env.LAKE_BENCH_DIR ?? join(tmpdir(), `lake-bench-memory-${gigabytes}`);
const source = join(dir, 'source');
const tableDir = join(dir, 'table');
const GOAL_MB = 1536;
/** Bytes a generated row takes in zstd Parquet (measured: about 41). */
const ROW_BYTES = 40;
const FILES = 400;

const exists = (path: string) => stat(path).then(() => true, () => false);

console.log(`lake bench (optimize memory): ≥ ${gigabytes} GB of Parquet in ${FILES} files, optimized with a 1 GB memory limit; peak RSS goal ≤ ${GOAL_MB} MB`);
await mkdir(dir, { recursive: true });
if (!(await exists(join(tableDir, '_delta_log')))) {
  console.log('generating the table …');
  const rows = Math.ceil((gigabytes * 1e9) / ROW_BYTES);
  const perFile = Math.ceil(rows / FILES);
  await mkdir(source, { recursive: true });
  // One statement per file keeps the generator's own memory small.
  for (let f = 0; f < FILES; f++) {
    const from = f * perFile;
    await duck(
      `SET preserve_insertion_order = false; COPY (SELECT i::BIGINT AS id, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS digest, (hash(i) % 1000000) / 1000.0 AS x, ` +
        `(hash(i * 3) % 100000)::INTEGER AS y FROM range(${from}, ${from + perFile}) t(i)) TO '${join(source, `part-${String(f).padStart(4, '0')}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`,
    );
  }
  const table = await DeltaTable.create(tableDir, { schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'digest', type: 'string', nullable: true, metadata: {} },
    { name: 'x', type: 'double', nullable: true, metadata: {} },
    { name: 'y', type: 'integer', nullable: true, metadata: {} },
  ] } });
  const files = (await readdir(source)).sort().map((name) => join(source, name));
  // One append per file, so the table has FILES small files (as ingestion leaves them).
  for (let i = 0; i < files.length; i += 50) await table.write({ files: files.slice(i, i + 50), format: 'parquet' }, { targetFileSize: 64 * 1024 * 1024 });
}
const snapshot = await (await DeltaTable.open(tableDir)).snapshot({ stats: false });
const bytes = snapshot.files.reduce((n, f) => n + f.size, 0);
console.log(`table: ${snapshot.files.length} files, ${(bytes / 1e9).toFixed(2)} GB`);

interface Sample {
  readonly kind: string;
  readonly ms: number;
  readonly rssMB: number;
  readonly files: number;
}
const samples: Sample[] = [];
for (const kind of ['binpack-lake-1gb', 'zorder-lake-1gb']) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'measure-optimize.ts'), kind, dir, tableDir], { maxBuffer: 1 << 20, cwd: join(here, '..') });
  const sample = JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
  samples.push(sample);
  process.stderr.write(`  ${kind}: ${(sample.ms / 1000).toFixed(1)} s, peak RSS ${sample.rssMB.toFixed(0)} MB, ${sample.files} files written\n`);
}
console.log('');
console.log('| optimize of the table (1 GB memory limit) | time | throughput | peak RSS | goal ≤ 1.5 GB |');
console.log('|---|---:|---:|---:|---|');
for (const s of samples) {
  console.log(`| ${s.kind} | ${(s.ms / 1000).toFixed(1)} s | ${(bytes / 1e6 / (s.ms / 1000)).toFixed(0)} MB/s | ${(s.rssMB / 1024).toFixed(2)} GB | ${s.rssMB <= GOAL_MB ? 'met' : 'NOT met'} |`);
}

/**
 * `npm run bench`: snapshot loading on a large Delta log, against DuckDB reading the same
 * checkpoint, all measured in this run.
 *
 * The table (bench/generate.ts): a checkpoint with 1,000,000 adds (stats for 5 columns, 100
 * partitions) and 10,000 tombstones, then 1,000 JSON commits; generated once into
 * `$LAKE_BENCH_DIR` (default `<tmpdir>/lake-bench-<parameters>`) and reused.
 *
 * Each measurement runs in a fresh Node process (its peak RSS is its own), `BENCH_REPS` times
 * (default 3), interleaved; the median is reported. Environment: BENCH_REPS, BENCH_ONLY (comma
 * separated kinds), BENCH_ADDS / BENCH_COMMITS (a smaller table), LAKE_BENCH_DIR.
 */
import { execFile } from 'node:child_process';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { median } from './duck.js';
import { DEFAULT_OPTIONS, generateTable, type GenerateOptions } from './generate.js';
import { KINDS, type Kind } from './kinds.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));

interface Sample {
  readonly ms: number;
  readonly rssMB: number;
  readonly count: number;
}

const options: GenerateOptions = {
  ...DEFAULT_OPTIONS,
  ...(process.env.BENCH_ADDS === undefined ? {} : { adds: Number(process.env.BENCH_ADDS) }),
  ...(process.env.BENCH_COMMITS === undefined ? {} : { commits: Number(process.env.BENCH_COMMITS) }),
};
const reps = Number(process.env.BENCH_REPS ?? 3);
const dir = process.env.LAKE_BENCH_DIR ?? join(tmpdir(), `lake-bench-${options.adds}-${options.commits}-${options.partitions}`);
const only = process.env.BENCH_ONLY?.split(',') as Kind[] | undefined;
const kinds = (Object.keys(KINDS) as Kind[]).filter((k) => only === undefined || only.includes(k));

console.log(`lake bench: snapshot of a Delta log whose checkpoint holds ${options.adds.toLocaleString('en')} adds, then ${options.commits.toLocaleString('en')} commits`);
console.log(`machine: ${cpus().length} cores, Node ${process.versions.node}; ${reps} runs each, median; every run in a fresh process`);
const table = await generateTable(dir, options, (line) => console.log(line));
const checkpoint = join(table.dir, table.checkpointKey);
const where = `date = '${table.firstPartition}'`;
console.log(
  `table: ${table.dir} (version ${table.latestVersion}; checkpoint ${(table.checkpointBytes / 1e6).toFixed(0)} MB at version ${table.checkpointVersion}; ` +
    `${table.liveFiles.toLocaleString('en')} live files, ${table.liveFilesInFirstPartition.toLocaleString('en')} in ${where})`,
);
console.log('');

const samples = new Map<Kind, Sample[]>();
for (let rep = 0; rep < reps; rep++) {
  for (const kind of kinds) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(here, 'measure.ts'), kind, table.dir, checkpoint, where], {
      maxBuffer: 1 << 20,
      cwd: join(here, '..'),
    });
    const sample = JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
    samples.set(kind, [...(samples.get(kind) ?? []), sample]);
    process.stderr.write(`  run ${rep + 1}/${reps} ${kind}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.rssMB.toFixed(0)} MB, ${sample.count}\n`);
  }
}

const stat = (kind: Kind) => {
  const s = samples.get(kind);
  if (s === undefined) return undefined;
  return { ms: median(s.map((x) => x.ms)), rssMB: Math.max(...s.map((x) => x.rssMB)), count: s[0]!.count, all: s.map((x) => x.ms) };
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const baseline = stat('duckdb-baseline');
const fullLoad = stat('load-default');

console.log('');
console.log('definitions:');
for (const kind of kinds) console.log(`  ${kind}: ${KINDS[kind]}`);
console.log('');
console.log('results (median; runs in parentheses; peak RSS is the largest of the runs):');
for (const kind of kinds) {
  const s = stat(kind)!;
  let line = `  ${kind}: ${seconds(s.ms)} (${s.all.map((ms) => (ms / 1000).toFixed(2)).join(', ')}); peak RSS ${s.rssMB.toFixed(0)} MB; ${s.count.toLocaleString('en')} rows/files`;
  if (baseline !== undefined && kind !== 'duckdb-baseline') line += `; ${(s.ms / baseline.ms).toFixed(2)}× DuckDB baseline`;
  if (fullLoad !== undefined && kind.startsWith('pruned')) line += `; ${(s.ms / fullLoad.ms).toFixed(2)}× a full load`;
  console.log(line);
}

console.log('');
console.log('goals:');
const goal = (text: string, value: number | undefined, limit: number) => {
  if (value === undefined) return;
  console.log(`  ${text}: ${value.toFixed(2)}× (goal ≤ ${limit}×) ${value <= limit ? 'met' : 'NOT met'}`);
};
// Each load against DuckDB reading the same columns: without stats, and with them.
const baselineStats = stat('duckdb-baseline-stats');
const noStats = stat('load-no-stats');
if (baseline !== undefined && noStats !== undefined) {
  goal(`snapshot load without stats: ${seconds(noStats.ms)} vs DuckDB reading path/size/partitionValues/modificationTime ${seconds(baseline.ms)}`, noStats.ms / baseline.ms, 1.5);
}
if (baselineStats !== undefined && fullLoad !== undefined) {
  goal(`snapshot load with stats (default): ${seconds(fullLoad.ms)} vs DuckDB reading those and stats ${seconds(baselineStats.ms)}`, fullLoad.ms / baselineStats.ms, 1.5);
}
if (baseline !== undefined && fullLoad !== undefined) {
  console.log(`  snapshot load with stats vs DuckDB without stats: ${(fullLoad.ms / baseline.ms).toFixed(2)}× (the stats are ≈ 300 MB of JSON text more)`);
}
const pruned = stat('pruned-pushdown');
if (pruned !== undefined && fullLoad !== undefined) {
  goal(`files --where ${where} (pushdown): ${seconds(pruned.ms)} vs a full load ${seconds(fullLoad.ms)}`, pruned.ms / fullLoad.ms, 0.2);
}
const peak = Math.max(...kinds.filter((k) => !k.startsWith('duckdb')).map((k) => stat(k)!.rssMB));
if (Number.isFinite(peak)) console.log(`  peak RSS of lake's measurements: ${peak.toFixed(0)} MB`);

/**
 * `lake optimize TABLE`: compacts small files (or Z-orders with --zorder-by). The same work can
 * be fanned out: `--plan-only` prints the plan, `--plan P --execute-bin N` writes one bin's files
 * and prints what it wrote, `--plan P --commit R…` commits the results in one transaction.
 */
import { readFile } from 'node:fs/promises';
import { commitOptimize, DEFAULT_MAX_DELETED_ROWS_RATIO, executeBin, optimize, planOptimize, type BinResult, type OptimizePlan, type OptimizeResult, type SortCurve } from '../../delta/operations/optimize.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { openDeltaTable } from '../delta-target.js';
import { progressBar } from '../progress.js';
import type { CommandModule } from '../program.js';
import { formatBytes, parseByteSize } from '../sizes.js';
import { TABLE_ARGUMENT_HELP } from '../table.js';

interface OptimizeCommandOptions {
  where?: string;
  targetSize?: number;
  minFileSize?: number;
  maxDeletedRowsRatio?: number;
  zorderBy?: string[];
  curve?: SortCurve;
  concurrency: number;
  memoryLimit?: string;
  tempDir?: string;
  partialProgress?: boolean;
  planOnly?: boolean;
  plan?: string;
  executeBin?: number;
  commit?: string[];
}

export const optimizeCommand: CommandModule = {
  name: 'optimize',
  register(program, context) {
    program
      .command('optimize')
      .description("compact a Delta table's small files into files of the target size, or Z-order them")
      .argument('<table>', TABLE_ARGUMENT_HELP)
      .option('--where <sql>', 'only the partitions matching this condition on partition columns')
      .option('--target-size <size>', 'size of the files to write (default: delta.targetFileSize, else 512MiB)', parseByteSize)
      .option('--min-file-size <size>', 'files smaller than this are compacted (default: the target size)', parseByteSize)
      .option('--max-deleted-rows-ratio <ratio>', `rewrite a file whose deletion vector deletes more than this share of its rows (default ${DEFAULT_MAX_DELETED_ROWS_RATIO})`, parseRatio)
      .option('--zorder-by <a,b>', "sort each partition's files by a Z-order (Morton) key over these columns", (v: string) => v.split(',').map((c) => c.trim()))
      .option('--curve <curve>', 'with --zorder-by: sort along the zorder (Morton, default) or hilbert curve', parseCurve)
      .option('--concurrency <n>', 'bins written at once (DuckDB already uses every core for one)', parsePositive, 1)
      .option('--memory-limit <size>', "DuckDB's memory limit, e.g. 1GB (it spills to --temp-dir beyond it)")
      .option('--temp-dir <dir>', 'where DuckDB spills and S3 files are staged (default: the OS temp directory)')
      .option('--partial-progress', 'commit each bin on its own: a conflict with another writer loses only its bins')
      .option('--plan-only', 'print the plan (with --json, to hand to --plan) and stop')
      .option('--plan <file>', 'a plan printed by --plan-only --json')
      .option('--execute-bin <n>', "with --plan: write bin N's files and print the result (JSON with --json); commits nothing", parseNonNegative)
      .option('--commit <results...>', 'with --plan: commit the results of --execute-bin in one transaction')
      .action(async (argument: string, options: OptimizeCommandOptions, command) => {
        const ctx = await context(command);
        const table = await openDeltaTable(ctx, argument);
        const workspace = { ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }), ...(options.tempDir === undefined ? {} : { tempDir: options.tempDir }) };
        const planOptions = {
          ...(options.where === undefined ? {} : { where: options.where }),
          ...(options.targetSize === undefined ? {} : { targetFileSize: options.targetSize }),
          ...(options.minFileSize === undefined ? {} : { minFileSize: options.minFileSize }),
          ...(options.maxDeletedRowsRatio === undefined ? {} : { maxDeletedRowsRatio: options.maxDeletedRowsRatio }),
          ...(options.zorderBy === undefined ? {} : { zorderBy: options.zorderBy }),
          ...(options.curve === undefined ? {} : { curve: options.curve }),
        };
        if (options.plan === undefined) {
          if (options.executeBin !== undefined || options.commit !== undefined) throw new UsageError('--execute-bin and --commit need --plan FILE');
          if (options.planOnly === true) {
            const plan = await planOptimize(table, planOptions);
            ctx.result(plan, () => `plan at version ${plan.version}: ${plan.bins.length} bins, ${plan.bins.reduce((n, b) => n + b.files.length, 0)} files, ${formatBytes(plan.bins.reduce((n, b) => n + b.bytes, 0))}`);
            return;
          }
          const result = await optimize(table, {
            ...planOptions,
            ...workspace,
            concurrency: options.concurrency,
            ...(options.partialProgress === true ? { partialProgress: true } : {}),
            onProgress: (done, total, bytes, totalBytes) => ctx.progress(`optimize ${progressBar(bytes / Math.max(1, totalBytes))} ${done}/${total} bins, ${formatBytes(bytes)} of ${formatBytes(totalBytes)}`),
          });
          report(ctx, result);
          return;
        }
        if (Object.keys(planOptions).length > 0 || options.planOnly === true) throw new UsageError('with --plan, the plan decides: drop --where, --target-size, --zorder-by and the like');
        const plan = await readJson<OptimizePlan>(options.plan);
        if (options.executeBin !== undefined && options.commit === undefined) {
          const result = await executeBin(table, plan, options.executeBin, workspace);
          ctx.result(result, () => `bin ${result.bin}: ${result.rows} rows in ${result.added.length} files written (not committed)`);
          return;
        }
        if (options.commit !== undefined && options.executeBin === undefined) {
          const results = await Promise.all(options.commit.map((file) => readJson<BinResult>(file)));
          report(ctx, await commitOptimize(table, plan, results, options.partialProgress === true ? { partialProgress: true } : {}));
          return;
        }
        throw new UsageError('with --plan, give --execute-bin N or --commit RESULT…');
      });
  },
};

function report(ctx: CliContext, result: OptimizeResult): void {
  const m = result.metrics;
  ctx.result(result, () =>
    result.versions.length === 0 && m.failedBins === 0
      ? `nothing to optimize (${m.consideredFiles} files considered)`
      : `version ${result.versions.join(', ')}: ${m.numFilesRemoved} files (${formatBytes(m.numBytesRemoved)}) rewritten into ${m.numFilesAdded} (${formatBytes(m.numBytesAdded)}), ` +
        `${m.numRows} rows, ${m.partitionsOptimized} partition${m.partitionsOptimized === 1 ? '' : 's'}, ${(m.executionTimeMs / 1000).toFixed(1)} s` +
        (m.failedBins > 0 ? `; ${m.failedBins} bins lost to concurrent writers (their files are left for vacuum)` : ''),
  );
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UsageError(`${path} is not JSON (${(error as Error).message}): give the output of lake optimize … --json`);
  }
}

function parseCurve(text: string): SortCurve {
  if (text !== 'zorder' && text !== 'hilbert') throw new UsageError(`--curve ${text}: give zorder or hilbert`);
  return text;
}

function parseRatio(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--max-deleted-rows-ratio ${text}: give a number from 0 to 1`);
  return n;
}

function parsePositive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${text}: give a whole number of at least 1`);
  return n;
}

function parseNonNegative(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${text}: give a bin number (0 or more)`);
  return n;
}

/**
 * OPTIMIZE: compaction of small files (bin-packing) and Z-ordering, in three steps that can run in
 * one process or on many machines:
 *
 * 1. plan: per partition (those a partition-only `where` selects), the files below the minimum size
 *    are packed, smallest first, into bins up to the target size; a bin of one file is skipped
 *    unless that file's deletion vector deletes more than `maxDeletedRowsRatio` of its rows (it is
 *    rewritten to purge them). With `zorderBy`, each partition's files form one bin, sorted by the
 *    Morton key (engine/zorder.ts). The plan is plain JSON and names the table version it read.
 * 2. execute a bin: DuckDB reads the bin's files (file-relation.ts: physical names, partition
 *    values, deletion vectors; S3 objects staged locally), optionally sorts, and writes new files
 *    through the writer (write-files.ts: same physical layout, statistics recomputed), under a
 *    memory limit that it spills beyond. The result (the files written) is plain JSON too.
 * 3. commit: one transaction on the planned version removes the bins' files and adds the new ones,
 *    all with dataChange false. Concurrent appends do not conflict (the transaction read only the
 *    bins' files); a concurrent removal of one of those files does. With partial progress each bin
 *    commits on its own, so a conflict loses only its bins.
 *
 * Files written by a bin whose commit fails stay unreferenced: VACUUM removes them.
 */
import { LakeError, UsageError } from '../../errors.js';
import { boundColumns } from '../../engine/predicate-bind.js';
import { SqlWorkspace, type SqlWorkspaceOptions } from '../../engine/sql-workspace.js';
import { columnKeySql, hilbertTransposeSql, mortonKeySql, orderNumberSql, type ZOrderColumn } from '../../engine/zorder.js';
import { duckdbType } from '../../engine/duckdb-types.js';
import { sqlIdentifier, sqlString } from '../../engine/duckdb-session.js';
import { formatLocation } from '../../storage/location.js';
import type { AddFile } from '../actions.js';
import { ConcurrentModificationError } from '../conflicts.js';
import { registerDataFiles } from '../file-relation.js';
import { positiveInteger } from '../table-properties.js';
import { bindWhere } from '../file-pruning.js';
import type { DeltaTable } from '../table.js';
import type { DeltaSnapshot } from '../snapshot.js';
import { columnMappingMode, physicalName } from '../schema.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { writeDataFiles } from '../write-files.js';
import { stringMetrics } from './metrics.js';
import { liveRows, partitionMatches } from './remove-rows.js';

/**
 * Commit attempts before giving up (a transaction's default is 20): appends never conflict with
 * optimize, but on a busy table each attempt can lose the race to one, and the rewrite behind
 * the commit is too costly to throw away for that.
 */
const COMMIT_ATTEMPTS = 200;

/** Without `delta.targetFileSize` or an option: Delta Spark's OPTIMIZE default. */
export const DEFAULT_OPTIMIZE_TARGET_SIZE = 512 * 1024 * 1024;
/** A deletion vector deleting more than this share of a file's rows gets the file rewritten (Delta Spark's default). */
export const DEFAULT_MAX_DELETED_ROWS_RATIO = 0.05;

export interface OptimizePlanOptions {
  /** A condition on partition columns only: the partitions to optimize. */
  readonly where?: string;
  /** Bytes of the files to write; default: the option, else `delta.targetFileSize`, else 512 MiB. */
  readonly targetFileSize?: number;
  /** Files smaller than this are compacted; default: the target size. */
  readonly minFileSize?: number;
  readonly maxDeletedRowsRatio?: number;
  /** Z-order each selected partition by these columns. */
  readonly zorderBy?: readonly string[];
  /** The curve the rows are sorted along with zorderBy: Z-order (Morton, the default) or Hilbert. */
  readonly curve?: SortCurve;
}

export type SortCurve = 'zorder' | 'hilbert';

export interface PlannedBin {
  readonly index: number;
  readonly partition: Readonly<Record<string, string | null>>;
  /** The bin's files as the log has them (statistics left out). */
  readonly files: readonly AddFile[];
  readonly bytes: number;
}

export interface OptimizePlan {
  readonly kind: 'lake.delta.optimize-plan';
  readonly table: string;
  readonly version: number;
  readonly targetFileSize: number;
  readonly zorderBy: readonly string[];
  /** Absent in plans that sort along the Z-order curve. */
  readonly curve?: SortCurve;
  readonly where?: string;
  readonly bins: readonly PlannedBin[];
  readonly consideredFiles: number;
}

export interface BinResult {
  readonly kind: 'lake.delta.optimize-bin';
  readonly table: string;
  readonly version: number;
  readonly bin: number;
  readonly added: readonly AddFile[];
  readonly rows: number;
}

export interface OptimizeMetrics {
  readonly numBins: number;
  readonly numFilesRemoved: number;
  readonly numFilesAdded: number;
  readonly numBytesRemoved: number;
  readonly numBytesAdded: number;
  readonly numRows: number;
  readonly partitionsOptimized: number;
  readonly numDeletionVectorsRemoved: number;
  readonly consideredFiles: number;
  /** Bins whose commit lost to a conflicting writer (with partial progress; else the call fails). */
  readonly failedBins: number;
  readonly executionTimeMs: number;
}

export interface OptimizeResult {
  /** The versions committed (one, or one per bin with partial progress); empty when nothing needed doing. */
  readonly versions: readonly number[];
  readonly metrics: OptimizeMetrics;
}

export interface OptimizeRunOptions extends SqlWorkspaceOptions, TransactionOptions {
  /** Bins executed at once (default 1: DuckDB already uses every core for one bin). */
  readonly concurrency?: number;
  /** Commit each bin on its own: a conflict then loses only that bin. */
  readonly partialProgress?: boolean;
  /** After each bin is written: bins done, bins in all, bytes read so far, bytes in all. */
  readonly onProgress?: (done: number, total: number, bytesDone: number, bytesTotal: number) => void;
}

/** Step 1: which files go together. */
export async function planOptimize(table: DeltaTable, options: OptimizePlanOptions = {}): Promise<OptimizePlan> {
  const snapshot = await table.snapshot({ stats: options.maxDeletedRowsRatio !== 0 });
  const metadata = snapshot.metadata;
  const target = options.targetFileSize ?? positiveInteger(metadata.configuration['delta.targetFileSize'], DEFAULT_OPTIMIZE_TARGET_SIZE);
  const minSize = options.minFileSize ?? target;
  const ratio = options.maxDeletedRowsRatio ?? DEFAULT_MAX_DELETED_ROWS_RATIO;
  const zorderBy = options.zorderBy ?? [];
  if (options.curve !== undefined && zorderBy.length === 0) throw new UsageError(`a curve (${options.curve}) sorts by the columns of zorderBy: give them`);
  for (const column of zorderBy) {
    if (!snapshot.schema.fields.some((f) => f.name === column)) throw new UsageError(`cannot Z-order by ${column}: the table has no such column (${snapshot.schema.fields.map((f) => f.name).join(', ')})`);
    if (metadata.partitionColumns.includes(column)) throw new UsageError(`cannot Z-order by ${column}: it is a partition column (each partition holds one value of it)`);
  }
  let files = snapshot.files;
  if (options.where !== undefined) {
    const predicate = await bindWhere(snapshot, options.where);
    const others = boundColumns(predicate).filter((c) => c.path.length !== 1 || !metadata.partitionColumns.includes(c.path[0]!));
    if (others.length > 0) {
      throw new UsageError(`optimize --where may only use partition columns (${metadata.partitionColumns.join(', ') || 'the table has none'}); ${others.map((c) => c.path.join('.')).join(', ')} is not one`);
    }
    files = files.filter((file) => partitionMatches(snapshot, predicate, file));
  }
  const byPartition = new Map<string, AddFile[]>();
  for (const file of files) {
    const key = JSON.stringify(Object.entries(file.partitionValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    byPartition.set(key, [...(byPartition.get(key) ?? []), file]);
  }
  const needsPurge = (file: AddFile): boolean => {
    const deleted = file.deletionVector?.cardinality ?? 0;
    if (deleted === 0) return false;
    const live = liveRows(file);
    return live === undefined || deleted / (live + deleted) > ratio;
  };
  const bins: PlannedBin[] = [];
  const add = (group: AddFile[]): void => {
    bins.push({ index: bins.length, partition: group[0]!.partitionValues, files: group.map(withoutStats), bytes: group.reduce((n, f) => n + f.size, 0) });
  };
  for (const key of [...byPartition.keys()].sort()) {
    const partitionFiles = byPartition.get(key)!;
    if (zorderBy.length > 0) {
      add([...partitionFiles].sort((a, b) => (a.path < b.path ? -1 : 1)));
      continue;
    }
    const candidates = partitionFiles.filter((f) => f.size < minSize || needsPurge(f)).sort((a, b) => a.size - b.size || (a.path < b.path ? -1 : 1));
    let current: AddFile[] = [];
    let bytes = 0;
    const close = (): void => {
      if (current.length > 1 || (current.length === 1 && needsPurge(current[0]!))) add(current);
      current = [];
      bytes = 0;
    };
    for (const file of candidates) {
      if (current.length > 0 && bytes + file.size > target) close();
      current.push(file);
      bytes += file.size;
    }
    close();
  }
  return {
    kind: 'lake.delta.optimize-plan',
    table: formatLocation(table.location),
    version: snapshot.version,
    targetFileSize: target,
    zorderBy,
    ...(options.curve === 'hilbert' ? { curve: 'hilbert' } : {}),
    ...(options.where === undefined ? {} : { where: options.where }),
    bins,
    consideredFiles: files.length,
  };
}

/** Step 2: writes one bin's new files (nothing is committed). */
export async function executeBin(table: DeltaTable, plan: OptimizePlan, index: number, options: SqlWorkspaceOptions = {}): Promise<BinResult> {
  checkPlan(table, plan);
  const bin = plan.bins[index];
  if (bin === undefined || bin.index !== index) throw new UsageError(`the plan has no bin ${index} (it has ${plan.bins.length}, numbered from 0)`);
  // Z-order reads the bin's ranges from the files' statistics.
  const snapshot = await table.snapshot({ version: plan.version, stats: plan.zorderBy.length > 0 });
  const workspace = await SqlWorkspace.open(options);
  try {
    await registerDataFiles(workspace, snapshot, bin.files, '__lake_bin');
    const columns = snapshot.schema.fields.map((f) => sqlIdentifier(f.name)).join(', ');
    let query = `SELECT ${columns} FROM __lake_bin`;
    if (plan.zorderBy.length > 0) {
      const zcolumns = plan.zorderBy.map((name) => ({ name, type: snapshot.arrowSchema.fields.find((f) => f.name === name)!.type }));
      const bounds = (await rangesFromStats(workspace, snapshot, bin.files, zcolumns)) ?? (await rangesFromRows(workspace, zcolumns));
      const keyColumns = zcolumns.map((_, j) => `__lake_k${j}`);
      let keyed = `SELECT *, ${zcolumns.map((column, j) => `${columnKeySql(column, bounds[j]!, zcolumns.length)} AS ${keyColumns[j]}`).join(', ')} FROM __lake_bin`;
      if (plan.curve === 'hilbert') keyed = hilbertTransposeSql(keyed, keyColumns);
      query = `SELECT ${columns} FROM (${keyed}) ORDER BY ${mortonKeySql(keyColumns)}`;
    }
    const written = await writeDataFiles(table.store, workspace, query, {
      metadata: snapshot.metadata,
      protocol: snapshot.protocol,
      dataChange: false,
      targetFileSize: plan.targetFileSize,
    });
    return { kind: 'lake.delta.optimize-bin', table: plan.table, version: plan.version, bin: index, added: written.files, rows: written.rows };
  } finally {
    await workspace.close();
  }
}

type OrderRange = { min: number; max: number } | null;

/**
 * Each Z-order column's range of order numbers (engine/zorder.ts) over the bin's files, from the
 * minimum and maximum values in their statistics: no pass over the data. Undefined when a file
 * lacks them (no statistics, or a NaN or all-NULL column). The statistics cover rows a deletion
 * vector hides too; a range a little wide costs a little clustering, never correctness (keys
 * are clamped to the range).
 */
async function rangesFromStats(workspace: SqlWorkspace, snapshot: DeltaSnapshot, planned: readonly AddFile[], zcolumns: readonly ZOrderColumn[]): Promise<OrderRange[] | undefined> {
  const live = new Map(snapshot.files.map((f) => [f.path, f]));
  const mode = columnMappingMode(snapshot.metadata);
  const values: string[][] = zcolumns.map(() => []);
  for (const planFile of planned) {
    const stats = parseStatsText(live.get(planFile.path)?.stats);
    if (stats === undefined) return undefined;
    for (const [j, column] of zcolumns.entries()) {
      const name = physicalName(snapshot.schema.fields.find((f) => f.name === column.name)!, mode);
      const min = stats.minValues?.[name];
      const max = stats.maxValues?.[name];
      if (min === undefined || min === null || max === undefined || max === null || typeof min === 'object' || typeof max === 'object') return undefined;
      values[j]!.push(sqlString(String(min)), sqlString(String(max)));
    }
  }
  const ranges = zcolumns.map((column, j) => {
    const typed = `SELECT CAST(v AS ${duckdbType(column.type)}) AS ${sqlIdentifier(column.name)} FROM (VALUES ${values[j]!.map((v) => `(${v})`).join(', ')}) t(v)`;
    return `(SELECT ${rangeText('o')} FROM (SELECT ${orderNumberSql(column)} AS o FROM (${typed})))`;
  });
  return parseRanges(String(await workspace.scalar(`SELECT ${ranges.join(` || ';' || `)}`)));
}

/** The ranges by a pass over the bin's rows (one query: a workspace runs one statement at a time). */
async function rangesFromRows(workspace: SqlWorkspace, zcolumns: readonly ZOrderColumn[]): Promise<OrderRange[]> {
  const ranges = zcolumns.map((_, j) => rangeText(`v${j}`)).join(` || ';' || `);
  return parseRanges(String(await workspace.scalar(`SELECT ${ranges} FROM (SELECT ${zcolumns.map((c, j) => `${orderNumberSql(c)} AS v${j}`).join(', ')} FROM __lake_bin)`)));
}

/** `min,max` of a column as text ('' when all NULL): ranges travel as one string. */
function rangeText(column: string): string {
  return `coalesce(min(${column})::VARCHAR || ',' || max(${column})::VARCHAR, '')`;
}

function parseRanges(text: string): OrderRange[] {
  return text.split(';').map((range) => {
    if (range === '') return null;
    const [min, max] = range.split(',').map(Number) as [number, number];
    return { min, max };
  });
}

function parseStatsText(text: string | null | undefined): { minValues?: Record<string, unknown>; maxValues?: Record<string, unknown> } | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as { minValues?: Record<string, unknown>; maxValues?: Record<string, unknown> };
  } catch {
    return undefined; // unreadable statistics: read the rows instead
  }
}

/**
 * Step 3: commits executed bins (all in one transaction, or one each with `partialProgress`).
 * A conflict fails the call, or with partial progress only the bins it concerns.
 */
export async function commitOptimize(
  table: DeltaTable,
  plan: OptimizePlan,
  results: readonly BinResult[],
  options: TransactionOptions & { readonly partialProgress?: boolean; readonly started?: number } = {},
): Promise<OptimizeResult> {
  checkPlan(table, plan);
  const clock = options.clock ?? Date.now;
  const started = options.started ?? clock();
  const seen = new Set<number>();
  for (const result of results) {
    if (result.kind !== 'lake.delta.optimize-bin' || result.table !== plan.table || result.version !== plan.version || plan.bins[result.bin] === undefined) {
      throw new UsageError(`a bin result does not belong to this plan (plan: ${plan.table} at version ${plan.version}; result: ${result.table} at version ${result.version}, bin ${result.bin})`);
    }
    if (seen.has(result.bin)) throw new UsageError(`bin ${result.bin} is given twice`);
    seen.add(result.bin);
  }
  const snapshot = await table.snapshot({ version: plan.version, stats: false });
  const groups = options.partialProgress === true ? results.map((r) => [r]) : results.length === 0 ? [] : [results];
  const versions: number[] = [];
  const committed: BinResult[] = [];
  let failedBins = 0;
  for (const group of groups) {
    const removed = group.flatMap((r) => plan.bins[r.bin]!.files);
    const added = group.flatMap((r) => r.added);
    const txn = new DeltaTransaction(snapshot, { maxAttempts: COMMIT_ATTEMPTS, ...options, isolation: 'WriteSerializable' });
    txn.read(removed);
    txn.removeFiles(removed, { dataChange: false });
    txn.addFiles(added);
    try {
      const sizes = added.map((f) => f.size).sort((a, b) => a - b);
      const { version } = await txn.commit({
        operation: 'OPTIMIZE',
        operationParameters: {
          predicate: JSON.stringify(plan.where === undefined ? [] : [plan.where]),
          zOrderBy: JSON.stringify(plan.zorderBy),
          ...(plan.curve === undefined ? {} : { curve: plan.curve }),
        },
        operationMetrics: stringMetrics({
          numRemovedFiles: removed.length,
          numRemovedBytes: removed.reduce((n, f) => n + f.size, 0),
          numAddedFiles: added.length,
          numAddedBytes: added.reduce((n, f) => n + f.size, 0),
          minFileSize: sizes[0] ?? 0,
          p50FileSize: sizes[sizes.length >> 1] ?? 0,
          maxFileSize: sizes.at(-1) ?? 0,
          numDeletionVectorsRemoved: removed.filter((f) => f.deletionVector != null).length,
        }),
      });
      versions.push(version);
      committed.push(...group);
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError) || options.partialProgress !== true) throw error;
      failedBins += group.length;
    }
  }
  const removedFiles = committed.flatMap((r) => plan.bins[r.bin]!.files);
  const addedFiles = committed.flatMap((r) => r.added);
  return {
    versions,
    metrics: {
      numBins: plan.bins.length,
      numFilesRemoved: removedFiles.length,
      numFilesAdded: addedFiles.length,
      numBytesRemoved: removedFiles.reduce((n, f) => n + f.size, 0),
      numBytesAdded: addedFiles.reduce((n, f) => n + f.size, 0),
      numRows: committed.reduce((n, r) => n + r.rows, 0),
      partitionsOptimized: new Set(committed.map((r) => JSON.stringify(plan.bins[r.bin]!.partition))).size,
      numDeletionVectorsRemoved: removedFiles.filter((f) => f.deletionVector != null).length,
      consideredFiles: plan.consideredFiles,
      failedBins,
      executionTimeMs: clock() - started,
    },
  };
}

/** All three steps in one process: the same code path a fanned-out run takes. */
export async function optimize(table: DeltaTable, options: OptimizePlanOptions & OptimizeRunOptions = {}): Promise<OptimizeResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const plan = await planOptimize(table, options);
  const results: BinResult[] = new Array<BinResult>(plan.bins.length);
  const total = plan.bins.reduce((n, b) => n + b.bytes, 0);
  let next = 0;
  let done = 0;
  let bytesDone = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.bins.length) {
      const index = next++;
      results[index] = await executeBin(table, plan, index, options);
      done++;
      bytesDone += plan.bins[index]!.bytes;
      options.onProgress?.(done, plan.bins.length, bytesDone, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, plan.bins.length)) }, worker));
  return commitOptimize(table, plan, results, { ...options, started });
}

function checkPlan(table: DeltaTable, plan: OptimizePlan): void {
  if (plan.kind !== 'lake.delta.optimize-plan' || !Array.isArray(plan.bins)) throw new UsageError('this is not an optimize plan (make one with lake optimize --plan-only --json)');
  const here = formatLocation(table.location);
  if (plan.table !== here) throw new LakeError('PLAN_MISMATCH', `the plan is for ${plan.table}, not ${here}`);
}

function withoutStats(file: AddFile): AddFile {
  const { stats: _stats, ...rest } = file;
  return rest as AddFile;
}

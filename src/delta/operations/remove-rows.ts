/**
 * Removing the rows that match a SQL condition from a snapshot's files, copy-on-write: the part
 * shared by DELETE and by overwrite with `replaceWhere`.
 *
 * - Files that pruning (partition values, statistics) proves hold no matching row are untouched.
 * - A condition on partition columns alone is decided per file exactly: the file goes whole, or
 *   stays whole, without reading it.
 * - Other candidate files are read (deletion vectors applied); a file with no matching row stays;
 *   one whose every row matches is removed; otherwise it is removed and its other rows (those for
 *   which the condition is false or null, as SQL's DELETE keeps them) are written to new files.
 */
import { Field, Int64, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import { boundColumns, type BoundPredicate } from '../../engine/predicate-bind.js';
import { evaluatePredicate, TRUE } from '../../engine/predicate-eval.js';
import { LakeError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { AddFile, Metadata, Protocol } from '../actions.js';
import { writeDeletionVector } from '../deletion-vector-writer.js';
import { writerFeatures } from '../protocol-support.js';
import { fileDeletedRows } from '../scan.js';
import { bindWhere, filePruner } from '../file-pruning.js';
import { parsePartitionValue, partitionData } from '../partition-values.js';
import { columnMappingMode, isPrimitiveType, physicalName, toArrowType } from '../schema.js';
import type { DeltaSnapshot } from '../snapshot.js';
import type { DeltaTransaction } from '../transaction.js';
import { writeDataFiles } from '../write-files.js';
import { SqlWorkspace } from '../../engine/sql-workspace.js';

export interface RemovedRows {
  /** Files the condition may touch (what the transaction read). */
  readonly candidates: readonly AddFile[];
  readonly removedFiles: readonly AddFile[];
  readonly addedFiles: readonly AddFile[];
  readonly deletedRows: number;
  readonly copiedRows: number;
}

/** Stages in `txn` the removal of the rows of `txn.snapshot` matching `where`. */
export async function removeRowsMatching(store: ObjectStore, txn: DeltaTransaction, where: string, clock: () => number): Promise<RemovedRows> {
  const snapshot = txn.snapshot;
  const predicate = await bindForPruning(snapshot, where);
  const candidates = predicate === undefined ? snapshot.files : snapshot.files.filter(filePruner(snapshot, predicate));
  const partitionColumns = new Set(snapshot.metadata.partitionColumns);
  const onPartitionsOnly = predicate !== undefined && boundColumns(predicate).every((column) => column.path.length === 1 && partitionColumns.has(column.path[0]!));
  const useDeletionVectors = deletionVectorsEnabled(txn.metadata, txn.protocol);
  const removedFiles: AddFile[] = [];
  const addedFiles: AddFile[] = [];
  let deletedRows = 0;
  let copiedRows = 0;
  // Opened for the first file whose rows are read (deletes by partition need none).
  let workspace: SqlWorkspace | undefined;
  try {
    for (const file of candidates) {
      if (onPartitionsOnly) {
        if (partitionMatches(snapshot, predicate, file)) {
          removedFiles.push(file);
          deletedRows += liveRows(file) ?? 0;
        }
        continue;
      }
      workspace ??= await SqlWorkspace.open();
      if (useDeletionVectors) {
        const result = await deleteWithVector(store, snapshot, workspace, where, file);
        if (result === undefined) continue;
        removedFiles.push(file);
        deletedRows += result.deleted;
        if (result.replacement !== undefined) addedFiles.push(result.replacement);
        continue;
      }
      // The file's live rows in DuckDB; the condition decides there, SQL's way: a row goes when
      // it is TRUE, and stays when FALSE or NULL.
      await workspace.register(FILE_ROWS, snapshot.scan({ files: [file] }), snapshot.arrowSchema);
      const matched = Number(await workspace.scalar(`SELECT count(*) FROM ${FILE_ROWS} WHERE (${where}) IS TRUE`));
      if (matched === 0) continue;
      removedFiles.push(file);
      deletedRows += matched;
      const kept = await writeDataFiles(store, workspace, `SELECT * FROM ${FILE_ROWS} WHERE (${where}) IS NOT TRUE`, { metadata: txn.metadata, protocol: txn.protocol, clock });
      copiedRows += kept.rows;
      addedFiles.push(...kept.files);
    }
  } catch (error) {
    if (error instanceof LakeError && error.code === 'SQL') throw new LakeError('SQL', `delete where ${where}: ${error.message}`, { cause: error });
    throw error;
  } finally {
    await workspace?.close();
  }
  txn.read(candidates, where);
  txn.removeFiles(removedFiles);
  txn.addFiles(addedFiles);
  return { candidates, removedFiles, addedFiles, deletedRows, copiedRows };
}

/** The rows of the file being decided, in a workspace. */
const FILE_ROWS = '__lake_file_rows';

/**
 * The condition bound for pruning files by partition values and statistics; undefined when the
 * engine cannot judge it (an expression it does not model, such as `id % 7 = 3`): then every file
 * is a candidate, and DuckDB decides each row.
 */
export async function bindForPruning(snapshot: DeltaSnapshot, where: string): Promise<BoundPredicate | undefined> {
  try {
    return await bindWhere(snapshot, where);
  } catch (error) {
    if (error instanceof LakeError && error.code === 'UNSUPPORTED_PREDICATE') return undefined;
    throw error;
  }
}

/** `delta.enableDeletionVectors` on a table whose protocol has the deletionVectors feature. */
export function deletionVectorsEnabled(metadata: Metadata, protocol: Protocol): boolean {
  return metadata.configuration['delta.enableDeletionVectors'] === 'true' && writerFeatures(protocol).has('deletionVectors');
}

/**
 * Deletes a file's matching rows by a deletion vector: the file's physical rows are read without
 * its current vector, rows it already deletes are skipped, and the union is written as a new
 * vector. Undefined when no live row matches; no replacement when every live row does (the file
 * is removed). The replacement keeps the file's statistics, marked as no longer tight.
 */
async function deleteWithVector(
  store: ObjectStore,
  snapshot: DeltaSnapshot,
  workspace: SqlWorkspace,
  where: string,
  file: AddFile,
): Promise<{ deleted: number; replacement?: AddFile } | undefined> {
  const already = await fileDeletedRows(snapshot, file);
  await workspace.register(FILE_ROWS, withRowNumbers(snapshot.scan({ files: [{ ...file, deletionVector: null }] })));
  const matches: number[] = [];
  for await (const batch of workspace.query(`SELECT ${ROW} FROM ${FILE_ROWS} WHERE (${where}) IS TRUE ORDER BY ${ROW}`)) {
    for (const row of batch.getChildAt(0)!.toArray() as BigInt64Array) matches.push(Number(row));
  }
  const deleted = already === undefined ? matches : matches.filter((row) => !already.has(row));
  if (deleted.length === 0) return undefined;
  const physical = Number(await workspace.scalar(`SELECT count(*) FROM ${FILE_ROWS}`));
  const live = physical - (already?.cardinality ?? 0);
  if (deleted.length === live) return { deleted: deleted.length };
  const union = already === undefined ? deleted : mergeSorted([...already.sorted()], deleted);
  const deletionVector = await writeDeletionVector(store, union);
  return { deleted: deleted.length, replacement: { ...file, dataChange: true, deletionVector, ...looseStats(file.stats) } };
}

const ROW = '__lake_row';

/** The batches with each row's position in the file (0, 1, …) as a last column. */
async function* withRowNumbers(batches: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
  let next = 0;
  for await (const batch of batches) {
    const positions = BigInt64Array.from({ length: batch.numRows }, (_, i) => BigInt(next + i));
    next += batch.numRows;
    const field = new Field(ROW, new Int64(), false);
    const schema = new Schema([...batch.schema.fields, field]);
    const children = [...batch.data.children, makeData({ type: new Int64(), length: batch.numRows, data: positions })];
    yield new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
  }
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** The stats text with `"tightBounds":false` (edited as text: numbers keep their exact spelling). */
function looseStats(stats: string | null | undefined): { stats?: string } {
  if (typeof stats !== 'string' || !stats.trimStart().startsWith('{')) return {};
  const withoutTight = stats.replace(/,\s*"tightBounds"\s*:\s*(true|false)/, '').replace(/"tightBounds"\s*:\s*(true|false)\s*,?/, '');
  const body = withoutTight.trim().slice(1).trimStart();
  return { stats: `{"tightBounds":false${body.startsWith('}') ? '' : ','}${body}` };
}

/** Whether the condition (on partition columns only) is true for the file's partition values. */
export function partitionMatches(snapshot: DeltaSnapshot, predicate: BoundPredicate, file: AddFile): boolean {
  const mode = columnMappingMode(snapshot.metadata, snapshot.protocol);
  const fields = snapshot.schema.fields.filter((f) => snapshot.metadata.partitionColumns.includes(f.name));
  const schema = new Schema(fields.map((f) => new Field(f.name, toArrowType(f.type), true)));
  const children = fields.map((field) => {
    if (!isPrimitiveType(field.type)) throw new LakeError('CORRUPT_LOG', `partition column ${field.name} has a nested type`);
    const serialized = file.partitionValues[physicalName(field, mode)] ?? file.partitionValues[field.name] ?? null;
    return partitionData(toArrowType(field.type), parsePartitionValue(serialized, field.type, { column: field.name }), 1);
  });
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }));
  return evaluatePredicate(predicate, batch)[0] === TRUE;
}

/** numRecords from the file's statistics minus deleted rows; undefined without statistics. */
export function liveRows(file: AddFile): number | undefined {
  if (typeof file.stats !== 'string') return undefined;
  try {
    const numRecords = (JSON.parse(file.stats) as { numRecords?: unknown }).numRecords;
    if (typeof numRecords !== 'number') return undefined;
    return numRecords - (file.deletionVector?.cardinality ?? 0);
  } catch {
    return undefined;
  }
}

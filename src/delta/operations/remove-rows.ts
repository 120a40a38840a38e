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
import { Field, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
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
import { writeBatches } from '../write-files.js';
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
  const predicate = await bindWhere(snapshot, where);
  const candidates = snapshot.files.filter(filePruner(snapshot, predicate));
  const partitionColumns = new Set(snapshot.metadata.partitionColumns);
  const onPartitionsOnly = boundColumns(predicate).every((column) => column.path.length === 1 && partitionColumns.has(column.path[0]!));
  const useDeletionVectors = deletionVectorsEnabled(txn.metadata, txn.protocol);
  const removedFiles: AddFile[] = [];
  const addedFiles: AddFile[] = [];
  let deletedRows = 0;
  let copiedRows = 0;
  // Opened for the first file that needs rewriting (deletes by partition or by DV need none).
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
      if (useDeletionVectors) {
        const result = await deleteWithVector(store, snapshot, predicate, file);
        if (result === undefined) continue;
        removedFiles.push(file);
        deletedRows += result.deleted;
        if (result.replacement !== undefined) addedFiles.push(result.replacement);
        continue;
      }
      const kept: RecordBatch[] = [];
      let matched = 0;
      for await (const batch of snapshot.scan({ files: [file] })) {
        const values = evaluatePredicate(predicate, batch);
        let start = -1;
        for (let row = 0; row <= batch.numRows; row++) {
          const keep = row < batch.numRows && values[row] !== TRUE;
          if (row < batch.numRows && !keep) matched++;
          if (keep && start === -1) start = row;
          if (!keep && start !== -1) {
            kept.push(batch.slice(start, row));
            start = -1;
          }
        }
      }
      if (matched === 0) continue;
      removedFiles.push(file);
      deletedRows += matched;
      const keptRows = kept.reduce((n, b) => n + b.numRows, 0);
      if (keptRows > 0) {
        copiedRows += keptRows;
        workspace ??= await SqlWorkspace.open();
        addedFiles.push(...(await writeBatches(store, workspace, kept, { metadata: txn.metadata, protocol: txn.protocol, clock })).files);
      }
    }
  } finally {
    await workspace?.close();
  }
  txn.read(candidates, where);
  txn.removeFiles(removedFiles);
  txn.addFiles(addedFiles);
  return { candidates, removedFiles, addedFiles, deletedRows, copiedRows };
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
  predicate: BoundPredicate,
  file: AddFile,
): Promise<{ deleted: number; replacement?: AddFile } | undefined> {
  const already = await fileDeletedRows(snapshot, file);
  const deleted: number[] = [];
  let row = 0;
  let live = 0;
  for await (const batch of snapshot.scan({ files: [{ ...file, deletionVector: null }] })) {
    const values = evaluatePredicate(predicate, batch);
    for (let i = 0; i < batch.numRows; i++, row++) {
      if (already?.has(row) === true) continue;
      live++;
      if (values[i] === TRUE) deleted.push(row);
    }
  }
  if (deleted.length === 0) return undefined;
  if (deleted.length === live) return { deleted: deleted.length };
  const union = already === undefined ? deleted : mergeSorted([...already.sorted()], deleted);
  const deletionVector = await writeDeletionVector(store, union);
  return { deleted: deleted.length, replacement: { ...file, dataChange: true, deletionVector, ...looseStats(file.stats) } };
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

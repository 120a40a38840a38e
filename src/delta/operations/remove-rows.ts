/**
 * Removing the rows that match a SQL condition from a snapshot's files: the part shared by DELETE
 * and by overwrite with `replaceWhere`.
 *
 * - Files that pruning (partition values, statistics) proves hold no matching row are untouched;
 *   a condition the engine cannot judge (`id % 7 = 3`) makes every file a candidate.
 * - A condition on partition columns alone is decided per file exactly: the file goes whole, or
 *   stays whole, without reading it.
 * - Other candidates are read in place by DuckDB (file-relation.ts; deletion vectors applied),
 *   which decides each row: a file with no matching row stays; one whose every live row matches
 *   is removed; otherwise it is removed and its other rows (those for which the condition is
 *   false or null, as SQL's DELETE keeps them) are written to new files — or, on a table with
 *   deletion vectors enabled, it is re-added with a vector that also deletes the matching rows.
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
import { writeDataFiles } from '../write-files.js';
import { FILE_COLUMN, registerDataFiles, ROW_COLUMN } from '../file-relation.js';
import { sqlIdentifier } from '../../engine/duckdb-session.js';
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
  const removedFiles: AddFile[] = [];
  const addedFiles: AddFile[] = [];
  let deletedRows = 0;
  let copiedRows = 0;
  if (onPartitionsOnly) {
    for (const file of candidates) {
      if (!partitionMatches(snapshot, predicate, file)) continue;
      removedFiles.push(file);
      deletedRows += liveRows(file) ?? 0;
    }
  } else if (candidates.length > 0) {
    // The candidates' live rows, read in place; the condition decides in DuckDB, SQL's way: a row
    // goes when it is TRUE, and stays when FALSE or NULL.
    const workspace = await SqlWorkspace.open();
    try {
      await registerDataFiles(workspace, snapshot, candidates, TARGET);
      const matches = await matchesPerFile(workspace, where);
      if (deletionVectorsEnabled(txn.metadata, txn.protocol)) {
        const rows = await matchedRows(workspace, where, [...matches.keys()].filter((i) => matches.get(i)!.matched < matches.get(i)!.live));
        for (const [index, { matched, live }] of matches) {
          const file = candidates[index]!;
          removedFiles.push(file);
          deletedRows += matched;
          if (matched < live) addedFiles.push(await withVector(store, snapshot, file, rows.get(index)!));
        }
      } else if (matches.size > 0) {
        const rewritten = [...matches.keys()];
        for (const index of rewritten) {
          removedFiles.push(candidates[index]!);
          deletedRows += matches.get(index)!.matched;
        }
        const columns = snapshot.schema.fields.map((f) => sqlIdentifier(f.name)).join(', ');
        const kept = await writeDataFiles(store, workspace, `SELECT ${columns} FROM ${TARGET} WHERE ${FILE_COLUMN} IN (${rewritten.join(', ')}) AND (${where}) IS NOT TRUE`, {
          metadata: txn.metadata,
          protocol: txn.protocol,
          clock,
        });
        copiedRows += kept.rows;
        addedFiles.push(...kept.files);
      }
    } catch (error) {
      if (error instanceof LakeError && error.code === 'SQL') throw new LakeError('SQL', `delete where ${where}: ${error.message}`, { cause: error });
      throw error;
    } finally {
      await workspace.close();
    }
  }
  txn.read(candidates, where);
  txn.removeFiles(removedFiles);
  txn.addFiles(addedFiles);
  return { candidates, removedFiles, addedFiles, deletedRows, copiedRows };
}

/** The candidates' rows, as registerDataFiles makes them. */
const TARGET = '__lake_target';

/** Per file index (FILE_COLUMN of `relation`) with a matching row: rows matched, and live rows in all. */
export async function matchesPerFile(workspace: SqlWorkspace, where: string, relation = TARGET): Promise<Map<number, { matched: number; live: number }>> {
  const out = new Map<number, { matched: number; live: number }>();
  const sql = `SELECT ${FILE_COLUMN} AS f, count(*) FILTER (WHERE (${where}) IS TRUE) AS matched, count(*) AS live FROM ${relation} GROUP BY 1 HAVING matched > 0`;
  for await (const batch of workspace.query(sql)) {
    const [f, matched, live] = [0, 1, 2].map((i) => batch.getChildAt(i)!);
    for (let i = 0; i < batch.numRows; i++) out.set(Number(f!.get(i)), { matched: Number(matched!.get(i)), live: Number(live!.get(i)) });
  }
  return out;
}

/** The physical positions of matching rows in these candidates, ascending per file. */
async function matchedRows(workspace: SqlWorkspace, where: string, files: readonly number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>(files.map((f) => [f, []]));
  if (files.length === 0) return out;
  const sql = `SELECT ${FILE_COLUMN}, ${ROW_COLUMN} FROM ${TARGET} WHERE ${FILE_COLUMN} IN (${files.join(', ')}) AND (${where}) IS TRUE ORDER BY 1, 2`;
  for await (const batch of workspace.query(sql)) {
    const [f, row] = [batch.getChildAt(0)!, batch.getChildAt(1)!];
    for (let i = 0; i < batch.numRows; i++) out.get(Number(f.get(i)))!.push(Number(row.get(i)));
  }
  return out;
}

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
 * The file again with a deletion vector that also deletes `rows` (physical positions of live rows);
 * it keeps the file's statistics, marked as no longer tight.
 */
async function withVector(store: ObjectStore, snapshot: DeltaSnapshot, file: AddFile, rows: readonly number[]): Promise<AddFile> {
  const already = await fileDeletedRows(snapshot, file);
  const union = already === undefined ? [...rows] : mergeSorted([...already.sorted()], rows);
  const deletionVector = await writeDeletionVector(store, union);
  return { ...file, dataChange: true, deletionVector, ...looseStats(file.stats) };
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

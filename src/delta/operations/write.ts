/**
 * WRITE: appending rows, or overwriting the table (whole, by `replaceWhere`, or dynamically by
 * the partitions present in the new data), in one transaction. Data files are written first
 * (write-files.ts); the commit makes them visible at once, or not at all.
 *
 * - append: a blind append; concurrent appends never conflict with it.
 * - overwrite: every live file is removed (the transaction read the whole table).
 * - overwrite + replaceWhere: the rows matching the condition are removed (copy-on-write,
 *   remove-rows.ts) and the new rows added; a new row outside the condition is an error and
 *   nothing is committed, as in Delta Spark.
 * - overwrite + partitionOverwrite 'dynamic': the live files of the partitions the new rows fall
 *   in are removed; other partitions stay.
 * - schemaMode 'merge': columns of the data the table lacks are added (nullable, at the end;
 *   with column mapping they get the next ids). 'overwrite' (with a plain overwrite only): the
 *   table's schema becomes the data's.
 */
import { RecordBatch, Table, type Schema } from 'apache-arrow';
import { inputFilesSql, isInputFiles, type InputFiles } from '../../engine/input-files.js';
import { SqlWorkspace, type SqlWorkspaceOptions } from '../../engine/sql-workspace.js';
import { LakeError, UsageError } from '../../errors.js';
import type { AddFile, Metadata } from '../actions.js';
import { fromArrowSchema, fromArrowType, parseSchema, schemaToString, type StructField } from '../schema.js';
import type { DeltaTable } from '../table.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { writeBatches, writeDataFiles, type WriteFilesOptions, type WrittenFiles } from '../write-files.js';
import { assignColumnMapping } from './create.js';
import { stringMetrics } from './metrics.js';
import { removeRowsMatching } from './remove-rows.js';

/** Arrow data, or local files that DuckDB reads directly (their columns are cast to the table's types by name). */
export type WriteInput = Table | RecordBatch | Iterable<RecordBatch> | AsyncIterable<RecordBatch> | InputFiles;

export interface WriteOptions extends TransactionOptions, SqlWorkspaceOptions {
  /** The DuckDB workspace to write with (default: one of its own, closed at the end). */
  readonly workspace?: SqlWorkspace;
  readonly mode?: 'append' | 'overwrite';
  /** With overwrite: replace only the rows matching this SQL condition. */
  readonly replaceWhere?: string;
  /** With overwrite: 'dynamic' replaces only the partitions the new rows fall in. Default 'static'. */
  readonly partitionOverwrite?: 'static' | 'dynamic';
  readonly schemaMode?: 'merge' | 'overwrite';
  /** Records `txn` (appId, version) in the commit: idempotent writes from one application. */
  readonly appTransaction?: { readonly appId: string; readonly version: number };
  readonly targetFileSize?: number;
  /** Called after each data file is stored (for progress reports). */
  readonly onFile?: WriteFilesOptions['onFile'];
}

export interface WriteMetrics {
  readonly numFiles: number;
  readonly numOutputRows: number;
  readonly numOutputBytes: number;
  readonly numRemovedFiles: number;
  readonly numDeletedRows: number;
  readonly numCopiedRows: number;
  readonly executionTimeMs: number;
}

export interface WriteResult {
  readonly version: number;
  readonly metrics: WriteMetrics;
}

export async function writeTable(table: DeltaTable, input: WriteInput, options: WriteOptions = {}): Promise<WriteResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const mode = options.mode ?? 'append';
  if (mode === 'append' && (options.replaceWhere !== undefined || options.partitionOverwrite !== undefined)) {
    throw new UsageError('replaceWhere and partitionOverwrite apply to overwrites: use mode overwrite');
  }
  if (options.replaceWhere !== undefined && options.partitionOverwrite === 'dynamic') {
    throw new UsageError('give replaceWhere or a dynamic partition overwrite, not both');
  }
  if (options.schemaMode === 'overwrite' && (mode !== 'overwrite' || options.replaceWhere !== undefined || options.partitionOverwrite === 'dynamic')) {
    throw new UsageError("schemaMode 'overwrite' needs a whole-table overwrite");
  }
  const snapshot = await table.snapshot();
  const txn = new DeltaTransaction(snapshot, options);
  const workspace = options.workspace ?? (await SqlWorkspace.open(options));
  let written: WrittenFiles;
  let metadata: Metadata;
  try {
    const write = (metadata_: Metadata): WriteFilesOptions => ({
      metadata: metadata_,
      protocol: txn.protocol,
      clock,
      ...(options.targetFileSize === undefined ? {} : { targetFileSize: options.targetFileSize }),
      ...(options.onFile === undefined ? {} : { onFile: options.onFile }),
      ...(options.replaceWhere === undefined
        ? {}
        : {
            require: {
              sql: options.replaceWhere,
              code: 'REPLACE_WHERE_MISMATCH',
              message: `of the new data does not satisfy replaceWhere (${options.replaceWhere}); nothing was committed: filter the data or widen the condition`,
            },
          }),
    });
    if (isInputFiles(input)) {
      const relation = inputFilesSql(input);
      metadata = evolvedMetadata(snapshot.metadata, options.schemaMode === undefined ? undefined : await workspace.arrowSchema(relation), options.schemaMode);
      written = await writeDataFiles(table.store, workspace, relation, { ...write(metadata), cast: 'convert' });
    } else {
      const { schema, batches } = await peekSchema(input);
      metadata = evolvedMetadata(snapshot.metadata, schema, options.schemaMode);
      written = await writeBatches(table.store, workspace, batches, { ...write(metadata), ...(schema === undefined ? {} : { schema }) });
    }
  } finally {
    if (options.workspace === undefined) await workspace.close();
  }
  if (metadata !== snapshot.metadata) txn.setMetadata(metadata);
  const added = written.files;

  let removedFiles: readonly AddFile[] = [];
  let deletedRows = 0;
  let copiedRows = 0;
  if (mode === 'overwrite') {
    if (options.replaceWhere !== undefined) {
      const removed = await removeRowsMatching(table.store, txn, options.replaceWhere, clock);
      ({ removedFiles, deletedRows, copiedRows } = removed);
    } else if (options.partitionOverwrite === 'dynamic') {
      const written = new Set(added.map((file) => partitionKey(file)));
      removedFiles = snapshot.files.filter((file) => written.has(partitionKey(file)));
      txn.read(removedFiles);
      txn.removeFiles(removedFiles);
    } else {
      txn.readWholeTable();
      removedFiles = snapshot.files;
      txn.removeFiles(removedFiles);
    }
  }
  txn.addFiles(added);
  if (options.appTransaction !== undefined) txn.setAppTransaction(options.appTransaction.appId, options.appTransaction.version);
  const metrics: WriteMetrics = {
    numFiles: added.length,
    numOutputRows: written.rows,
    numOutputBytes: added.reduce((n, f) => n + f.size, 0),
    numRemovedFiles: removedFiles.length,
    numDeletedRows: deletedRows,
    numCopiedRows: copiedRows,
    executionTimeMs: clock() - started,
  };
  const { version } = await txn.commit({
    operation: 'WRITE',
    operationParameters: {
      mode: mode === 'append' ? 'Append' : 'Overwrite',
      partitionBy: JSON.stringify(metadata.partitionColumns),
      ...(options.replaceWhere === undefined ? {} : { predicate: JSON.stringify([options.replaceWhere]) }),
      ...(options.partitionOverwrite === 'dynamic' ? { partitionOverwriteMode: 'DYNAMIC' } : {}),
    },
    operationMetrics: stringMetrics(metrics),
  });
  return { version, metrics };
}

/** The input's Arrow schema (from its first batch; undefined without batches) and all of its batches. */
async function peekSchema(input: Exclude<WriteInput, InputFiles>): Promise<{ schema: Schema | undefined; batches: AsyncIterable<RecordBatch> }> {
  if (input instanceof Table) return { schema: input.schema, batches: toAsync(input.batches) };
  if (input instanceof RecordBatch) return { schema: input.schema, batches: toAsync([input]) };
  const iterator = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : toAsync(input)[Symbol.asyncIterator]();
  const first = await iterator.next();
  // No batches at all: no rows, and no columns to evolve the schema with.
  if (first.done === true) return { schema: undefined, batches: toAsync([]) };
  const firstBatch = first.value;
  async function* all(): AsyncIterable<RecordBatch> {
    yield firstBatch;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { schema: firstBatch.schema, batches: all() };
}

async function* toAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  yield* items;
}

/** The table metadata after schema evolution (the same object when nothing changes). */
export function evolvedMetadata(metadata: Metadata, data: Schema | undefined, schemaMode: WriteOptions['schemaMode']): Metadata {
  if (schemaMode === undefined || data === undefined) return metadata;
  const mappingMode = metadata.configuration['delta.columnMapping.mode']?.toLowerCase();
  const mapped = mappingMode === 'name' || mappingMode === 'id';
  const current = parseSchema(metadata.schemaString);
  if (schemaMode === 'overwrite') {
    let schema = fromArrowSchema(data);
    const configuration = { ...metadata.configuration };
    if (mapped) {
      const assigned = assignColumnMapping(schema, Number(metadata.configuration['delta.columnMapping.maxColumnId'] ?? 0) + 1);
      schema = assigned.schema;
      configuration['delta.columnMapping.maxColumnId'] = String(assigned.maxColumnId);
    }
    const missing = metadata.partitionColumns.filter((c) => !schema.fields.some((f) => f.name === c));
    if (missing.length > 0) throw new LakeError('SCHEMA_MISMATCH', `the new schema lacks the partition column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    return { ...metadata, schemaString: schemaToString(schema), configuration };
  }
  const added: StructField[] = data.fields
    .filter((field) => !current.fields.some((f) => f.name === field.name))
    .map((field) => ({ name: field.name, type: fromArrowType(field.type, field.name), nullable: true, metadata: {} }));
  if (added.length === 0) return metadata;
  let newFields = added;
  const configuration = { ...metadata.configuration };
  if (mapped) {
    const assigned = assignColumnMapping({ type: 'struct', fields: added }, Number(metadata.configuration['delta.columnMapping.maxColumnId'] ?? 0) + 1);
    newFields = [...assigned.schema.fields];
    configuration['delta.columnMapping.maxColumnId'] = String(assigned.maxColumnId);
  }
  return { ...metadata, schemaString: schemaToString({ ...current, fields: [...current.fields, ...newFields] }), configuration };
}

/** A file's partition, as one comparable string. */
function partitionKey(file: AddFile): string {
  return JSON.stringify(Object.entries(file.partitionValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Reading a snapshot's rows as Arrow record batches with the table's logical schema: data files
 * are read with their physical schema, columns matched by name, physical name or field id (column
 * mapping), nested names mapped back, types cast up where files hold older narrower types (type
 * widening, timestamp units), partition values added as constant columns, missing columns read as
 * nulls, and deleted rows (deletion vectors) dropped. With `where`, files that cannot match are
 * skipped (file-pruning.ts) and rows are filtered (engine/predicate-eval.ts).
 */
import {
  Field,
  List,
  makeData,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Type,
  type Data,
} from 'apache-arrow';
import { LakeError } from '../errors.js';
import { castData, readParquet } from '../engine/parquet.js';
import { boundColumns } from '../engine/predicate-bind.js';
import { evaluateFilter } from '../engine/predicate-eval.js';
import { openStore } from '../storage/index.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { AddFile } from './actions.js';
import { describeDataPath, resolveDataPath } from './data-paths.js';
import { keepMask, loadDeletionVector, type DeletedRows, type DvFile } from './deletion-vector.js';
import { bindWhere, filePruner } from './file-pruning.js';
import { nullData, parsePartitionValue, partitionData } from './partition-values.js';
import {
  columnMappingMode,
  findFileField,
  isPrimitiveType,
  physicalName,
  toArrowType,
  type ColumnMappingMode,
  type DeltaType,
  type StructField,
} from './schema.js';
import type { DeltaSnapshot } from './snapshot.js';

export interface ScanOptions {
  /** Logical top-level column names to return, in this order (default: all, in schema order). */
  readonly columns?: readonly string[];
  /**
   * Only rows for which this SQL boolean expression (DuckDB's dialect, see engine/predicate.ts)
   * is true. Files that cannot hold such rows (partition values, statistics) are not read.
   */
  readonly where?: string;
  /** Stop after this many rows. */
  readonly limit?: number;
  /** Read only these live files (default: every live file of the snapshot). */
  readonly files?: readonly AddFile[];
}

export async function* scanSnapshot(snapshot: DeltaSnapshot, options: ScanOptions = {}): AsyncIterable<RecordBatch> {
  const fields = selectFields(snapshot, options.columns);
  const schema = new Schema(fields.map((field) => arrowField(field)));
  const mode = columnMappingMode(snapshot.metadata, snapshot.protocol);
  const partitionColumns = new Set(snapshot.metadata.partitionColumns);
  let remaining = options.limit ?? Infinity;
  const predicate = options.where === undefined ? undefined : await bindWhere(snapshot, options.where);
  if (remaining <= 0) return;
  let files = [...(options.files ?? snapshot.files)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // The predicate's columns are read too (after the requested ones) and dropped after filtering.
  let readFields = fields;
  let readSchema = schema;
  let filter: ((batch: RecordBatch) => Uint8Array) | undefined;
  if (predicate !== undefined) {
    files = files.filter(filePruner(snapshot, predicate));
    const extra = boundColumns(predicate)
      .map((column) => column.path[0]!)
      .filter((name, i, names) => names.indexOf(name) === i && !fields.some((f) => f.name === name))
      .map((name) => snapshot.schema.fields.find((f) => f.name === name)!);
    readFields = [...fields, ...extra];
    readSchema = new Schema(readFields.map((field) => arrowField(field)));
    filter = (batch) => evaluateFilter(predicate, batch);
  }
  const project = readFields.length === fields.length ? undefined : fields.map((_, i) => i);
  for (const file of files) {
    for (const read of await readFile(snapshot, file, readFields, readSchema, mode, partitionColumns, filter)) {
      if (read.numRows === 0) continue;
      const batch = project === undefined ? read : projectBatch(read, schema, project);
      const out = batch.numRows > remaining ? batch.slice(0, remaining) : batch;
      yield out;
      remaining -= out.numRows;
      if (remaining <= 0) return;
    }
  }
}

/** The columns at `indexes` of a batch, as a batch of `schema`. */
function projectBatch(batch: RecordBatch, schema: Schema, indexes: readonly number[]): RecordBatch {
  const children = indexes.map((i) => batch.data.children[i]!);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
}

function selectFields(snapshot: DeltaSnapshot, columns: readonly string[] | undefined): StructField[] {
  if (columns === undefined) return [...snapshot.schema.fields];
  return columns.map((name) => {
    const field = snapshot.schema.fields.find((f) => f.name === name);
    if (field === undefined) {
      throw new LakeError(
        'COLUMN_NOT_FOUND',
        `column ${name} is not in the table; its columns are ${snapshot.schema.fields.map((f) => f.name).join(', ')}`,
      );
    }
    return field;
  });
}

async function readFile(
  snapshot: DeltaSnapshot,
  file: AddFile,
  fields: readonly StructField[],
  schema: Schema,
  mode: ColumnMappingMode,
  partitionColumns: ReadonlySet<string>,
  filter?: (batch: RecordBatch) => Uint8Array,
): Promise<RecordBatch[]> {
  const { store, key, shown } = locateFile(snapshot, file.path);
  const table = readParquet((await store.get(key)).bytes);
  const deleted = await fileDeletedRows(snapshot, file);
  const batches: RecordBatch[] = [];
  let firstRow = 0;
  for (const batch of table.batches) {
    const length = batch.numRows;
    const children = fields.map((field) => {
      const physical = physicalName(field, mode);
      if (partitionColumns.has(field.name)) {
        if (!isPrimitiveType(field.type)) {
          throw new LakeError('CORRUPT_LOG', `partition column ${field.name} has the nested type ${JSON.stringify(field.type)}`);
        }
        const serialized = file.partitionValues[physical] ?? file.partitionValues[field.name] ?? null;
        const value = parsePartitionValue(serialized, field.type, { column: field.name });
        return partitionData(toArrowType(field.type), value, length);
      }
      const index = findFileField(batch.schema.fields, field, mode);
      if (index === -1) return nullData(toArrowType(field.type), length);
      const column = batch.getChildAt(index)!;
      try {
        return adapt(column.data[0]!, batch.schema.fields[index]!, field.type, mode);
      } catch (error) {
        throw new LakeError('SCHEMA_MISMATCH', `${shown}: column ${field.name}: ${(error as Error).message}`, { cause: error });
      }
    });
    const whole = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
    let mask = deleted === undefined ? undefined : keepMask(deleted, firstRow, length);
    if (filter !== undefined) {
      const matching = filter(whole);
      if (mask !== undefined) for (let i = 0; i < length; i++) matching[i]! &= mask[i]!;
      mask = matching;
    }
    if (mask === undefined) batches.push(whole);
    else batches.push(...keptRuns(whole, mask));
    firstRow += length;
  }
  return batches;
}

/** Deleted rows are dropped by slicing the batch into runs of kept rows (zero-copy for every type). */
function keptRuns(batch: RecordBatch, keep: Uint8Array): RecordBatch[] {
  const runs: RecordBatch[] = [];
  let start = -1;
  for (let row = 0; row <= keep.length; row++) {
    const kept = row < keep.length && keep[row] === 1;
    if (kept && start === -1) start = row;
    if (!kept && start !== -1) {
      runs.push(batch.slice(start, row));
      start = -1;
    }
  }
  return runs;
}

/**
 * Turns a file column into the logical column: nested struct fields matched and renamed the way
 * top-level ones are, list and map children adapted, leaf types cast to the table's types.
 */
function adapt(data: Data | undefined, fileField: Field, type: DeltaType, mode: ColumnMappingMode): Data {
  const target = toArrowType(type);
  // Arrow JS's IPC reader leaves child arrays of empty batches unset: an empty child is meant.
  if (data === undefined) return nullData(target, 0);
  if (typeof type === 'object' && type.type === 'struct') {
    if (data.type.typeId !== Type.Struct) throw new Error(`expected a struct in the file, found ${String(data.type)}`);
    const fileChildren = (data.type as Struct).children;
    const children = type.fields.map((child) => {
      const index = findFileField(fileChildren, child, mode);
      if (index === -1) return nullData(toArrowType(child.type), data.length);
      return adapt(data.children[index]!, fileChildren[index]!, child.type, mode);
    });
    return makeData({ type: target as Struct, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, children });
  }
  if (typeof type === 'object' && type.type === 'array') {
    if (data.type.typeId !== Type.List) throw new Error(`expected a list in the file, found ${String(data.type)}`);
    const fileChild = (data.type as List).children[0]!;
    const child = adapt(data.children[0]!, fileChild, type.elementType, mode);
    return makeData({
      type: target as List,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets,
      child,
    });
  }
  if (typeof type === 'object' && type.type === 'map') {
    if (data.type.typeId !== Type.Map) throw new Error(`expected a map in the file, found ${String(data.type)}`);
    const entries = data.children[0]!;
    const entryFields = (entries.type as Struct).children;
    const key = adapt(entries.children[0]!, entryFields[0]!, type.keyType, mode);
    const value = adapt(entries.children[1]!, entryFields[1]!, type.valueType, mode);
    const targetEntries = (target as Map_).children[0]!.type as Struct;
    const child = makeData({
      type: targetEntries,
      offset: entries.offset,
      length: entries.length,
      nullCount: entries.nullCount,
      nullBitmap: entries.nullBitmap,
      children: [key, value],
    });
    return makeData({
      type: target as Map_,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets,
      child,
    });
  }
  return castData(data, target);
}

function arrowField(field: StructField): Field {
  return new Field(field.name, toArrowType(field.type), field.nullable);
}

/** The store and key of a file the log names; files outside the table root get their own store. */
export function locateFile(snapshot: DeltaSnapshot, path: string): { store: ObjectStore; key: string; shown: string } {
  const resolved = resolveDataPath(path, snapshot.location);
  const shown = describeDataPath(resolved);
  if (resolved.relative !== undefined) return { store: snapshot.store, key: resolved.relative, shown };
  const location = resolved.location;
  if (location === undefined) {
    throw new LakeError('UNSUPPORTED_LOCATION', `data file ${path} uses a storage scheme lake cannot read (only s3:// and local files)`);
  }
  if (location.scheme === 'file') return { store: openStore({ scheme: 'file', path: '/' }), key: location.path.slice(1), shown };
  return { store: openStore({ scheme: 's3', bucket: location.bucket, prefix: '' }), key: location.prefix, shown };
}

/** The rows a file's deletion vector deletes; undefined when it has none. */
export async function fileDeletedRows(snapshot: DeltaSnapshot, file: AddFile): Promise<DeletedRows | undefined> {
  if (file.deletionVector === null || file.deletionVector === undefined) return undefined;
  return loadDeletionVector(file.deletionVector, (dvFile, range) => readDvFile(snapshot, dvFile, range));
}

async function readDvFile(snapshot: DeltaSnapshot, file: DvFile, range: { start: number; end?: number }): Promise<Uint8Array> {
  const { store, key } = 'relativePath' in file ? { store: snapshot.store, key: file.relativePath } : locateFile(snapshot, file.absoluteUri);
  return (await store.get(key, { range })).bytes;
}

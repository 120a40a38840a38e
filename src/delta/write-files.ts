/**
 * Writing a Delta table's data files from Arrow record batches with logical column names: the
 * data is checked and cast to the table's schema, split by partition values into Hive-style
 * directories, cut into files near the target size, written as Parquet (zstd) under physical
 * column names with field ids (column mapping), and described by `add` actions with statistics.
 *
 * Memory: rows wait in a buffer per partition until it holds about a file's worth (the target
 * size, in Arrow bytes scaled by the compression measured on the files written so far); when all
 * buffers together pass twice the target, the largest is written out early. So memory is bounded
 * by about twice the target file size plus one input batch, whatever the input's size.
 *
 * Splitting by partition slices batches into runs of rows with the same partition values (slices
 * share the batch's memory): input ordered or clustered by partition is cheap; rows alternating
 * between partitions make many small slices, which cost time, not correctness.
 */
import { randomUUID } from 'node:crypto';
import { makeData, RecordBatch, Schema, Struct, Table, Type, type Data, type DataType, type Field } from 'apache-arrow';
import { signedWords } from '../engine/json-values.js';
import { castData } from '../engine/parquet.js';
import { writeParquet, type ParquetCompression } from '../engine/parquet-write.js';
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { AddFile, Metadata, Protocol } from './actions.js';
import { constraintChecker } from './constraints.js';
import { fileStats, statsColumnSelector } from './file-stats.js';
import { nullData, partitionPath, serializePartitionValue, type PartitionValue } from './partition-values.js';
import {
  columnMappingMode,
  isPrimitiveType,
  parseSchema,
  physicalSchema,
  toArrowSchema,
  typeToString,
  type PrimitiveType,
  type StructField,
} from './schema.js';

export interface WriteFilesOptions {
  readonly metadata: Metadata;
  readonly protocol: Protocol;
  /** Bytes; default `delta.targetFileSize`, else 128 MiB. */
  readonly targetFileSize?: number;
  /** Default true. */
  readonly dataChange?: boolean;
  readonly clock?: () => number;
  /** Default zstd. */
  readonly compression?: ParquetCompression;
  /** Called after each data file is stored (for progress reports). */
  readonly onFile?: (file: AddFile, rows: number) => void;
}

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

/** Writes the rows as data files of the table; returns their add actions (nothing is committed). */
export async function writeDataFiles(
  store: ObjectStore,
  input: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  options: WriteFilesOptions,
): Promise<AddFile[]> {
  const { metadata, protocol } = options;
  const schema = parseSchema(metadata.schemaString);
  const mode = columnMappingMode(metadata, protocol);
  const partitionColumns = metadata.partitionColumns;
  const logical = toArrowSchema(schema);
  const physical = physicalSchema(schema, mode);
  const dataIndexes = schema.fields.map((f, i) => (partitionColumns.includes(f.name) ? -1 : i)).filter((i) => i >= 0);
  const fileFields = dataIndexes.map((i) => physical.fields[i]!);
  const fileSchema = toArrowSchema({ type: 'struct', fields: fileFields }, { fieldIds: mode !== 'none' });
  const logicalPaths = dataIndexes.map((i) => [schema.fields[i]!.name]);
  const indexed = statsColumnSelector(metadata.configuration, schema, partitionColumns);
  const partitionFields = partitionColumns.map((name) => {
    const index = schema.fields.findIndex((f) => f.name === name);
    const field = schema.fields[index]!;
    if (!isPrimitiveType(field.type)) throw new LakeError('CORRUPT_LOG', `partition column ${name} has a nested type`);
    return { index, type: field.type, physical: physical.fields[index]!.name };
  });
  const target = options.targetFileSize ?? positive(metadata.configuration['delta.targetFileSize']) ?? DEFAULT_TARGET_FILE_SIZE;
  const clock = options.clock ?? Date.now;
  const compression = options.compression ?? 'zstd';
  const check = await constraintChecker(metadata);

  const buffers = new Map<string, { values: Record<string, string | null>; batches: RecordBatch[]; bytes: number }>();
  let buffered = 0;
  // Parquet bytes per Arrow byte, from the files written so far (start: as written, 1).
  let ratio = 1;
  const added: AddFile[] = [];
  let fileIndex = 0;

  const flush = async (key: string): Promise<void> => {
    const buffer = buffers.get(key);
    if (buffer === undefined || buffer.batches.length === 0) return;
    buffers.delete(key);
    buffered -= buffer.bytes;
    const batches = buffer.batches.map((batch) => new RecordBatch(fileSchema, makeData({ type: new Struct(fileSchema.fields), length: batch.numRows, nullCount: 0, children: dataIndexes.map((i, j) => retype(batch.data.children[i]!, fileSchema.fields[j]!.type)) })));
    const bytes = writeParquet(new Table(fileSchema, batches), { compression });
    ratio = Math.max(0.01, bytes.byteLength / Math.max(1, buffer.bytes));
    const directory = partitionColumns.length === 0 ? '' : `${partitionPath(partitionFields.map((p) => p.physical), buffer.values)}/`;
    const name = `part-${String(fileIndex++).padStart(5, '0')}-${randomUUID()}-c000.${compression === 'uncompressed' ? '' : `${compression}.`}parquet`;
    const key_ = `${directory}${name}`;
    await store.put(key_, bytes, { ifNoneMatch: '*' });
    const add: AddFile = {
      path: encodePath(key_),
      partitionValues: buffer.values,
      size: bytes.byteLength,
      modificationTime: clock(),
      dataChange: options.dataChange ?? true,
      stats: fileStats(batches, fileFields, logicalPaths, indexed),
    };
    added.push(add);
    options.onFile?.(add, batches.reduce((n, b) => n + b.numRows, 0));
  };

  let row = 0;
  for await (const given of input) {
    const batch = conform(given, schema.fields, logical, row);
    check?.(batch, row);
    row += batch.numRows;
    if (batch.numRows === 0) continue;
    // Bytes per row of the whole batch: a slice's buffers may be its batch's (variable-width data).
    const rowBytes = byteSize(batch.data) / batch.numRows;
    for (const run of partitionRuns(batch, partitionFields)) {
      const key = JSON.stringify(run.values);
      for (let start = 0; start < run.batch.numRows; ) {
        let buffer = buffers.get(key);
        if (buffer === undefined) {
          buffer = { values: run.values, batches: [], bytes: 0 };
          buffers.set(key, buffer);
        }
        // As many rows as fit in this partition's current file (at least one).
        const room = Math.max(1, Math.ceil((target / ratio - buffer.bytes) / rowBytes));
        const take = Math.min(room, run.batch.numRows - start);
        const part = start === 0 && take === run.batch.numRows ? run.batch : run.batch.slice(start, start + take);
        start += take;
        buffer.batches.push(part);
        buffer.bytes += take * rowBytes;
        buffered += take * rowBytes;
        if (buffer.bytes * ratio >= target) await flush(key);
      }
    }
    while (buffered * ratio > 2 * target && buffers.size > 0) {
      const largest = [...buffers.entries()].reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a));
      await flush(largest[0]);
    }
  }
  for (const key of [...buffers.keys()]) await flush(key);
  return added;
}

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The batch in the table's logical Arrow schema: columns by name, cast where the cast is safe,
 * missing nullable columns as nulls. Mismatches are one-line SCHEMA_MISMATCH / NULL_CONSTRAINT errors.
 */
function conform(batch: RecordBatch, fields: readonly StructField[], logical: Schema, firstRow: number): RecordBatch {
  const names = new Set(fields.map((f) => f.name));
  const unknown = batch.schema.fields.filter((f) => !names.has(f.name)).map((f) => f.name);
  if (unknown.length > 0) {
    throw new LakeError(
      'SCHEMA_MISMATCH',
      `the data has column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that the table does not have (${fields.map((f) => f.name).join(', ')}): drop ${unknown.length > 1 ? 'them' : 'it'}, or write with schema mode merge`,
    );
  }
  const children = fields.map((field, i) => {
    const target = logical.fields[i]!;
    const index = batch.schema.fields.findIndex((f) => f.name === field.name);
    if (index === -1) {
      if (!field.nullable) throw new LakeError('SCHEMA_MISMATCH', `the data lacks column ${field.name}, which the table requires (it is not nullable)`);
      return nullData(target.type, batch.numRows);
    }
    const given = batch.schema.fields[index]!;
    let data: Data;
    try {
      data = castData(batch.data.children[index]!, target.type);
    } catch (error) {
      throw new LakeError(
        'SCHEMA_MISMATCH',
        `column ${field.name} is ${typeToString(field.type)} in the table but ${String(given.type)} in the data: cast it to ${String(target.type)} first`,
        { cause: error },
      );
    }
    if (!field.nullable && data.nullCount > 0) {
      let at = 0;
      while (data.getValid(at)) at++;
      throw new LakeError('NULL_CONSTRAINT', `column ${field.name} is not nullable, but row ${firstRow + at + 1} of the data has a null there; nothing was committed`);
    }
    return data;
  });
  return new RecordBatch(logical, makeData({ type: new Struct(logical.fields), length: batch.numRows, nullCount: 0, children }));
}

interface PartitionField {
  readonly index: number;
  readonly type: PrimitiveType;
  readonly physical: string;
}

/** Runs of consecutive rows with equal partition values, as slices, with the values serialized. */
function* partitionRuns(batch: RecordBatch, partitions: readonly PartitionField[]): Iterable<{ values: Record<string, string | null>; batch: RecordBatch }> {
  if (partitions.length === 0) {
    yield { values: {}, batch };
    return;
  }
  const keyAt = (row: number): string[] => partitions.map((p) => serializePartitionValue(partitionValueAt(batch.data.children[p.index]!, row), p.type) ?? '\u0000null');
  let start = 0;
  let current = keyAt(0);
  for (let row = 1; row <= batch.numRows; row++) {
    const next = row < batch.numRows ? keyAt(row) : undefined;
    if (next !== undefined && next.every((v, i) => v === current[i])) continue;
    const values: Record<string, string | null> = {};
    partitions.forEach((p, i) => (values[p.physical] = current[i] === '\u0000null' ? null : current[i]!));
    yield { values, batch: batch.slice(start, row) };
    if (next !== undefined) {
      start = row;
      current = next;
    }
  }
}

/**
 * A row's value of a (conformed) primitive column, in partition-values.ts's representation.
 * (In a sliced Data, fixed-width values and value offsets start at the slice; bits do not.)
 */
function partitionValueAt(data: Data, row: number): PartitionValue {
  if (!data.getValid(row)) return null;
  switch (data.type.typeId) {
    case Type.Utf8: {
      const offsets = data.valueOffsets as Int32Array;
      return new TextDecoder().decode((data.values as Uint8Array).subarray(offsets[row]!, offsets[row + 1]!));
    }
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      return (data.values as Uint8Array).slice(offsets[row]!, offsets[row + 1]!);
    }
    case Type.Bool: {
      const bit = data.offset + row;
      return ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
    }
    case Type.Decimal:
      return signedWords(data.values as Uint32Array, row * 4, 4);
    default:
      return (data.values as ArrayLike<number | bigint>)[row]!;
  }
}

/** The same values under another (structurally equal) type: physical names, field ids. */
function retype(data: Data, type: DataType): Data {
  const children = (type.children as Field[] | undefined) ?? [];
  const common = { type, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap };
  if (type.typeId === Type.Struct) {
    return makeData({ ...common, children: data.children.map((child, i) => retype(child, children[i]!.type)) } as never);
  }
  if (type.typeId === Type.List || type.typeId === Type.Map) {
    return makeData({ ...common, valueOffsets: data.valueOffsets, child: retype(data.children[0]!, children[0]!.type) } as never);
  }
  return data;
}

/** Arrow bytes of a batch's data (buffers of its slice, roughly). */
function byteSize(data: Data): number {
  return data.byteLength;
}

/** A store key as an `add.path`: a relative URI, each segment percent-encoded (RFC 3986). */
function encodePath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '='))
    .join('/');
}

/**
 * Skipping Iceberg data files a `where` condition cannot match, from their manifest metrics:
 * lower/upper bounds (format/spec.md "Appendix D: Single-value serialization"), null, value and
 * NaN counts; from their partition values through each transform, whatever spec wrote them; and
 * whole manifests from their partition field summaries. The condition is bound and judged by the same engine code as Delta's pruning
 * (engine/predicate-prune.ts): a file is skipped only when no row can match, never on a guess.
 * Bounds of types whose comparison lake does not model (time, uuid, nanosecond timestamps) are
 * left unknown.
 */
import type { Schema as ArrowSchema } from 'apache-arrow';
import { bindPredicate, type BoundPredicate, type ScalarValue } from '../engine/predicate-bind.js';
import { parsePredicate } from '../engine/predicate.js';
import { mayMatch, type ColumnStats, type FileStats } from '../engine/predicate-prune.js';
import type { ManifestEntry, ManifestFile } from './manifests.js';
import type { IcebergType, PartitionField, PartitionSpec, Schema } from './metadata.js';
import { bucketOf, decimalBytes, longBytes, timeRange, transformParameter } from './transforms.js';
import { twosComplement } from './values.js';

/** Binds `where` to the read schema (as DuckDB types it: `arrow`). */
export async function bindIcebergWhere(where: string, arrow: ArrowSchema): Promise<BoundPredicate> {
  return bindPredicate(await parsePredicate(where), arrow);
}

/**
 * Whether a data file may hold a row matching the bound condition: by its column metrics, by what
 * its partition values say of their source columns (identity values, time transform ranges,
 * integer truncation ranges), and by its bucket for equality conditions. Each is a sound
 * over-approximation, so the file is skipped when any of them rules it out.
 */
export function mayMatchFile(predicate: BoundPredicate, schema: Schema, entry: ManifestEntry, spec?: PartitionSpec): boolean {
  if (!mayMatch(predicate, fileStats(schema, entry))) return false;
  if (spec === undefined || spec.fields.length === 0) return true;
  const values = (field: PartitionField) => {
    const v = entry.dataFile.partition.get(field.fieldId);
    return { lower: v, upper: v, containsNull: v === null || v === undefined, onlyNull: v === null || v === undefined };
  };
  return partitionMayMatch(predicate, schema, spec, values, entry.dataFile.recordCount);
}

/** Whether any file of a manifest may match, by its partition field summaries. */
export function mayMatchManifest(predicate: BoundPredicate, schema: Schema, manifest: ManifestFile, spec: PartitionSpec | undefined): boolean {
  if (spec === undefined || manifest.partitions === undefined || spec.fields.length === 0) return true;
  if (manifest.addedFilesCount === 0 && manifest.existingFilesCount === 0) return false;
  const values = (field: PartitionField, i: number) => {
    const summary = manifest.partitions![i];
    const type = resultType(field, schema);
    if (summary === undefined || type === undefined) return undefined;
    const decode = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : decodeBound(bytes, type));
    const lower = decode(summary.lowerBound);
    const upper = decode(summary.upperBound);
    return { lower, upper, containsNull: summary.containsNull, onlyNull: summary.containsNull && summary.lowerBound === undefined };
  };
  return partitionMayMatch(predicate, schema, spec, values, undefined);
}

type PartitionValues = (field: PartitionField, index: number) => { lower: unknown; upper: unknown; containsNull: boolean; onlyNull: boolean } | undefined;

function partitionMayMatch(predicate: BoundPredicate, schema: Schema, spec: PartitionSpec, values: PartitionValues, rowCount: number | undefined): boolean {
  const stats: FileStats = {
    ...(rowCount === undefined ? {} : { rowCount }),
    column: (column) => {
      if (column.path.length !== 1) return undefined;
      const field = schema.fields.find((f) => f.name === column.path[0]);
      if (field === undefined || typeof field.type !== 'string') return undefined;
      for (const [i, p] of spec.fields.entries()) {
        if (p.sourceId !== field.id) continue;
        const v = values(p, i);
        if (v === undefined) continue;
        const range = sourceRange(p.transform, v.lower, v.upper, field.type);
        if (v.onlyNull) return { nulls: 'all' };
        if (range === undefined) continue;
        return { ...(v.containsNull ? {} : { nulls: 'none' as const }), ...range };
      }
      return undefined;
    },
  };
  if (!mayMatch(predicate, stats)) return false;
  // bucket[N]: an equality on the source column can only match rows of the literal's bucket.
  for (const [i, p] of spec.fields.entries()) {
    const n = p.transform.startsWith('bucket[') ? transformParameter(p.transform) : undefined;
    const field = schema.fields.find((f) => f.id === p.sourceId);
    const v = values(p, i);
    if (n === undefined || field === undefined || typeof field.type !== 'string' || v === undefined || v.onlyNull) continue;
    const lo = typeof v.lower === 'number' ? v.lower : undefined;
    const hi = typeof v.upper === 'number' ? v.upper : undefined;
    if (lo === undefined || hi === undefined) continue;
    if (!mayBeTrueInBuckets(predicate, field.name, field.type, n, lo, hi)) return false;
  }
  return true;
}

/** The source-column range a partition value (or a summary's [lower, upper]) stands for; undefined when the transform gives none. */
function sourceRange(transform: string, lower: unknown, upper: unknown, sourceType: string): { min?: ScalarValue; max?: ScalarValue; exact?: boolean } | undefined {
  if (lower === undefined || lower === null || upper === undefined || upper === null) return undefined;
  if (transform === 'identity') {
    const min = scalar(lower, sourceType);
    const max = scalar(upper, sourceType);
    if (min === undefined || max === undefined) return undefined;
    const exact = !(typeof min === 'number' && Number.isNaN(min)) && !(typeof max === 'number' && Number.isNaN(max));
    return { min, max, ...(exact ? { exact: true } : {}) };
  }
  if (transform === 'year' || transform === 'month' || transform === 'day' || transform === 'hour') {
    const a = timeRange(transform, Number(lower), sourceType);
    const b = timeRange(transform, Number(upper), sourceType);
    return a === undefined || b === undefined ? undefined : { min: a.min, max: b.max };
  }
  const width = transform.startsWith('truncate[') ? transformParameter(transform) : undefined;
  if (width !== undefined && (sourceType === 'int' || sourceType === 'long')) {
    const min = BigInt(lower as number | bigint);
    const max = BigInt(upper as number | bigint) + BigInt(width) - 1n;
    return sourceType === 'int' ? { min: Number(min), max: Number(max) } : { min, max };
  }
  return undefined;
}

/** A partition or summary value (Avro form, or decoded bound) in the engine's ScalarValue form. */
function scalar(value: unknown, type: string): ScalarValue | undefined {
  if (/^decimal\(/.test(type)) {
    if (typeof value === 'bigint') return value;
    if (value instanceof Uint8Array) return decodeBound(value, type);
    return undefined;
  }
  if (type === 'long' || type === 'timestamp' || type === 'timestamptz') return typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : undefined;
  if (type === 'int' || type === 'date' || type === 'float' || type === 'double') return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined;
  if (type === 'string') return typeof value === 'string' ? value : undefined;
  if (type === 'boolean') return typeof value === 'boolean' ? value : undefined;
  if (type === 'binary' || /^fixed\[/.test(type)) return value instanceof Uint8Array ? value : undefined;
  return undefined;
}

/** The type of a partition field's values. */
function resultType(field: PartitionField, schema: Schema): IcebergType | undefined {
  const source = schema.fields.find((f) => f.id === field.sourceId)?.type;
  if (field.transform === 'identity' || field.transform.startsWith('truncate[')) return source;
  if (field.transform === 'day') return 'date';
  if (['year', 'month', 'hour'].includes(field.transform) || field.transform.startsWith('bucket[')) return 'int';
  return undefined;
}

/**
 * Whether the condition may be true for rows whose column lies in buckets lo..hi: only equalities
 * of the column with a literal are decided (by the literal's bucket); anything else may be true.
 */
function mayBeTrueInBuckets(p: BoundPredicate, column: string, type: string, n: number, lo: number, hi: number): boolean {
  switch (p.kind) {
    case 'and':
      return p.children.every((c) => mayBeTrueInBuckets(c, column, type, n, lo, hi));
    case 'or':
      return p.children.some((c) => mayBeTrueInBuckets(c, column, type, n, lo, hi));
    case 'compare': {
      if (p.op !== '=') return true;
      const [col, lit] = p.left.kind === 'column' ? [p.left, p.right] : [p.right, p.left];
      if (col.kind !== 'column' || lit.kind !== 'literal' || col.column.path.length !== 1 || col.column.path[0] !== column) return true;
      const input = hashInput(lit.value, type, p.scale);
      if (input === undefined) return true;
      const bucket = bucketOf(input, n);
      return bucket >= lo && bucket <= hi;
    }
    default:
      return true;
  }
}

/** The bucket hash input of a literal compared with a column of `type`; undefined when lake cannot tell. */
function hashInput(value: unknown, type: string, scale: number): Uint8Array | undefined {
  const decimal = /^decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal !== null) return typeof value === 'bigint' && scale === Number(decimal[1]) ? decimalBytes(value) : undefined;
  switch (type) {
    case 'int':
    case 'long':
      return typeof value === 'bigint' && scale === 0 ? longBytes(value) : undefined;
    case 'date':
      return typeof value === 'number' && Number.isInteger(value) ? longBytes(BigInt(value)) : undefined;
    case 'timestamp':
    case 'timestamptz':
      return typeof value === 'bigint' ? longBytes(value) : undefined;
    case 'string':
    case 'binary':
      return value instanceof Uint8Array ? value : undefined;
    default:
      return /^fixed\[/.test(type) && value instanceof Uint8Array ? value : undefined;
  }
}

function fileStats(schema: Schema, entry: ManifestEntry): FileStats {
  const file = entry.dataFile;
  return {
    rowCount: file.recordCount,
    column: (column) => {
      if (column.path.length !== 1) return undefined;
      const field = schema.fields.find((f) => f.name === column.path[0]);
      if (field === undefined || typeof field.type !== 'string') return undefined;
      const stats: { nulls?: 'none' | 'all'; min?: ScalarValue; max?: ScalarValue; exact?: boolean } = {};
      const nulls = file.nullValueCounts.get(field.id);
      const values = file.valueCounts.get(field.id);
      if (nulls !== undefined && nulls === 0) stats.nulls = 'none';
      if (nulls !== undefined && values !== undefined && nulls === values) stats.nulls = 'all';
      const lower = file.lowerBounds.get(field.id);
      const upper = file.upperBounds.get(field.id);
      const min = lower === undefined ? undefined : decodeBound(lower, field.type);
      const max = upper === undefined ? undefined : decodeBound(upper, field.type);
      if (min !== undefined) stats.min = min;
      if (max !== undefined) stats.max = max;
      // Bounds of a float column cover NaN only when the file counts none.
      if (file.nanValueCounts.get(field.id) === 0) stats.exact = true;
      return stats as ColumnStats;
    },
  };
}

/** A bound in the engine's ScalarValue form; undefined for types lake does not compare. */
export function decodeBound(bytes: Uint8Array, type: IcebergType): ScalarValue | undefined {
  if (typeof type !== 'string') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (/^decimal\(\s*\d+\s*,\s*\d+\s*\)$/.test(type)) return twosComplement(bytes);
  switch (type) {
    case 'boolean':
      return bytes.length === 1 ? bytes[0] !== 0 : undefined;
    case 'int':
    case 'date':
      return bytes.length === 4 ? view.getInt32(0, true) : undefined;
    case 'long':
      // Writers may store an int column's bounds in 4 bytes after promotion to long.
      return bytes.length === 8 ? view.getBigInt64(0, true) : bytes.length === 4 ? BigInt(view.getInt32(0, true)) : undefined;
    case 'float':
      return bytes.length === 4 ? view.getFloat32(0, true) : undefined;
    case 'double':
      return bytes.length === 8 ? view.getFloat64(0, true) : bytes.length === 4 ? view.getFloat32(0, true) : undefined;
    case 'timestamp':
    case 'timestamptz':
      return bytes.length === 8 ? view.getBigInt64(0, true) : undefined;
    case 'string':
      return new TextDecoder().decode(bytes);
    case 'binary':
      return bytes;
    default:
      return /^fixed\[\d+\]$/.test(type) ? bytes : undefined;
  }
}

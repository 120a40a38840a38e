/**
 * Skipping Iceberg data files a `where` condition cannot match, from their manifest metrics:
 * lower/upper bounds (format/spec.md "Appendix D: Single-value serialization"), null, value and
 * NaN counts. The condition is bound and judged by the same engine code as Delta's pruning
 * (engine/predicate-prune.ts): a file is skipped only when no row can match, never on a guess.
 * Bounds of types whose comparison lake does not model (time, uuid, nanosecond timestamps) are
 * left unknown.
 */
import type { Schema as ArrowSchema } from 'apache-arrow';
import { bindPredicate, type BoundPredicate, type ScalarValue } from '../engine/predicate-bind.js';
import { parsePredicate } from '../engine/predicate.js';
import { mayMatch, type ColumnStats, type FileStats } from '../engine/predicate-prune.js';
import type { ManifestEntry } from './manifests.js';
import type { IcebergType, Schema } from './metadata.js';

/** Binds `where` to the read schema (as DuckDB types it: `arrow`). */
export async function bindIcebergWhere(where: string, arrow: ArrowSchema): Promise<BoundPredicate> {
  return bindPredicate(await parsePredicate(where), arrow);
}

/** Whether a data file may hold a row matching the bound condition. */
export function mayMatchFile(predicate: BoundPredicate, schema: Schema, entry: ManifestEntry): boolean {
  return mayMatch(predicate, fileStats(schema, entry));
}

function fileStats(schema: Schema, entry: ManifestEntry): FileStats {
  const file = entry.dataFile;
  return {
    rowCount: Number(file.recordCount),
    column: (column) => {
      if (column.path.length !== 1) return undefined;
      const field = schema.fields.find((f) => f.name === column.path[0]);
      if (field === undefined || typeof field.type !== 'string') return undefined;
      const stats: { nulls?: 'none' | 'all'; min?: ScalarValue; max?: ScalarValue; exact?: boolean } = {};
      const nulls = file.nullValueCounts.get(field.id);
      const values = file.valueCounts.get(field.id);
      if (nulls !== undefined && nulls === 0n) stats.nulls = 'none';
      if (nulls !== undefined && values !== undefined && nulls === values) stats.nulls = 'all';
      const lower = file.lowerBounds.get(field.id);
      const upper = file.upperBounds.get(field.id);
      const min = lower === undefined ? undefined : decodeBound(lower, field.type);
      const max = upper === undefined ? undefined : decodeBound(upper, field.type);
      if (min !== undefined) stats.min = min;
      if (max !== undefined) stats.max = max;
      // Bounds of a float column cover NaN only when the file counts none.
      if (file.nanValueCounts.get(field.id) === 0n) stats.exact = true;
      return stats as ColumnStats;
    },
  };
}

/** A bound in the engine's ScalarValue form; undefined for types lake does not compare. */
export function decodeBound(bytes: Uint8Array, type: IcebergType): ScalarValue | undefined {
  if (typeof type !== 'string') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decimal = /^decimal\(\s*\d+\s*,\s*\d+\s*\)$/.test(type);
  if (decimal) {
    let n = 0n;
    for (const b of bytes) n = (n << 8n) | BigInt(b);
    if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
    return n;
  }
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

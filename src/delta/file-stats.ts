/**
 * Per-file statistics as Delta writers record them in `add.stats` (PROTOCOL.md "Per-file
 * Statistics"), from the statistics DuckDB's Parquet writer collected while writing the file,
 * keyed by physical names:
 *
 *   {"numRecords": n, "minValues": {…}, "maxValues": {…}, "nullCount": {…}}
 *
 * - Columns: the first `delta.dataSkippingNumIndexedCols` leaf columns (default 32, -1 all) in
 *   schema order, or the columns `delta.dataSkippingStatsColumns` lists; partition columns are not
 *   in data files and get none. Nested struct fields nest in the JSON.
 * - nullCount for every indexed leaf column (arrays and maps have none: Parquet counts their
 *   leaves' nulls, not theirs); minValues/maxValues for
 *   numbers, decimals, dates, timestamps and strings, not for booleans, binaries, arrays or maps
 *   (as Delta Spark).
 * - Floats: a file with a NaN gets no min/max for that column (Spark orders NaN above every
 *   number, so a numeric max would be a lie).
 * - Strings (DuckDB already cuts long ones, raising the last kept character of a maximum) are cut to 32 UTF-16 units (`delta.dataSkippingStringPrefixLength` as readers assume):
 *   a minimum's prefix is still a lower bound; a maximum that was cut gets U+10FFFF appended,
 *   Delta Spark's tie-breaker, so it stays an upper bound in UTF-8 byte order too.
 * - Timestamps are milliseconds (Spark's JSON): minima and maxima are truncated to the millisecond;
 *   readers widen by 1 ms (file-pruning.ts). `timestamp` gets a `Z`, `timestamp_ntz` none.
 * - Decimals are JSON numbers written exactly (`12.50`), not through a double.
 */
import { formatDate } from '../engine/json-values.js';
import { parseDateText, parseTimestampText } from '../engine/predicate-values.js';
import type { LeafStats } from '../engine/sql-workspace.js';
import { isDecimalType, type PrimitiveType, type StructField, type StructType } from './schema.js';

export const DEFAULT_INDEXED_COLUMNS = 32;
export const STRING_PREFIX_LENGTH = 32;
const TIE_BREAKER = '\u{10FFFF}';

/** Which columns get statistics: a function of a leaf's logical path. */
export function statsColumnSelector(configuration: Readonly<Record<string, string>>, schema: StructType, partitionColumns: readonly string[]): (path: readonly string[]) => boolean {
  const listed = configuration['delta.dataSkippingStatsColumns'];
  if (listed !== undefined && listed.trim() !== '') {
    const names = listed.split(',').map((n) => n.trim().replace(/`/g, '').toLowerCase());
    return (path) => {
      const joined = path.join('.').toLowerCase();
      return names.some((n) => joined === n || joined.startsWith(`${n}.`));
    };
  }
  const configured = Number(configuration['delta.dataSkippingNumIndexedCols'] ?? DEFAULT_INDEXED_COLUMNS);
  const limit = Number.isInteger(configured) ? (configured < 0 ? Infinity : configured) : DEFAULT_INDEXED_COLUMNS;
  const indexed = new Set<string>();
  let count = 0;
  const visit = (fields: readonly StructField[], prefix: string[]): void => {
    for (const field of fields) {
      const path = [...prefix, field.name];
      if (prefix.length === 0 && partitionColumns.includes(field.name)) continue;
      if (typeof field.type === 'object' && field.type.type === 'struct') {
        visit(field.type.fields, path);
        continue;
      }
      if (count++ < limit) indexed.add(path.join('\u0000'));
    }
  };
  visit(schema.fields, []);
  return (path) => indexed.has(path.join('\u0000'));
}

type Json = { [key: string]: Json } | number | string | RawNumber;

/** A number written as its text (exact decimals and 64-bit integers). */
class RawNumber {
  constructor(readonly text: string) {}
}

/**
 * The stats JSON of a written file from its writer's per-leaf statistics (sql-workspace.ts
 * `copyToParquet`). `columns` are the file's top-level columns, each as its logical Delta field
 * and as its physical one (column mapping names; the same field without).
 */
export function fileStats(
  numRecords: number,
  leaves: readonly LeafStats[],
  columns: readonly { readonly logical: StructField; readonly physical: StructField }[],
  indexed: (path: readonly string[]) => boolean,
): string {
  const byPath = new Map(leaves.map((leaf) => [leaf.path.join('\u0000'), leaf]));
  const minValues: Record<string, Json> = {};
  const maxValues: Record<string, Json> = {};
  const nullCount: Record<string, Json> = {};
  for (const { logical, physical } of columns) collect(logical, physical, [physical.name], [logical.name], byPath, indexed, minValues, maxValues, nullCount);
  return serialize({ numRecords, minValues, maxValues, nullCount });
}

function collect(
  logical: StructField,
  field: StructField,
  physicalPath: readonly string[],
  logicalPath: readonly string[],
  leaves: ReadonlyMap<string, LeafStats>,
  indexed: (path: readonly string[]) => boolean,
  minValues: Record<string, Json>,
  maxValues: Record<string, Json>,
  nullCount: Record<string, Json>,
): void {
  const { name, type } = field;
  if (typeof type === 'object' && type.type === 'struct') {
    const mins: Record<string, Json> = {};
    const maxs: Record<string, Json> = {};
    const nulls: Record<string, Json> = {};
    const logicalFields = (logical.type as StructType).fields;
    type.fields.forEach((child, j) => {
      // Parquet counts a leaf null where any struct above it is null: the children include the struct's nulls.
      const logicalChild = logicalFields[j]!;
      collect(logicalChild, child, [...physicalPath, child.name], [...logicalPath, logicalChild.name], leaves, indexed, mins, maxs, nulls);
    });
    if (Object.keys(mins).length > 0) minValues[name] = mins;
    if (Object.keys(maxs).length > 0) maxValues[name] = maxs;
    if (Object.keys(nulls).length > 0) nullCount[name] = nulls;
    return;
  }
  // Arrays and maps have leaves below them (element, key, value), not counts of their own nulls: no stats.
  if (typeof type === 'object' || !indexed(logicalPath)) return;
  const leaf = leaves.get(physicalPath.join('\u0000'));
  if (leaf === undefined) return;
  if (leaf.nullCount !== undefined) nullCount[name] = leaf.nullCount;
  if (type === 'boolean' || type === 'binary' || type === 'void' || type === 'variant') return;
  if (leaf.min === undefined || leaf.max === undefined || leaf.hasNaN) return;
  const range = typedRange(type, leaf.min, leaf.max);
  if (range === undefined) return;
  minValues[name] = range.min;
  maxValues[name] = range.max;
}

interface Range {
  readonly min: Json;
  readonly max: Json;
}

/**
 * The JSON values of a leaf's bounds, from the writer's text: numbers as they are, timestamps
 * truncated to the millisecond, strings cut to the prefix length. Undefined where the text cannot
 * be read (no bound is then claimed).
 */
function typedRange(type: PrimitiveType, min: string, max: string): Range | undefined {
  switch (type) {
    case 'string':
      return { min: prefix(min), max: max.length > STRING_PREFIX_LENGTH ? prefix(max) + TIE_BREAKER : max };
    case 'date':
      return parseDateText(min) === undefined || parseDateText(max) === undefined ? undefined : { min: formatDate(BigInt(parseDateText(min)!)), max: formatDate(BigInt(parseDateText(max)!)) };
    case 'timestamp':
    case 'timestamp_ntz': {
      const low = parseTimestampText(min, type === 'timestamp');
      const high = parseTimestampText(max, type === 'timestamp');
      if (low === undefined || high === undefined) return undefined;
      const zone = type === 'timestamp' ? 'Z' : '';
      return { min: millisText(low, zone), max: millisText(high, zone) };
    }
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return /^-?\d+$/.test(min) && /^-?\d+$/.test(max) ? { min: new RawNumber(min), max: new RawNumber(max) } : undefined;
    case 'float':
    case 'double': {
      const low = Number(min);
      const high = Number(max);
      if (!Number.isFinite(low) || !Number.isFinite(high)) return undefined;
      return type === 'float' ? { min: Math.fround(low), max: Math.fround(high) } : { min: low, max: high };
    }
    default:
      if (isDecimalType(type) && /^-?\d+(\.\d+)?$/.test(min) && /^-?\d+(\.\d+)?$/.test(max)) return { min: new RawNumber(min), max: new RawNumber(max) };
      return undefined;
  }
}

/** Microseconds as Spark's stats text: millisecond precision, truncated toward −∞. */
function millisText(micros: bigint, zone: string): string {
  const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const iso = new Date(Number(millis)).toISOString(); // always …sssZ for years 0–9999
  return zone === 'Z' ? iso : iso.slice(0, -1);
}

/** The first 32 UTF-16 units, not splitting a surrogate pair. */
function prefix(s: string): string {
  if (s.length <= STRING_PREFIX_LENGTH) return s;
  const cut = s.charCodeAt(STRING_PREFIX_LENGTH - 1);
  return s.slice(0, cut >= 0xd800 && cut <= 0xdbff ? STRING_PREFIX_LENGTH - 1 : STRING_PREFIX_LENGTH);
}

/** JSON with RawNumbers written as their text. */
function serialize(value: Json): string {
  if (value instanceof RawNumber) return value.text;
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`)
    .join(',')}}`;
}

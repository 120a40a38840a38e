/**
 * Per-file statistics as Delta writers record them in `add.stats` (PROTOCOL.md "Per-file
 * Statistics"), computed from the Arrow data a file is written from, keyed by physical names:
 *
 *   {"numRecords": n, "minValues": {…}, "maxValues": {…}, "nullCount": {…}}
 *
 * - Columns: the first `delta.dataSkippingNumIndexedCols` leaf columns (default 32, -1 all) in
 *   schema order, or the columns `delta.dataSkippingStatsColumns` lists; partition columns are not
 *   in data files and get none. Nested struct fields nest in the JSON.
 * - nullCount for every indexed column (arrays and maps as a whole); minValues/maxValues for
 *   numbers, decimals, dates, timestamps and strings, not for booleans, binaries, arrays or maps
 *   (as Delta Spark).
 * - Floats: NaN is left out of min/max (Spark orders it above every number, so a max that is a
 *   number would be a lie anyway; the reader treats NaN as possible above the maximum).
 * - Strings are cut to 32 UTF-16 units (`delta.dataSkippingStringPrefixLength` as readers assume):
 *   a minimum's prefix is still a lower bound; a maximum that was cut gets U+10FFFF appended,
 *   Delta Spark's tie-breaker, so it stays an upper bound in UTF-8 byte order too.
 * - Timestamps are milliseconds (Spark's JSON): minima and maxima are truncated to the millisecond;
 *   readers widen by 1 ms (file-pruning.ts). `timestamp` gets a `Z`, `timestamp_ntz` none.
 * - Decimals are JSON numbers written exactly (`12.50`), not through a double.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { formatDate, formatDecimal, signedWords } from '../engine/json-values.js';
import { isDecimalType, type DeltaType, type StructField, type StructType } from './schema.js';

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
 * The stats JSON of a file written from `batches` (physical column data, in the physical schema's
 * order: `fields[i]` is the Delta field of column i, with its physical name).
 */
export function fileStats(batches: readonly RecordBatch[], fields: readonly StructField[], logicalPaths: readonly (readonly string[])[], indexed: (path: readonly string[]) => boolean): string {
  const numRecords = batches.reduce((n, b) => n + b.numRows, 0);
  const minValues: Record<string, Json> = {};
  const maxValues: Record<string, Json> = {};
  const nullCount: Record<string, Json> = {};
  fields.forEach((field, i) => {
    const columns = batches.map((b): Column => {
      const data = b.data.children[i]!;
      return { data, valid: (row) => data.getValid(row) };
    });
    collect(field, field.type, columns, logicalPaths[i]!, indexed, minValues, maxValues, nullCount);
  });
  return serialize({ numRecords, minValues, maxValues, nullCount });
}

/** A column chunk and its validity (a struct field is null where the struct is). */
interface Column {
  readonly data: Data;
  readonly valid: (row: number) => boolean;
}

function collect(
  field: StructField,
  type: DeltaType,
  chunks: readonly Column[],
  logicalPath: readonly string[],
  indexed: (path: readonly string[]) => boolean,
  minValues: Record<string, Json>,
  maxValues: Record<string, Json>,
  nullCount: Record<string, Json>,
): void {
  const name = field.name;
  if (typeof type === 'object' && type.type === 'struct') {
    const mins: Record<string, Json> = {};
    const maxs: Record<string, Json> = {};
    const nulls: Record<string, Json> = {};
    type.fields.forEach((child, j) => {
      // A struct's nulls make its fields null too: count them into the children.
      const childChunks = chunks.map(({ data, valid }): Column => {
        const child = data.children[j]!;
        return { data: child, valid: (row) => valid(row) && child.getValid(row) };
      });
      collect(child, child.type, childChunks, [...logicalPath, child.name], indexed, mins, maxs, nulls);
    });
    if (Object.keys(mins).length > 0) minValues[name] = mins;
    if (Object.keys(maxs).length > 0) maxValues[name] = maxs;
    if (Object.keys(nulls).length > 0) nullCount[name] = nulls;
    return;
  }
  if (!indexed(logicalPath)) return;
  nullCount[name] = chunks.reduce((n, column) => n + nulls(column), 0);
  if (typeof type === 'object' || type === 'boolean' || type === 'binary' || type === 'void' || type === 'variant') return;
  const range = minMax(type, chunks);
  if (range === undefined) return;
  minValues[name] = range.min;
  maxValues[name] = range.max;
}

function nulls({ data, valid }: Column): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!valid(i)) n++;
  return n;
}

interface Range {
  readonly min: Json;
  readonly max: Json;
}

function minMax(type: DeltaType, chunks: readonly Column[]): Range | undefined {
  if (type === 'string') return stringRange(chunks);
  if (isDecimalType(type)) return decimalRange(chunks);
  let min: number | bigint | undefined;
  let max: number | bigint | undefined;
  for (const { data, valid } of chunks) {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      if (!valid(i)) continue;
      const v = values[i]!; // fixed-width buffers of a slice start at the slice
      if (typeof v === 'number' && Number.isNaN(v)) continue;
      if (min === undefined || v < min) min = v;
      if (max === undefined || v > max) max = v;
    }
  }
  if (min === undefined || max === undefined) return undefined;
  switch (type) {
    case 'date':
      return { min: formatDate(BigInt(min)), max: formatDate(BigInt(max)) };
    case 'timestamp':
    case 'timestamp_ntz': {
      const zone = type === 'timestamp' ? 'Z' : '';
      return { min: millisText(BigInt(min), zone), max: millisText(BigInt(max), zone) };
    }
    case 'long':
      return { min: new RawNumber(String(min)), max: new RawNumber(String(max)) };
    case 'float':
      return { min: Math.fround(Number(min)), max: Math.fround(Number(max)) };
    default:
      return { min: Number(min), max: Number(max) };
  }
}

/** Microseconds as Spark's stats text: millisecond precision, truncated toward −∞. */
function millisText(micros: bigint, zone: string): string {
  const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const iso = new Date(Number(millis)).toISOString(); // always …sssZ for years 0–9999
  return zone === 'Z' ? iso : iso.slice(0, -1);
}

function stringRange(chunks: readonly Column[]): Range | undefined {
  // Compared as UTF-8 bytes (which is code point order, how Delta readers compare); only the two
  // winners are decoded.
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  for (const { data, valid } of chunks) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    for (let i = 0; i < data.length; i++) {
      if (!valid(i)) continue;
      const s = values.subarray(offsets[i]!, offsets[i + 1]!);
      if (min === undefined || compareBytes(s, min) < 0) min = s;
      if (max === undefined || compareBytes(s, max) > 0) max = s;
    }
  }
  if (min === undefined || max === undefined) return undefined;
  const decoder = new TextDecoder();
  const low = decoder.decode(min);
  const high = decoder.decode(max);
  return { min: prefix(low), max: high.length > STRING_PREFIX_LENGTH ? prefix(high) + TIE_BREAKER : high };
}

/** The first 32 UTF-16 units, not splitting a surrogate pair. */
function prefix(s: string): string {
  if (s.length <= STRING_PREFIX_LENGTH) return s;
  const cut = s.charCodeAt(STRING_PREFIX_LENGTH - 1);
  return s.slice(0, cut >= 0xd800 && cut <= 0xdbff ? STRING_PREFIX_LENGTH - 1 : STRING_PREFIX_LENGTH);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function decimalRange(chunks: readonly Column[]): Range | undefined {
  let min: bigint | undefined;
  let max: bigint | undefined;
  let scale = 0;
  for (const { data, valid } of chunks) {
    scale = (data.type as unknown as { scale: number }).scale;
    const words = data.values as Uint32Array;
    for (let i = 0; i < data.length; i++) {
      if (!valid(i)) continue;
      const v = signedWords(words, i * 4, 4);
      if (min === undefined || v < min) min = v;
      if (max === undefined || v > max) max = v;
    }
  }
  if (min === undefined || max === undefined) return undefined;
  return { min: new RawNumber(formatDecimal(min, scale)), max: new RawNumber(formatDecimal(max, scale)) };
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

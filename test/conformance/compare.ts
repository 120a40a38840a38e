/**
 * Exact comparison of a table's content with expected Parquet files (the conformance suites'
 * "expected/" directories): same columns by name, same logical types, same multiset of rows.
 *
 * ## What is compared, and the normalisation rules
 *
 * The expected files were written by Spark; the actual side is what lake's scan returns. Both are
 * Arrow, but two correct readers can spell one Delta type as different Arrow types, so types are
 * compared as *Delta logical types* derived from the Arrow types, and values are rendered from
 * those logical types. Every rule below removes a difference of encoding, never one of meaning:
 *
 * - Integers by width (byte/short/integer/long), float, double, boolean, date, and
 *   decimal(precision, scale) must match exactly; a decimal's bit width (128/256) is storage.
 * - string = Utf8 | LargeUtf8 | Utf8View; binary = Binary | LargeBinary | BinaryView;
 *   array = List | LargeList (the element field's name, "item"/"element", is not compared);
 *   map = Map (entry field names and keysSorted are not compared); date = Date32 | Date64.
 *   Dictionary encoding is unwrapped to its value type.
 * - Timestamps: a zoned Arrow timestamp (any unit, any non-null zone: "UTC", "+00:00", "Etc/UTC")
 *   is Delta `timestamp`, an instant; the zone only affects display. A zoneless one is
 *   `timestamp_ntz`, EXCEPT a column the Parquet file stores as INT96: Spark writes INT96 only for
 *   its TimestampType (an instant: Delta `timestamp`), and arrow-rs (inside parquet-wasm) decodes
 *   INT96 as zoneless Timestamp(ns). INT96 columns are recognised from the Parquet footer's
 *   physical types (`parquetLeafTypes`), not guessed from the unit.
 *   Values are compared at full precision, rendered at microsecond precision (Delta's): a value
 *   whose unit is finer (ns) but holds whole microseconds renders exactly like the microsecond
 *   value; one with a sub-microsecond remainder renders with nine fraction digits, so it can never
 *   silently equal a microsecond value.
 * - Nullability is not compared (Spark writes every column of a data file as nullable).
 * - Columns are matched by name, top level and inside structs; column order is not compared
 *   (the README: "compare by column name").
 * - Rows are a multiset: order-insensitive, duplicates counted. Map entries are compared as a set
 *   of key/value pairs (a Delta map is unordered); array element order is significant.
 * - Values: long as exact bigint; decimal as its unscaled integer placed at the scale's position
 *   ("1.50" for decimal(p,2), never "1.5"); float/double as the shortest round-trip decimal of
 *   the exact value (float32 widened exactly), with NaN, Infinity and -0 distinct; binary as hex;
 *   strings JSON-quoted (so the string "null" differs from null); a null struct differs from a
 *   struct whose fields are all null; date as yyyy-mm-dd; timestamps as ISO-8601 with "Z" for
 *   `timestamp` and without for `timestamp_ntz`.
 *
 * Anything else (Time, Interval, Duration, unsigned or half-float types, unions, fixed-size
 * lists) has no Delta type: it becomes `unsupported<…>`, which only equals the same Arrow type.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  DateUnit,
  makeVector,
  TimeUnit,
  Type,
  type Data,
  type DataType,
  type Field,
  type RecordBatch,
  type Schema,
  type Table,
  type Vector,
} from 'apache-arrow';
import { readParquet, readParquetFooter } from '../../src/engine/parquet.js';

// ---------------------------------------------------------------------------------------------
// Logical types

export type LogicalType =
  | {
      readonly kind:
        | 'byte'
        | 'short'
        | 'integer'
        | 'long'
        | 'float'
        | 'double'
        | 'boolean'
        | 'string'
        | 'binary'
        | 'date'
        | 'timestamp'
        | 'timestamp_ntz';
    }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'array'; readonly element: LogicalType }
  | { readonly kind: 'map'; readonly key: LogicalType; readonly value: LogicalType }
  | { readonly kind: 'struct'; readonly fields: readonly { readonly name: string; readonly type: LogicalType }[] }
  | { readonly kind: 'unsupported'; readonly arrow: string };

/** A Delta-style spelling: `struct<a: integer, b: array<decimal(5,2)>>`. */
export function formatLogicalType(type: LogicalType, options: { sortFields?: boolean } = {}): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'array':
      return `array<${formatLogicalType(type.element, options)}>`;
    case 'map':
      return `map<${formatLogicalType(type.key, options)}, ${formatLogicalType(type.value, options)}>`;
    case 'struct': {
      const fields = options.sortFields ? [...type.fields].sort((a, b) => compareStrings(a.name, b.name)) : type.fields;
      return `struct<${fields.map((f) => `${f.name}: ${formatLogicalType(f.type, options)}`).join(', ')}>`;
    }
    case 'unsupported':
      return `unsupported<${type.arrow}>`;
    default:
      return type.kind;
  }
}

/** Equality as the comparison uses it: struct fields by name, in any order. */
export function sameLogicalType(a: LogicalType, b: LogicalType): boolean {
  return formatLogicalType(a, { sortFields: true }) === formatLogicalType(b, { sortFields: true });
}

/**
 * The logical type of an Arrow field. `int96Leaves` holds the depth-first indexes of the leaves
 * (primitive columns) that the Parquet file stored as INT96; `firstLeaf` is the index of this
 * field's first leaf in that numbering. Returns the type and the number of leaves it spans.
 */
export function logicalTypeOf(
  type: DataType,
  int96Leaves: ReadonlySet<number> = new Set(),
  firstLeaf = 0,
): { type: LogicalType; leaves: number } {
  const leaf = (t: LogicalType) => ({ type: t, leaves: 1 });
  switch (type.typeId) {
    case Type.Int: {
      const t = type as DataType<Type.Int> & { isSigned: boolean; bitWidth: number };
      if (!t.isSigned) return leaf({ kind: 'unsupported', arrow: String(type) });
      const kind = ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as const)[t.bitWidth as 8 | 16 | 32 | 64];
      return leaf(kind === undefined ? { kind: 'unsupported', arrow: String(type) } : { kind });
    }
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      // Precision enum: HALF = 0, SINGLE = 1, DOUBLE = 2.
      if (precision === 1) return leaf({ kind: 'float' });
      if (precision === 2) return leaf({ kind: 'double' });
      return leaf({ kind: 'unsupported', arrow: String(type) });
    }
    case Type.Bool:
      return leaf({ kind: 'boolean' });
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return leaf({ kind: 'string' });
    case Type.Binary:
    case Type.LargeBinary:
    case Type.BinaryView:
      return leaf({ kind: 'binary' });
    case Type.Date:
      return leaf({ kind: 'date' });
    case Type.Decimal: {
      const t = type as unknown as { precision: number; scale: number };
      return leaf({ kind: 'decimal', precision: t.precision, scale: t.scale });
    }
    case Type.Timestamp: {
      const zone = (type as unknown as { timezone: string | null | undefined }).timezone;
      const instant = (zone !== null && zone !== undefined && zone !== '') || int96Leaves.has(firstLeaf);
      return leaf({ kind: instant ? 'timestamp' : 'timestamp_ntz' });
    }
    case Type.Dictionary:
      return logicalTypeOf((type as unknown as { dictionary: DataType }).dictionary, int96Leaves, firstLeaf);
    case Type.List:
    case Type.LargeList: {
      const child = type.children[0]!;
      const element = logicalTypeOf(child.type, int96Leaves, firstLeaf);
      return { type: { kind: 'array', element: element.type }, leaves: element.leaves };
    }
    case Type.Map: {
      const entries = type.children[0]!.type;
      const [keyField, valueField] = entries.children as Field[];
      if (keyField === undefined || valueField === undefined) return leaf({ kind: 'unsupported', arrow: String(type) });
      const key = logicalTypeOf(keyField.type, int96Leaves, firstLeaf);
      const value = logicalTypeOf(valueField.type, int96Leaves, firstLeaf + key.leaves);
      return { type: { kind: 'map', key: key.type, value: value.type }, leaves: key.leaves + value.leaves };
    }
    case Type.Struct: {
      const fields: { name: string; type: LogicalType }[] = [];
      let leaves = 0;
      for (const child of type.children as Field[]) {
        const t = logicalTypeOf(child.type, int96Leaves, firstLeaf + leaves);
        fields.push({ name: child.name, type: t.type });
        leaves += t.leaves;
      }
      return { type: { kind: 'struct', fields }, leaves };
    }
    default:
      return { type: { kind: 'unsupported', arrow: String(type) }, leaves: countArrowLeaves(type) };
  }
}

function countArrowLeaves(type: DataType): number {
  if (type.typeId === Type.Dictionary) return 1;
  const children = (type.children ?? []) as Field[];
  if (children.length === 0) return 1;
  return children.reduce((sum, child) => sum + countArrowLeaves(child.type), 0);
}

// ---------------------------------------------------------------------------------------------
// Parquet footer: physical types of the leaf columns (to recognise INT96)

/** Parquet physical types (parquet.thrift `Type`). */
export const ParquetPhysicalType = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  INT96: 3,
  FLOAT: 4,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
  FIXED_LEN_BYTE_ARRAY: 7,
} as const;

export interface ParquetLeaf {
  readonly path: readonly string[];
  readonly physicalType: number;
}

/**
 * The leaf columns of a Parquet file, depth first, with their physical types, from the footer's
 * FileMetaData.schema (read by src/engine/parquet.ts). arrow-rs maps Parquet leaves to Arrow
 * leaves one to one and in this order.
 */
export function parquetLeafTypes(bytes: Uint8Array, path?: string): ParquetLeaf[] {
  const elements = readParquetFooter(bytes, path === undefined ? {} : { path }).schema;
  const leaves: ParquetLeaf[] = [];
  let next = 1;
  const walk = (prefix: string[]) => {
    const element = elements[next++];
    if (element === undefined) throw new Error(`${path ?? 'Parquet file'}: the footer's schema tree is truncated`);
    const here = [...prefix, element.name];
    if (element.numChildren === undefined || element.numChildren === 0) {
      if (element.physicalType === undefined) throw new Error(`${path ?? 'Parquet file'}: leaf ${here.join('.')} has no physical type`);
      leaves.push({ path: here, physicalType: element.physicalType });
      return;
    }
    for (let i = 0; i < element.numChildren; i++) walk(here);
  };
  const rootChildren = elements[0]?.numChildren ?? 0;
  for (let i = 0; i < rootChildren; i++) walk([]);
  return leaves;
}

// ---------------------------------------------------------------------------------------------
// Canonical values

type Render = (data: Data, index: number) => string;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the renderer of one Arrow type as the logical type `logical` (already derived from it). */
function rendererFor(type: DataType, logical: LogicalType): Render {
  const nullable = (render: Render): Render => (data, i) => (data.getValid(i) ? render(data, i) : 'null');

  if (type.typeId === Type.Dictionary) {
    const valueType = (type as unknown as { dictionary: DataType }).dictionary;
    const inner = rendererFor(valueType, logical);
    return nullable((data, i) => {
      const dictionary = (data as unknown as { dictionary?: Vector }).dictionary;
      if (dictionary === undefined) throw new Error('dictionary-encoded column without a dictionary');
      const key = Number((data.values as ArrayLike<number | bigint>)[i]);
      const { chunk, index } = locate(dictionary, key);
      return inner(chunk, index);
    });
  }

  switch (logical.kind) {
    case 'byte':
    case 'short':
    case 'integer':
      return nullable((data, i) => String((data.values as Int32Array)[i]));
    case 'long':
      return nullable((data, i) => String((data.values as BigInt64Array)[i]));
    case 'float':
    case 'double':
      return nullable((data, i) => formatFloat((data.values as Float64Array)[i]!));
    case 'boolean':
      return nullable((data, i) => {
        const bit = data.offset + i;
        return ((data.values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1 ? 'true' : 'false';
      });
    case 'string':
      if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) {
        const decoder = new TextDecoder('utf-8', { fatal: true });
        return nullable((data, i) => JSON.stringify(decoder.decode(variableWidth(data, i))));
      }
      return nullable((data, i) => JSON.stringify(String(makeVector(data).get(i))));
    case 'binary':
      if (type.typeId === Type.Binary || type.typeId === Type.LargeBinary) {
        return nullable((data, i) => `0x${Buffer.from(variableWidth(data, i)).toString('hex')}`);
      }
      return nullable((data, i) => `0x${Buffer.from(makeVector(data).get(i) as Uint8Array).toString('hex')}`);
    case 'date': {
      const unit = (type as unknown as { unit: DateUnit }).unit;
      if (unit === DateUnit.DAY) return nullable((data, i) => formatDate((data.values as Int32Array)[i]!));
      return nullable((data, i) => {
        const ms = (data.values as BigInt64Array)[i]!;
        return ms % 86_400_000n === 0n ? formatDate(Number(ms / 86_400_000n)) : `date(${ms}ms, not a whole day)`;
      });
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      const unit = (type as unknown as { unit: TimeUnit }).unit;
      const toNanos = { [TimeUnit.SECOND]: 1_000_000_000n, [TimeUnit.MILLISECOND]: 1_000_000n, [TimeUnit.MICROSECOND]: 1_000n, [TimeUnit.NANOSECOND]: 1n }[unit];
      const zone = logical.kind === 'timestamp' ? 'Z' : '';
      return nullable((data, i) => formatTimestamp((data.values as BigInt64Array)[i]! * toNanos, zone));
    }
    case 'decimal': {
      const bitWidth = (type as unknown as { bitWidth: number }).bitWidth;
      const words = bitWidth / 32;
      return nullable((data, i) => formatDecimal((data.values as Uint32Array).subarray(i * words, (i + 1) * words), logical.scale));
    }
    case 'array': {
      const child = type.children[0]!;
      const element = rendererFor(child.type, logical.element);
      return nullable((data, i) => {
        const [from, to] = offsetsOf(data, i);
        const values = data.children[0]!;
        const out: string[] = [];
        for (let j = from; j < to; j++) out.push(element(values, j));
        return `[${out.join(', ')}]`;
      });
    }
    case 'map': {
      const entriesType = type.children[0]!.type;
      const [keyField, valueField] = entriesType.children as Field[];
      const key = rendererFor(keyField!.type, logical.key);
      const value = rendererFor(valueField!.type, logical.value);
      return nullable((data, i) => {
        const [from, to] = offsetsOf(data, i);
        const entries = data.children[0]!;
        const [keys, values] = entries.children as Data[];
        const out: string[] = [];
        for (let j = from; j < to; j++) out.push(`${key(keys!, j)} -> ${value(values!, j)}`);
        out.sort(compareStrings);
        return `{${out.join(', ')}}`;
      });
    }
    case 'struct': {
      const children = type.children as Field[];
      const order = children
        .map((field, index) => ({ name: field.name, index, render: rendererFor(field.type, logical.fields[index]!.type) }))
        .sort((a, b) => compareStrings(a.name, b.name));
      return nullable((data, i) => `{${order.map((c) => `${c.name}: ${c.render(data.children[c.index]!, i)}`).join(', ')}}`);
    }
    case 'unsupported':
      return nullable((data, i) => `${logical.arrow}(${String(makeVector(data).get(i))})`);
  }
}

function variableWidth(data: Data, i: number): Uint8Array {
  const [from, to] = offsetsOf(data, i);
  return (data.values as Uint8Array).subarray(from, to);
}

function offsetsOf(data: Data, i: number): [number, number] {
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  return [Number(offsets[i]), Number(offsets[i + 1])];
}

/** The Data chunk of `vector` holding element `index`, and the index within it. */
function locate(vector: Vector, index: number): { chunk: Data; index: number } {
  let rest = index;
  for (const chunk of vector.data) {
    if (rest < chunk.length) return { chunk, index: rest };
    rest -= chunk.length;
  }
  throw new Error(`index ${index} out of range of a dictionary of ${vector.length}`);
}

function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function formatDate(days: number): string {
  const ms = days * 86_400_000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `date(${days} days)`;
  return new Date(ms).toISOString().split('T')[0]!;
}

/** Nanoseconds since the epoch → ISO-8601, microsecond digits unless a sub-microsecond part exists. */
export function formatTimestamp(nanos: bigint, zone: 'Z' | ''): string {
  let seconds = nanos / 1_000_000_000n;
  let fraction = nanos % 1_000_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000_000n;
    seconds -= 1n;
  }
  const ms = Number(seconds) * 1000;
  if (Math.abs(ms) > 8.64e15) return `timestamp(${nanos}ns${zone === 'Z' ? ' UTC' : ''})`;
  const digits = fraction.toString().padStart(9, '0');
  const shown = digits.endsWith('000') ? digits.slice(0, 6) : digits;
  return `${new Date(ms).toISOString().replace(/\.\d{3}Z$/, '')}.${shown}${zone}`;
}

/** Little-endian two's-complement words → the decimal's exact value with `scale` fraction digits. */
export function formatDecimal(words: Uint32Array, scale: number): string {
  let unscaled = 0n;
  for (let k = words.length - 1; k >= 0; k--) unscaled = (unscaled << 32n) | BigInt(words[k]!);
  const bits = BigInt(words.length * 32);
  if (unscaled >> (bits - 1n)) unscaled -= 1n << bits;
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) {
    digits = unscaled === 0n ? '0' : digits + '0'.repeat(-scale);
  }
  return negative ? `-${digits}` : digits;
}

// ---------------------------------------------------------------------------------------------
// Content: columns and the multiset of rows

export interface ColumnInfo {
  readonly type: LogicalType;
  /** Where the type came from, for messages: the Arrow type, and "Parquet INT96" when it was. */
  readonly origin: string;
}

export class Content {
  /** Column name → type, from the first part (every later part must agree). */
  readonly columns = new Map<string, ColumnInfo>();
  /** Canonical row → how many times it occurs. */
  readonly rows = new Map<string, number>();
  rowCount = 0;
  private firstSource: string | undefined;

  constructor(readonly label: string) {}

  /**
   * Adds a part: a schema and its batches (a Parquet file, a scan batch). `int96Leaves` are the
   * depth-first indexes of the Arrow leaves stored as INT96 (only for Parquet-decoded parts).
   */
  addPart(schema: Schema, batches: Iterable<RecordBatch>, options: { int96Leaves?: ReadonlySet<number>; source?: string } = {}): void {
    const source = options.source ?? this.label;
    const columns = describeColumns(schema, options.int96Leaves ?? new Set());
    if (this.firstSource === undefined) {
      for (const [name, info] of columns) this.columns.set(name, info);
      this.firstSource = source;
    } else {
      const problems = diffColumns(this.columns, columns, this.firstSource, source);
      if (problems.length > 0) {
        throw new Error(`${this.label}: parts disagree on the schema (${problems.join('; ')})`);
      }
    }
    const order = schema.fields
      .map((field, index) => ({ name: field.name, index, render: rendererFor(field.type, columns.get(field.name)!.type) }))
      .sort((a, b) => compareStrings(a.name, b.name));
    for (const batch of batches) {
      const children = batch.data.children;
      if (children.length !== order.length) {
        throw new Error(`${source}: a batch has ${children.length} columns, its schema ${order.length}`);
      }
      for (let row = 0; row < batch.numRows; row++) {
        const text = `{${order.map((c) => `${c.name}: ${c.render(children[c.index]!, row)}`).join(', ')}}`;
        this.rows.set(text, (this.rows.get(text) ?? 0) + 1);
      }
      this.rowCount += batch.numRows;
    }
  }

  /**
   * Reads expected content: one Parquet file, or every visible `*.parquet` file of a directory.
   * `adjust` may rewrite a file's values before they are canonicalized (a documented per-case
   * correction of the expected data); it must keep the schema's types.
   */
  static async fromParquet(
    path: string,
    label = path,
    options: { adjust?: (table: Table, file: string) => Table } = {},
  ): Promise<Content> {
    const content = new Content(label);
    const files = (await stat(path)).isDirectory()
      ? (await readdir(path))
          .filter((name) => name.endsWith('.parquet') && !name.startsWith('.') && !name.startsWith('_'))
          .sort()
          .map((name) => join(path, name))
      : [path];
    if (files.length === 0) throw new Error(`${path}: no Parquet files`);
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(file));
      const read = readParquet(bytes, { path: file });
      const table = options.adjust === undefined ? read : options.adjust(read, file);
      const leaves = parquetLeafTypes(bytes, file);
      const arrowLeaves = table.schema.fields.reduce((sum, f) => sum + countArrowLeaves(f.type), 0);
      if (arrowLeaves !== leaves.length) {
        throw new Error(`${file}: ${leaves.length} Parquet leaf columns but ${arrowLeaves} Arrow leaves; cannot tell which are INT96`);
      }
      const int96Leaves = new Set(leaves.flatMap((leaf, index) => (leaf.physicalType === ParquetPhysicalType.INT96 ? [index] : [])));
      content.addPart(table.schema, table.batches, { int96Leaves, source: basename(file) });
    }
    return content;
  }

  /**
   * Collects a scan. `schema` (the snapshot's logical Arrow schema) supplies the columns when the
   * scan yields no batch at all; batches bring their own schemas otherwise.
   */
  static async fromBatches(batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>, schema: Schema | undefined, label: string): Promise<Content> {
    const content = new Content(label);
    let index = 0;
    for await (const batch of batches) content.addPart(batch.schema, [batch], { source: `${label} batch ${index++}` });
    if (index === 0) {
      if (schema === undefined) throw new Error(`${label}: no batches and no schema`);
      content.addPart(schema, [], { source: `${label} schema` });
    }
    return content;
  }
}


function describeColumns(schema: Schema, int96Leaves: ReadonlySet<number>): Map<string, ColumnInfo> {
  const columns = new Map<string, ColumnInfo>();
  let leaf = 0;
  for (const field of schema.fields) {
    if (columns.has(field.name)) throw new Error(`column ${JSON.stringify(field.name)} appears twice`);
    const { type, leaves } = logicalTypeOf(field.type, int96Leaves, leaf);
    const int96 = [...Array(leaves).keys()].some((k) => int96Leaves.has(leaf + k));
    columns.set(field.name, { type, origin: `Arrow ${String(field.type)}${int96 ? ', Parquet INT96' : ''}` });
    leaf += leaves;
  }
  return columns;
}

function diffColumns(
  expected: ReadonlyMap<string, ColumnInfo>,
  actual: ReadonlyMap<string, ColumnInfo>,
  expectedName = 'expected',
  actualName = 'actual',
): string[] {
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((name) => !actual.has(name));
  const extra = [...actual.keys()].filter((name) => !expected.has(name));
  if (missing.length > 0) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((n) => JSON.stringify(n)).join(', ')} (in ${expectedName}, not in ${actualName})`);
  if (extra.length > 0) problems.push(`extra column${extra.length > 1 ? 's' : ''} ${extra.map((n) => JSON.stringify(n)).join(', ')} (in ${actualName}, not in ${expectedName})`);
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (got === undefined || sameLogicalType(want.type, got.type)) continue;
    problems.push(
      `column ${JSON.stringify(name)}: ${expectedName} has ${formatLogicalType(want.type)} (${want.origin}), ${actualName} has ${formatLogicalType(got.type)} (${got.origin})`,
    );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Comparison

export interface Mismatch {
  /** One line: what differs. */
  readonly summary: string;
  /** Further lines: the differing columns or a few missing/extra rows. */
  readonly details: readonly string[];
}

const SHOWN_ROWS = 5;
const SHOWN_ROW_CHARS = 400;

/** Compares expected with actual content; undefined when they are equal. */
export function compareContent(expected: Content, actual: Content): Mismatch | undefined {
  const columnProblems = diffColumns(expected.columns, actual.columns);
  if (columnProblems.length > 0) {
    return { summary: `schema differs: ${columnProblems.join('; ')}`, details: columnProblems };
  }
  const missing: [string, number][] = [];
  const extra: [string, number][] = [];
  for (const [row, want] of expected.rows) {
    const got = actual.rows.get(row) ?? 0;
    if (got < want) missing.push([row, want - got]);
  }
  for (const [row, got] of actual.rows) {
    const want = expected.rows.get(row) ?? 0;
    if (got > want) extra.push([row, got - want]);
  }
  if (missing.length === 0 && extra.length === 0) return undefined;
  const count = (list: [string, number][]) => list.reduce((sum, [, n]) => sum + n, 0);
  const show = (list: [string, number][]) =>
    list
      .sort((a, b) => compareStrings(a[0], b[0]))
      .slice(0, SHOWN_ROWS)
      .map(([row, n]) => `${row.length > SHOWN_ROW_CHARS ? `${row.slice(0, SHOWN_ROW_CHARS)}…` : row}${n > 1 ? ` ×${n}` : ''}`);
  const details: string[] = [];
  if (missing.length > 0) {
    details.push(`missing (expected, not returned): ${count(missing)}`, ...show(missing).map((r) => `  - ${r}`));
    if (missing.length > SHOWN_ROWS) details.push(`  … and ${missing.length - SHOWN_ROWS} more distinct rows`);
  }
  if (extra.length > 0) {
    details.push(`extra (returned, not expected): ${count(extra)}`, ...show(extra).map((r) => `  + ${r}`));
    if (extra.length > SHOWN_ROWS) details.push(`  … and ${extra.length - SHOWN_ROWS} more distinct rows`);
  }
  const first = missing[0] ?? extra[0];
  const firstShown = first === undefined ? '' : `; first ${missing.length > 0 ? 'missing' : 'extra'}: ${first[0].slice(0, 160)}`;
  return {
    summary: `rows differ: expected ${expected.rowCount}, got ${actual.rowCount}; ${count(missing)} missing, ${count(extra)} extra${firstShown}`,
    details,
  };
}

/** The mismatch as text: the summary, then the details indented. */
export function formatMismatch(mismatch: Mismatch): string {
  return [mismatch.summary, ...mismatch.details.map((line) => `  ${line}`)].join('\n');
}

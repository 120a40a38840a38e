/**
 * Test data for the predicate suites: small Arrow batches built value by value, the same rows in
 * DuckDB (the oracle for row filtering), random rows and random predicates.
 */
import {
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimeUnit,
  Timestamp,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { formatDate, formatDecimal, formatTimestamp } from '../../src/engine/json-values.js';

export type Value = null | boolean | number | bigint | string | { [key: string]: Value };

function bitmap(values: readonly Value[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8) || 1);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap, nullCount };
}

/** Arrow data of `type` holding `values` (null for null; decimals as unscaled bigints; dates as days; timestamps as µs). */
export function dataOf(type: DataType, values: readonly Value[]): Data {
  const length = values.length;
  const { nullBitmap, nullCount } = bitmap(values);
  const base = { length, nullCount, nullBitmap };
  if (type instanceof Int32 || type instanceof DateDay) {
    return makeData({ type, ...base, data: Int32Array.from(values, (v) => (v === null ? 0 : Number(v))) } as never);
  }
  if (type instanceof Int64 || type instanceof Timestamp) {
    return makeData({ type, ...base, data: BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(v as bigint))) } as never);
  }
  if (type instanceof Float64) return makeData({ type, ...base, data: Float64Array.from(values, (v) => (v === null ? 0 : (v as number))) });
  if (type instanceof Float32) return makeData({ type, ...base, data: Float32Array.from(values, (v) => (v === null ? 0 : (v as number))) });
  if (type instanceof Bool) {
    const data = new Uint8Array(Math.ceil(length / 8) || 1);
    values.forEach((v, i) => {
      if (v === true) data[i >> 3]! |= 1 << (i & 7);
    });
    return makeData({ type, ...base, data });
  }
  if (type instanceof Decimal) {
    const words = new Uint32Array(length * 4);
    values.forEach((v, i) => {
      const bits = BigInt.asUintN(128, v === null ? 0n : (v as bigint));
      for (let k = 0; k < 4; k++) words[i * 4 + k] = Number((bits >> BigInt(32 * k)) & 0xffffffffn);
    });
    return makeData({ type, ...base, data: words });
  }
  if (type instanceof Utf8) {
    const encoder = new TextEncoder();
    const parts = values.map((v) => encoder.encode(v === null ? '' : (v as string)));
    const valueOffsets = new Int32Array(length + 1);
    parts.forEach((p, i) => (valueOffsets[i + 1] = valueOffsets[i]! + p.length));
    const data = new Uint8Array(valueOffsets[length]!);
    parts.forEach((p, i) => data.set(p, valueOffsets[i]!));
    return makeData({ type, ...base, valueOffsets, data });
  }
  if (type instanceof Struct) {
    const children = type.children.map((child) =>
      dataOf(
        child.type,
        values.map((v) => (v === null ? null : ((v as Record<string, Value>)[child.name] ?? null))),
      ),
    );
    return makeData({ type, ...base, children });
  }
  throw new Error(`no test data for ${String(type)}`);
}

export interface TestColumn {
  readonly name: string;
  readonly type: DataType;
  /** The DuckDB column type. */
  readonly sql: string;
  /** A value as a DuckDB literal. */
  readonly literal: (value: Value) => string;
}

const str = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const dbl = (v: number): string => (Number.isNaN(v) ? "'NaN'::DOUBLE" : v === Infinity ? "'Infinity'::DOUBLE" : v === -Infinity ? "'-Infinity'::DOUBLE" : Object.is(v, -0) ? "'-0.0'::DOUBLE" : `(${v})::DOUBLE`);

export const COLUMNS: readonly TestColumn[] = [
  { name: 'i', type: new Int32(), sql: 'INTEGER', literal: (v) => String(v) },
  { name: 'l', type: new Int64(), sql: 'BIGINT', literal: (v) => `(${v})::BIGINT` },
  { name: 'dec', type: new Decimal(2, 10, 128), sql: 'DECIMAL(10,2)', literal: (v) => `(${formatDecimal(v as bigint, 2)})::DECIMAL(10,2)` },
  { name: 'd', type: new Float64(), sql: 'DOUBLE', literal: (v) => dbl(v as number) },
  { name: 'f', type: new Float32(), sql: 'FLOAT', literal: (v) => `(${dbl(v as number)})::FLOAT` },
  { name: 's', type: new Utf8(), sql: 'VARCHAR', literal: (v) => str(v as string) },
  { name: 'dt', type: new DateDay(), sql: 'DATE', literal: (v) => `DATE '${formatDate(BigInt(v as number))}'` },
  { name: 'ts', type: new Timestamp(TimeUnit.MICROSECOND, 'UTC'), sql: 'TIMESTAMPTZ', literal: (v) => `TIMESTAMPTZ '${formatTimestamp(v as bigint, false)}+00'` },
  { name: 'ntz', type: new Timestamp(TimeUnit.MICROSECOND, null), sql: 'TIMESTAMP', literal: (v) => `TIMESTAMP '${formatTimestamp(v as bigint, false)}'` },
  { name: 'b', type: new Bool(), sql: 'BOOLEAN', literal: (v) => (v ? 'TRUE' : 'FALSE') },
  {
    name: 'st',
    type: new Struct([new Field('x', new Int32(), true), new Field('y', new Utf8(), true)]),
    sql: 'STRUCT(x INTEGER, y VARCHAR)',
    literal: (v) => {
      const o = v as Record<string, Value>;
      return `{'x': ${o['x'] === null ? 'NULL' : String(o['x'])}, 'y': ${o['y'] === null ? 'NULL' : str(o['y'] as string)}}::STRUCT(x INTEGER, y VARCHAR)`;
    },
  },
];

export const SCHEMA = new Schema(COLUMNS.map((c) => new Field(c.name, c.type, true)));

export type Row = Record<string, Value>;

export function batchOf(rows: readonly Row[], columns: readonly TestColumn[] = COLUMNS): RecordBatch {
  const schema = new Schema(columns.map((c) => new Field(c.name, c.type, true)));
  const children = columns.map((c) => dataOf(c.type, rows.map((r) => r[c.name] ?? null)));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
}

// ---------------------------------------------------------------------------------------------
// Random rows and predicates

export class Random {
  constructor(private seed: number) {}
  next(): number {
    // mulberry32
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const DAY = 86_400_000_000n;
const BASE_DAY = 18628; // 2021-01-01
const STRINGS = ['', 'a', 'ab', 'abc', 'abd', 'b', 'ba', 'A', 'é', 'éa', 'z', '😀', '\uFFFD', 'a%b', 'a_c', 'x-[x]', '(a|b).*\\\\', '^$'];
const DOUBLES = [0, -0, 0.5, -1.5, 1, 2.25, 1e300, -1e300, NaN, Infinity, -Infinity, 0.1];
const FLOATS = [0, 0.5, -1.5, 1, Math.fround(0.1), Math.fround(2.2), NaN];

export function randomValue(r: Random, column: string): Value {
  if (r.chance(0.15)) return null;
  switch (column) {
    case 'i':
      return r.int(13) - 6;
    case 'l':
      return r.pick([0n, 1n, -1n, 5n, 9007199254740993n, -9007199254740993n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]);
    case 'dec':
      return BigInt(r.int(2001) - 1000); // -10.00 … 10.00
    case 'd':
      return r.pick(DOUBLES);
    case 'f':
      return r.pick(FLOATS);
    case 's':
      return r.pick(STRINGS);
    case 'dt':
      return BASE_DAY + r.int(7) - 3;
    case 'ts':
    case 'ntz':
      return BigInt(BASE_DAY) * DAY + BigInt(r.int(5) - 2) * DAY + BigInt(r.pick([0, 1, 999, 1000, 3_600_000_000, 43_200_000_000]));
    case 'b':
      return r.chance(0.5);
    case 'st':
      return { x: r.chance(0.2) ? null : r.int(7) - 3, y: r.chance(0.2) ? null : r.pick(STRINGS) };
    default:
      throw new Error(column);
  }
}

export function randomRows(r: Random, count: number): Row[] {
  return Array.from({ length: count }, () => Object.fromEntries(COLUMNS.map((c) => [c.name, randomValue(r, c.name)])));
}

/** A random literal suitable for comparing with `column` (SQL text). */
function randomLiteral(r: Random, column: string): string {
  if (r.chance(0.05)) return 'NULL';
  switch (column) {
    case 'i':
    case 'st.x':
      return r.pick([String(r.int(13) - 6), `'${r.int(7) - 3}'`, `${r.int(7) - 3}.5`, `${r.int(7) - 3}.0`, '1e0', '-2.5e0', '2147483648', `${r.int(5)}::TINYINT`]);
    case 'l':
      return r.pick(['0', '1', '-1', '9007199254740992', '9007199254740993', '4611686018427387904', '-9223372036854775808', '1e18', "'5'", '9223372036854775807.5']);
    case 'dec':
      return r.pick(['0', '1.25', '-3.5', '1.255', "'2.50'", '10', '-10.001', '0.1e1', `${r.int(21) - 10}`]);
    case 'd':
      return r.pick(['0', '0.5', '-1.5', '1e300', "'NaN'::DOUBLE", "'Infinity'::DOUBLE", '0.1', "'-0.0'::DOUBLE", '1', "'2.25'"]);
    case 'f':
      return r.pick(['0.1', '0.5', '0.1::DOUBLE', "'NaN'::FLOAT", '1', '2.2', "'0.1'"]);
    case 's':
    case 'st.y':
      return `'${r.pick(STRINGS).replaceAll("'", "''")}'`;
    case 'dt':
      return r.pick([`DATE '2021-01-0${r.int(4) + 1}'`, `'2021-01-0${r.int(4) + 1}'`, "TIMESTAMP '2021-01-02 12:00:00'", "'2020-12-30 10:00'", "TIMESTAMPTZ '2021-01-01 00:00:00+00'"]);
    case 'ts':
    case 'ntz':
      return r.pick([
        "TIMESTAMP '2021-01-01 00:00:00'",
        "TIMESTAMPTZ '2021-01-01 02:00:00+02'",
        "'2021-01-02 12:00:00'",
        "'2021-01-01T00:00:00.000001Z'",
        "DATE '2021-01-02'",
        "'2020-12-31 00:00:00.001'",
        "TIMESTAMP '2021-01-03 00:00:00.000999'",
      ]);
    case 'b':
      return r.pick(['TRUE', 'FALSE', "'true'", "'f'"]);
    default:
      throw new Error(column);
  }
}

const LEAVES = ['i', 'l', 'dec', 'd', 'f', 's', 'dt', 'ts', 'ntz', 'b', 'st.x', 'st.y'];
const OPS = ['=', '<>', '<', '<=', '>', '>=', '!='];
const COLUMN_PAIRS: readonly (readonly [string, string])[] = [
  ['i', 'st.x'],
  ['s', 'st.y'],
  ['dt', 'ts'],
  ['dt', 'ntz'],
  ['ts', 'ntz'],
  ['l', 'i'],
  ['d', 'f'],
  ['dec', 'i'],
  ['dec', 'd'],
  ['f', 'i'],
  ['f', 'dec'],
];

/** A random predicate in SQL over the test columns, `depth` levels of AND/OR/NOT at most. */
export function randomPredicate(r: Random, depth = 3): string {
  if (depth > 0 && r.chance(0.45)) {
    const kind = r.pick(['AND', 'OR', 'NOT']);
    if (kind === 'NOT') return `NOT (${randomPredicate(r, depth - 1)})`;
    return `(${randomPredicate(r, depth - 1)}) ${kind} (${randomPredicate(r, depth - 1)})`;
  }
  if (r.chance(0.08)) {
    // Two columns compared with each other.
    const [a, b] = r.pick(COLUMN_PAIRS);
    return r.chance(0.2) ? `${a} IN (${b}, ${randomLiteral(r, a)})` : `${a} ${r.pick(OPS)} ${b}`;
  }
  const column = r.pick(LEAVES);
  const ref = column === 'st.x' || column === 'st.y' ? column : r.chance(0.1) ? `"${column.toUpperCase()}"` : column;
  const stringy = column === 's' || column === 'st.y';
  switch (r.int(stringy ? 9 : 7)) {
    case 0:
      return `${ref} IS ${r.chance(0.5) ? 'NOT ' : ''}NULL`;
    case 1:
      return `${ref} ${r.chance(0.3) ? 'NOT ' : ''}IN (${Array.from({ length: r.int(3) + 1 }, () => randomLiteral(r, column)).join(', ')})`;
    case 2:
      return `${ref} ${r.chance(0.3) ? 'NOT ' : ''}BETWEEN ${randomLiteral(r, column)} AND ${randomLiteral(r, column)}`;
    case 3:
      return `${ref} IS ${r.chance(0.5) ? 'NOT ' : ''}DISTINCT FROM ${randomLiteral(r, column)}`;
    case 7:
    case 8:
      return `${ref} ${r.chance(0.3) ? 'NOT ' : ''}${r.chance(0.2) ? 'ILIKE' : 'LIKE'} '${r.pick(['a%', 'ab%', '%b', 'a_c', '%', '_', 'é%', 'A%', 'abc', 'a!%%', '😀%', '', '%-[x]', '(a|b).*\\\\%', '^$%'])}'${r.chance(0.2) ? " ESCAPE '!'" : ''}`;
    default:
      return r.chance(0.5) ? `${ref} ${r.pick(OPS)} ${randomLiteral(r, column)}` : `${randomLiteral(r, column)} ${r.pick(OPS)} ${ref}`;
  }
}

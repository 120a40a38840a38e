import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  Map_,
  Struct,
  Table,
  tableToIPC,
  TimeUnit,
  Timestamp,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareContent, Content, formatDecimal, formatMismatch, parquetLeafTypes, ParquetPhysicalType } from './compare.js';

function content(columns: Record<string, Vector>, options: { int96Leaves?: number[]; split?: number } = {}): Content {
  const table = new Table(columns);
  const result = new Content('test');
  const batches = options.split === undefined ? table.batches : [table.slice(0, options.split), table.slice(options.split)].flatMap((t) => t.batches);
  result.addPart(table.schema, batches, options.int96Leaves === undefined ? {} : { int96Leaves: new Set(options.int96Leaves) });
  return result;
}

const ints = (values: (number | null)[]) => vectorFromArray(values, new Int32());
const longs = (values: (bigint | null)[]) => vectorFromArray(values, new Int64());
const strings = (values: (string | null)[]) => vectorFromArray(values, new Utf8());

function timestamps(unit: TimeUnit, zone: string | null, values: bigint[]): Vector {
  const type = new Timestamp(unit, zone);
  return makeVector(makeData({ type, length: values.length, nullCount: 0, data: BigInt64Array.from(values) }));
}

/** Decimal vector from unscaled values (128-bit, little-endian words). */
function decimals(precision: number, scale: number, unscaled: bigint[]): Vector {
  const words = new Uint32Array(unscaled.length * 4);
  unscaled.forEach((v, i) => {
    let x = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) {
      words[i * 4 + k] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return makeVector(makeData({ type: new Decimal(scale, precision, 128), length: unscaled.length, nullCount: 0, data: words }));
}

function mismatch(expected: Content, actual: Content): string {
  const result = compareContent(expected, actual);
  expect(result, 'expected a mismatch').toBeDefined();
  return formatMismatch(result!);
}

describe('compareContent', () => {
  const base = () => content({ id: ints([1, 2, 3]), name: strings(['a', 'b', 'c']) });

  it('accepts the same rows in another order, batch split and column order', () => {
    const reordered = content({ name: strings(['c', 'a', 'b']), id: ints([3, 1, 2]) }, { split: 1 });
    expect(compareContent(base(), reordered)).toBeUndefined();
  });

  it('detects a changed value, showing the missing and the extra row', () => {
    const text = mismatch(base(), content({ id: ints([1, 2, 3]), name: strings(['a', 'B', 'c']) }));
    expect(text).toMatch(/^rows differ: expected 3, got 3; 1 missing, 1 extra/);
    expect(text).toContain('- {id: 2, name: "b"}');
    expect(text).toContain('+ {id: 2, name: "B"}');
  });

  it('detects a missing row', () => {
    const text = mismatch(base(), content({ id: ints([1, 3]), name: strings(['a', 'c']) }));
    expect(text).toMatch(/^rows differ: expected 3, got 2; 1 missing, 0 extra/);
    expect(text).toContain('- {id: 2, name: "b"}');
  });

  it('detects a duplicated row (rows are a multiset)', () => {
    const text = mismatch(base(), content({ id: ints([1, 2, 2, 3]), name: strings(['a', 'b', 'b', 'c']) }));
    expect(text).toMatch(/^rows differ: expected 3, got 4; 0 missing, 1 extra/);
    expect(text).toContain('+ {id: 2, name: "b"}');
  });

  it('detects a type change, naming the column and both types', () => {
    const text = mismatch(base(), content({ id: longs([1n, 2n, 3n]), name: strings(['a', 'b', 'c']) }));
    expect(text).toMatch(/^schema differs: column "id": expected has integer \(Arrow Int32\), actual has long \(Arrow Int64\)/);
  });

  it('detects an extra column and a missing column', () => {
    const extra = mismatch(base(), content({ id: ints([1, 2, 3]), name: strings(['a', 'b', 'c']), more: ints([0, 0, 0]) }));
    expect(extra).toMatch(/^schema differs: extra column "more"/);
    const missing = mismatch(base(), content({ id: ints([1, 2, 3]) }));
    expect(missing).toMatch(/^schema differs: missing column "name"/);
  });

  it('keeps 64-bit integers exact', () => {
    const a = content({ v: longs([2n ** 53n]) });
    const b = content({ v: longs([2n ** 53n + 1n]) });
    expect(mismatch(a, b)).toContain('- {v: 9007199254740992}');
  });

  it('compares decimals with their scale, and their precision and scale as type', () => {
    expect(formatDecimal(new Uint32Array([150, 0, 0, 0]), 2)).toBe('1.50');
    expect(formatDecimal(new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]), 3)).toBe('-0.001');
    expect(compareContent(content({ d: decimals(5, 2, [150n, -1n]) }), content({ d: decimals(5, 2, [-1n, 150n]) }))).toBeUndefined();
    expect(mismatch(content({ d: decimals(5, 2, [150n]) }), content({ d: decimals(5, 2, [151n]) }))).toContain('- {d: 1.50}');
    expect(mismatch(content({ d: decimals(5, 2, [150n]) }), content({ d: decimals(6, 3, [1500n]) }))).toContain(
      'expected has decimal(5,2) (Arrow Decimal[5e+2]), actual has decimal(6,3)',
    );
  });

  it('tells null from the string "null", and a null struct from a struct of nulls', () => {
    expect(mismatch(content({ s: strings([null]) }), content({ s: strings(['null']) }))).toContain('+ {s: "null"}');
    const type = new Struct([Field.new('x', new Int32())]);
    const nullStruct = content({ st: vectorFromArray([null], type) });
    const structOfNull = content({ st: vectorFromArray([{ x: null }], type) });
    const text = mismatch(nullStruct, structOfNull);
    expect(text).toContain('- {st: null}');
    expect(text).toContain('+ {st: {x: null}}');
  });

  it('compares struct fields by name, array elements in order, map entries as a set', () => {
    const ab = new Struct([Field.new('a', new Int32()), Field.new('b', new Utf8())]);
    const ba = new Struct([Field.new('b', new Utf8()), Field.new('a', new Int32())]);
    expect(compareContent(content({ s: vectorFromArray([{ a: 1, b: 'x' }], ab) }), content({ s: vectorFromArray([{ b: 'x', a: 1 }], ba) }))).toBeUndefined();

    const list = new List(Field.new('element', new Int32()));
    expect(mismatch(content({ l: vectorFromArray([[1, 2]], list) }), content({ l: vectorFromArray([[2, 1]], list) }))).toContain('- {l: [1, 2]}');

    const entries = new Struct<{ key: Utf8; value: Int32 }>([Field.new('key', new Utf8(), false), Field.new('value', new Int32())]);
    const map = new Map_(Field.new('entries', entries));
    const m1 = content({ m: vectorFromArray([new Map([['a', 1], ['b', 2]])], map) });
    const m2 = content({ m: vectorFromArray([new Map([['b', 2], ['a', 1]])], map) });
    expect(compareContent(m1, m2)).toBeUndefined();
    const m3 = content({ m: vectorFromArray([new Map([['a', 1], ['b', 3]])], map) });
    expect(mismatch(m1, m3)).toContain('- {m: {"a" -> 1, "b" -> 2}}');
  });

  it('treats NaN as equal to NaN and keeps -0 apart from 0', () => {
    const d = (values: number[]) => vectorFromArray(values, new Float64());
    expect(compareContent(content({ f: d([NaN, 1.5]) }), content({ f: d([1.5, NaN]) }))).toBeUndefined();
    expect(mismatch(content({ f: d([0]) }), content({ f: d([-0]) }))).toContain('+ {f: -0}');
  });

  it('reads a Spark INT96 column as a timestamp (instant) and compares at microsecond precision', () => {
    const micros = [1_600_000_000_123_456n, -1n];
    const int96 = content({ t: timestamps(TimeUnit.NANOSECOND, null, micros.map((m) => m * 1000n)) }, { int96Leaves: [0] });
    const delta = content({ t: timestamps(TimeUnit.MICROSECOND, 'UTC', micros) });
    expect(compareContent(int96, delta)).toBeUndefined();
    expect([...delta.rows.keys()].sort()).toEqual(['{t: 1969-12-31T23:59:59.999999Z}', '{t: 2020-09-13T12:26:40.123456Z}']);

    // The same zoneless nanoseconds without the INT96 mark are a timestamp_ntz: a type difference.
    const ntz = content({ t: timestamps(TimeUnit.NANOSECOND, null, micros.map((m) => m * 1000n)) });
    expect(mismatch(ntz, delta)).toContain('expected has timestamp_ntz (Arrow Timestamp<NANOSECOND>), actual has timestamp');

    // A sub-microsecond remainder is a real difference, never truncated away.
    const off = content({ t: timestamps(TimeUnit.NANOSECOND, null, [micros[0]! * 1000n + 1n, micros[1]! * 1000n]) }, { int96Leaves: [0] });
    expect(mismatch(off, delta)).toContain('- {t: 2020-09-13T12:26:40.123456001Z}');
  });

  it('treats every zone as an instant, and the unit as encoding', () => {
    const a = content({ t: timestamps(TimeUnit.MILLISECOND, '+00:00', [1_000n]) });
    const b = content({ t: timestamps(TimeUnit.MICROSECOND, 'UTC', [1_000_000n]) });
    expect(compareContent(a, b)).toBeUndefined();
  });

  it('rejects parts of one content that disagree on the schema', () => {
    const c = new Content('expected');
    c.addPart(new Table({ a: ints([1]) }).schema, []);
    expect(() => c.addPart(new Table({ a: longs([1n]) }).schema, [])).toThrow(/parts disagree on the schema/);
  });
});

describe('Parquet input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lake-compare-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every visible part file of a directory, and no other file', async () => {
    const part = (columns: Record<string, Vector>) => writeParquet(WasmTable.fromIPCStream(tableToIPC(new Table(columns), 'stream')));
    await writeFile(join(dir, 'part-0.parquet'), part({ id: ints([1, 2]), flag: vectorFromArray([true, null], new Bool()) }));
    await writeFile(join(dir, 'part-1.parquet'), part({ id: ints([3]), flag: vectorFromArray([false], new Bool()) }));
    await writeFile(join(dir, '.part-0.parquet.crc'), 'crc');
    await writeFile(join(dir, '_SUCCESS'), '');
    const fromFiles = await Content.fromParquet(dir);
    const inMemory = content({ flag: vectorFromArray([false, true, null], new Bool()), id: ints([3, 1, 2]) });
    expect(compareContent(fromFiles, inMemory)).toBeUndefined();
    expect(fromFiles.rowCount).toBe(3);
  });

  it('finds the physical types of leaf columns in the footer', async () => {
    const nested = new Struct([Field.new('x', new Int64()), Field.new('y', new List(Field.new('item', new Utf8())))]);
    const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(new Table({ a: ints([1]), s: vectorFromArray([{ x: 1n, y: ['q'] }], nested) }), 'stream')));
    const leaves = parquetLeafTypes(bytes);
    expect(leaves.map((l) => [l.path.join('.'), l.physicalType])).toEqual([
      ['a', ParquetPhysicalType.INT32],
      ['s.x', ParquetPhysicalType.INT64],
      ['s.y.list.item', ParquetPhysicalType.BYTE_ARRAY],
    ]);
  });

  it('recognises INT96 in a footer (Thrift compact encoding, as Spark writes it)', () => {
    // FileMetaData { 1: version = 1, 2: schema = [root(num_children 2), t INT96 optional, n INT32 optional], 3: num_rows = 0 }
    const name = (s: string) => [s.length, ...Buffer.from(s)];
    const metadata = [
      0x15, 0x02, // field 1 (i32) version: zigzag(1)
      0x19, 0x3c, // field 2 (list) of 3 structs
      0x48, ...name('spark_schema'), 0x15, 0x04, 0x00, // root: 4 name, 5 num_children = 2
      0x15, 0x06, 0x25, 0x02, 0x18, ...name('t'), 0x00, // t: 1 type = 3 (INT96), 3 repetition = 1, 4 name
      0x15, 0x02, 0x25, 0x02, 0x18, ...name('n'), 0x00, // n: 1 type = 1 (INT32)
      0x16, 0x00, // field 3 (i64) num_rows = 0
      0x00,
    ];
    const length = [metadata.length & 0xff, (metadata.length >> 8) & 0xff, 0, 0];
    const file = new Uint8Array([...Buffer.from('PAR1'), ...metadata, ...length, ...Buffer.from('PAR1')]);
    expect(parquetLeafTypes(file)).toEqual([
      { path: ['t'], physicalType: ParquetPhysicalType.INT96 },
      { path: ['n'], physicalType: ParquetPhysicalType.INT32 },
    ]);
  });
});

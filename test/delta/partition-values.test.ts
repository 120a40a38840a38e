import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  Binary,
  Bool,
  DateDay,
  DateMillisecond,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  Null,
  RecordBatch,
  Schema,
  Table,
  Struct,
  tableFromIPC,
  tableToIPC,
  makeData,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../src/errors.js';
import {
  escapePartitionValue,
  HIVE_DEFAULT_PARTITION,
  nullData,
  parsePartitionPath,
  parsePartitionValue,
  partitionData,
  partitionPath,
  partitionPathSegment,
  partitionVector,
  serializePartitionValue,
  unescapePartitionValue,
  type PartitionValue,
} from '../../src/delta/partition-values.js';
import {
  columnMappingMode,
  fieldByName,
  parseSchema,
  physicalName,
  toArrowType,
  type PrimitiveType,
} from '../../src/delta/schema.js';

const parse = (value: string | null, type: PrimitiveType, timeZone?: string): PartitionValue =>
  parsePartitionValue(value, type, timeZone === undefined ? {} : { timeZone });

function corrupt(value: string, type: PrimitiveType): string {
  try {
    parsePartitionValue(value, type, { column: 'p' });
  } catch (error) {
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).code).toBe('CORRUPT_LOG');
    return (error as Error).message;
  }
  throw new Error(`${value} parsed as ${String(type)}`);
}

const DAY_MICROS = 86_400_000_000n;

// ---------------------------------------------------------------------------------------------
// Parsing, type by type
// ---------------------------------------------------------------------------------------------

describe('parsePartitionValue', () => {
  it('reads null, and the empty string as null for every type', () => {
    const types: PrimitiveType[] = ['string', 'binary', 'boolean', 'byte', 'short', 'integer', 'long', 'float', 'double', 'date', 'timestamp', 'timestamp_ntz', 'decimal(10,2)', 'void'];
    for (const type of types) {
      expect(parse(null, type)).toBeNull();
      expect(parsePartitionValue(undefined, type)).toBeNull();
      expect(parse('', type), type).toBeNull();
    }
    expect(parse('anything', 'void')).toBeNull();
  });

  it('keeps strings as they are, "null" and spaces included; binary as UTF-8 bytes', () => {
    expect(parse('null', 'string')).toBe('null');
    expect(parse(' a b ', 'string')).toBe(' a b ');
    expect(parse('/%20%f', 'string')).toBe('/%20%f');
    expect(parse('😈', 'string')).toBe('😈');
    expect(parse('\u0001\u0002\u0003', 'binary')).toEqual(new Uint8Array([1, 2, 3]));
    expect(parse('é', 'binary')).toEqual(new Uint8Array([0xc3, 0xa9]));
  });

  it('reads integers with their ranges, long as bigint', () => {
    expect(parse('0', 'integer')).toBe(0);
    expect(parse('-0', 'integer')).toBe(0);
    expect(Object.is(parse('-0', 'integer'), -0)).toBe(false);
    expect(parse('+42', 'short')).toBe(42);
    expect(parse('-128', 'byte')).toBe(-128);
    expect(parse('127', 'byte')).toBe(127);
    expect(parse('-32768', 'short')).toBe(-32768);
    expect(parse('2147483647', 'integer')).toBe(2147483647);
    expect(parse('-2147483648', 'integer')).toBe(-2147483648);
    expect(parse('007', 'integer')).toBe(7);
    expect(parse('9223372036854775807', 'long')).toBe(9223372036854775807n);
    expect(parse('-9223372036854775808', 'long')).toBe(-9223372036854775808n);
    expect(corrupt('128', 'byte')).toMatch(/partition value "128" of column p is not a valid byte \(out of range\)/);
    expect(corrupt('32768', 'short')).toMatch(/out of range/);
    expect(corrupt('2147483648', 'integer')).toMatch(/out of range/);
    expect(corrupt('9223372036854775808', 'long')).toMatch(/out of range/);
    for (const bad of ['1.0', '1e3', 'x', '0x10', ' 1', '1 ', '--1']) expect(() => parse(bad, 'integer'), bad).toThrow(LakeError);
  });

  it('reads floats and doubles, NaN and infinities included', () => {
    expect(parse('0.0', 'double')).toBe(0);
    expect(parse('-0.0', 'double')).toBe(-0);
    expect(parse('1.5', 'double')).toBe(1.5);
    expect(parse('1.0E10', 'double')).toBe(1e10);
    expect(parse('4.9E-324', 'double')).toBe(5e-324);
    expect(parse('.5', 'double')).toBe(0.5);
    expect(parse('1.', 'double')).toBe(1);
    expect(parse('NaN', 'double')).toBeNaN();
    expect(parse('Infinity', 'double')).toBe(Infinity);
    expect(parse('-Infinity', 'float')).toBe(-Infinity);
    expect(parse('inf', 'double')).toBe(Infinity);
    expect(parse('0.1', 'float')).toBe(Math.fround(0.1));
    expect(parse('3.4028235E38', 'float')).toBe(3.4028234663852886e38);
    for (const bad of ['x', '1,5', '0x1p3', '1e', 'NaNa', '']) {
      if (bad !== '') expect(() => parse(bad, 'double'), bad).toThrow(/not a valid double/);
    }
  });

  it('reads booleans', () => {
    expect(parse('true', 'boolean')).toBe(true);
    expect(parse('false', 'boolean')).toBe(false);
    expect(parse('TRUE', 'boolean')).toBe(true);
    expect(corrupt('yes', 'boolean')).toMatch(/expected true or false/);
  });

  it('reads dates as days since 1970-01-01, before 1970 and far ahead too', () => {
    expect(parse('1970-01-01', 'date')).toBe(0);
    expect(parse('1970-01-02', 'date')).toBe(1);
    expect(parse('1969-12-31', 'date')).toBe(-1);
    expect(parse('2021-09-08', 'date')).toBe(18878);
    expect(parse('2000-02-29', 'date')).toBe(11016);
    expect(parse('1900-01-01', 'date')).toBe(-25567);
    expect(parse('0001-01-01', 'date')).toBe(-719162);
    expect(parse('9999-12-31', 'date')).toBe(2932896);
    expect(parse('+10000-01-01', 'date')).toBe(2932897);
    expect(parse('-0001-01-01', 'date')).toBe(-719893); // proleptic Gregorian, year 0 is 1 BC
    expect(parse('2021-9-8', 'date')).toBe(18878);
    // Agrees with JavaScript's own (proleptic Gregorian) calendar across a wide range.
    for (let days = -800_000; days <= 3_000_000; days += 9_973) {
      const iso = new Date(days * 86_400_000).toISOString().slice(0, 10);
      if (!iso.startsWith('-') && !iso.startsWith('+')) expect(parse(iso, 'date'), iso).toBe(days);
    }
    expect(corrupt('2021-02-29', 'date')).toMatch(/no such date/);
    expect(corrupt('2021-13-01', 'date')).toMatch(/no such date/);
    expect(corrupt('2021-00-10', 'date')).toMatch(/no such date/);
    expect(corrupt('20180520', 'date')).toMatch(/expected YYYY-MM-DD/);
    expect(corrupt('2021-09-08 00:00:00', 'date')).toMatch(/not a valid date/);
  });

  it('reads timestamps as UTC microseconds, in Spark’s and ISO 8601 spellings', () => {
    expect(parse('1970-01-01 00:00:00', 'timestamp')).toBe(0n);
    expect(parse('1970-01-01 00:00:00.123456', 'timestamp')).toBe(123456n);
    expect(parse('1970-01-01T00:00:00.123456Z', 'timestamp')).toBe(123456n);
    expect(parse('1970-01-01T00:00:00Z', 'timestamp')).toBe(0n);
    expect(parse('2020-01-01 08:09:10.001', 'timestamp')).toBe(1577866150001000n);
    expect(parse('2020-01-01 08:09:10.1', 'timestamp')).toBe(1577866150100000n);
    expect(parse('2021-10-01 08:09:20', 'timestamp')).toBe(1633075760000000n);
    expect(parse('1969-01-01 00:00:00', 'timestamp')).toBe(-31536000000000n);
    expect(parse('1969-12-31 23:59:59.999999', 'timestamp')).toBe(-1n);
    expect(parse('1969-12-31T23:59:59.9999999Z', 'timestamp')).toBe(-1n); // nanoseconds truncated
    expect(parse('9999-12-31 23:59:59.999999', 'timestamp')).toBe(253402300799999999n);
    expect(parse('0001-01-01 00:00:00', 'timestamp')).toBe(-62135596800000000n);
    expect(parse('2021-09-08', 'timestamp')).toBe(18878n * DAY_MICROS);
    expect(parse('2021-09-08 11:11', 'timestamp')).toBe(18878n * DAY_MICROS + 40260n * 1_000_000n);
    // Explicit offsets are applied.
    expect(parse('1970-01-01T01:00:00+01:00', 'timestamp')).toBe(0n);
    expect(parse('1970-01-01T00:00:00-0130', 'timestamp')).toBe(5400n * 1_000_000n);
    expect(corrupt('2021-09-08 24:00:00', 'timestamp')).toMatch(/no such time/);
    expect(corrupt('2021-09-08 11:60:00', 'timestamp')).toMatch(/no such time/);
    expect(corrupt('2021-09-08 11:11:11.1234567890', 'timestamp')).toMatch(/expected/);
    expect(corrupt('1631099471', 'timestamp')).toMatch(/expected YYYY-MM-DD HH:MM:SS/);
  });

  it('reads timestamp_ntz as written, ignoring any zone', () => {
    expect(parse('2013-07-05 17:01:00.123456', 'timestamp_ntz')).toBe(1373043660123456n);
    expect(parse('2021-11-18 02:30:00.123456', 'timestamp_ntz')).toBe(1637202600123456n);
    expect(parse('2021-11-18 02:30:00.123456', 'timestamp_ntz', 'America/Los_Angeles')).toBe(1637202600123456n);
    expect(parse('2021-11-18T02:30:00Z', 'timestamp_ntz')).toBe(1637202600000000n);
    expect(parse('1900-01-01 00:00:00', 'timestamp_ntz')).toBe(-25567n * DAY_MICROS);
  });

  it('applies a time zone to zoneless timestamps when asked (the protocol’s "writer’s time zone")', () => {
    const la = 'America/Los_Angeles';
    expect(parse('2021-09-08 11:11:11', 'timestamp', la)).toBe(parse('2021-09-08T18:11:11Z', 'timestamp')); // PDT
    expect(parse('2021-01-08 11:11:11', 'timestamp', la)).toBe(parse('2021-01-08T19:11:11Z', 'timestamp')); // PST
    expect(parse('2021-09-08 11:11:11', 'timestamp', 'UTC')).toBe(parse('2021-09-08T11:11:11Z', 'timestamp'));
    expect(parse('2021-09-08 11:11:11', 'timestamp', 'Asia/Tokyo')).toBe(parse('2021-09-08T02:11:11Z', 'timestamp'));
    expect(parse('1960-06-01 00:00:00.5', 'timestamp', 'Europe/Paris')).toBe(parse('1960-05-31T23:00:00.5Z', 'timestamp'));
    // A DST overlap (the time happens twice): the earlier instant; a gap: moved forward. As java.time.
    expect(parse('2021-11-07 01:30:00', 'timestamp', la)).toBe(parse('2021-11-07T08:30:00Z', 'timestamp'));
    expect(parse('2021-10-31 02:30:00', 'timestamp', 'Europe/Paris')).toBe(parse('2021-10-31T00:30:00Z', 'timestamp'));
    expect(parse('2021-03-14 02:30:00', 'timestamp', la)).toBe(parse('2021-03-14T10:30:00Z', 'timestamp'));
    expect(parse('2021-03-28 02:30:00', 'timestamp', 'Europe/Paris')).toBe(parse('2021-03-28T01:30:00Z', 'timestamp'));
    expect(parse('0100-01-01 00:00:00', 'timestamp', 'UTC')).toBe(parse('0100-01-01T00:00:00Z', 'timestamp'));
    expect(parse('0050-06-01 12:00:00', 'timestamp', 'Asia/Tokyo')).toBe((parse('0050-06-01T12:00:00Z', 'timestamp') as bigint) - 33539000000n);
    // A value with its own zone ignores the option.
    expect(parse('2021-09-08T11:11:11Z', 'timestamp', la)).toBe(parse('2021-09-08 11:11:11', 'timestamp'));
    expect(() => parse('2021-09-08 11:11:11', 'timestamp', 'Not/AZone')).toThrow(/not a time zone/);
  });

  it('reads decimals as unscaled bigints', () => {
    expect(parse('0', 'decimal(1,0)')).toBe(0n);
    expect(parse('1', 'decimal(1,0)')).toBe(1n);
    expect(parse('-2342342.23423', 'decimal(12,5)')).toBe(-234234223423n);
    expect(parse('0.00004', 'decimal(12,5)')).toBe(4n);
    expect(parse('234.00000', 'decimal(12,5)')).toBe(23400000n);
    expect(parse('12.000000000000000000', 'decimal(38,18)')).toBe(12_000000000000000000n);
    expect(parse('007.50', 'decimal(5,2)')).toBe(750n);
    expect(parse('-000.01', 'decimal(5,2)')).toBe(-1n);
    expect(parse('1.5', 'decimal(5,2)')).toBe(150n); // fewer digits than the scale
    expect(parse('1.50000', 'decimal(5,2)')).toBe(150n); // trailing zeros beyond the scale
    expect(parse('.5', 'decimal(5,2)')).toBe(50n);
    expect(parse('5.', 'decimal(5,2)')).toBe(500n);
    expect(parse('+3', 'decimal(5,2)')).toBe(300n);
    expect(parse('0E-18', 'decimal(38,18)')).toBe(0n); // Java BigDecimal.toString of a zero
    expect(parse('1E+3', 'decimal(5,0)')).toBe(1000n);
    expect(parse('1.2345E2', 'decimal(6,2)')).toBe(12345n);
    expect(parse('99999999999999999999999999999999999999', 'decimal(38,0)')).toBe(10n ** 38n - 1n);
    expect(parse('-9999999999.99', 'decimal(12,2)')).toBe(-999999999999n);
    expect(corrupt('1.234', 'decimal(5,2)')).toMatch(/more than 2 digits after the decimal point/);
    expect(corrupt('1000', 'decimal(5,2)')).toMatch(/too many digits for the precision/);
    expect(corrupt('100000000000000000000000000000000000000', 'decimal(38,0)')).toMatch(/precision/);
    expect(corrupt('1E+400', 'decimal(38,0)')).toMatch(/precision/);
    for (const bad of ['.', '-', '1.2.3', '1e', 'abc', '1,5']) expect(() => parse(bad, 'decimal(5,2)'), bad).toThrow(/not a valid decimal\(5,2\)/);
  });

  it('refuses types a partition column cannot have', () => {
    try {
      parsePartitionValue('x', 'variant' as PrimitiveType, { column: 'v' });
      expect.unreachable();
    } catch (error) {
      expect((error as LakeError).code).toBe('UNSUPPORTED_TYPE');
      expect((error as Error).message).toMatch(/partition column v has type variant/);
    }
  });
});

describe('serializePartitionValue', () => {
  it('writes what parsePartitionValue reads back', () => {
    const cases: [PartitionValue, PrimitiveType, string | null][] = [
      ['a/b', 'string', 'a/b'],
      ['', 'string', null],
      [new Uint8Array([1, 2, 3]), 'binary', '\u0001\u0002\u0003'],
      [true, 'boolean', 'true'],
      [-128, 'byte', '-128'],
      [9223372036854775807n, 'long', '9223372036854775807'],
      [1, 'double', '1.0'],
      [-0, 'double', '-0.0'],
      [1.5e300, 'double', '1.5e+300'],
      [NaN, 'double', 'NaN'],
      [-Infinity, 'float', '-Infinity'],
      [Math.fround(0.1), 'float', String(Math.fround(0.1))],
      [0, 'date', '1970-01-01'],
      [-719893, 'date', '-0001-01-01'],
      [2932897, 'date', '+10000-01-01'],
      [123456n, 'timestamp', '1970-01-01T00:00:00.123456Z'],
      [-1n, 'timestamp', '1969-12-31T23:59:59.999999Z'],
      [1373043660123456n, 'timestamp_ntz', '2013-07-05 17:01:00.123456'],
      [1577866150001000n, 'timestamp_ntz', '2020-01-01 08:09:10.001'],
      [0n, 'timestamp_ntz', '1970-01-01 00:00:00'],
      [-234234223423n, 'decimal(12,5)', '-2342342.23423'],
      [4n, 'decimal(12,5)', '0.00004'],
      [12_000000000000000000n, 'decimal(38,18)', '12.000000000000000000'],
      [7n, 'decimal(3,0)', '7'],
      [null, 'long', null],
    ];
    for (const [value, type, text] of cases) {
      expect(serializePartitionValue(value, type), `${String(type)}`).toBe(text);
      const back = parse(text, type);
      if (typeof value === 'number' && Number.isNaN(value)) expect(back).toBeNaN();
      else if (value === '' || (value instanceof Uint8Array && value.length === 0)) expect(back).toBeNull();
      else expect(back).toEqual(typeof value === 'number' && (type === 'long' || type.startsWith('decimal')) ? BigInt(value) : value);
    }
    expect(() => serializePartitionValue('x', 'long')).toThrow(/not a value of type long/);
    expect(() => serializePartitionValue(new Uint8Array([0xff]), 'binary')).toThrow(/UTF-8/);
  });
});

// ---------------------------------------------------------------------------------------------
// Constant columns
// ---------------------------------------------------------------------------------------------

/** Our JS representation of row `i` of a vector, from its buffers (not arrow-js's getters). */
function rawAt(vector: Vector, index: number): PartitionValue {
  let i = index;
  for (const data of vector.data) {
    if (i >= data.length) {
      i -= data.length;
      continue;
    }
    return rawDataAt(data, i);
  }
  throw new RangeError(`row ${index} of ${vector.length}`);
}

function rawDataAt(data: Data, i: number): PartitionValue {
  if (!data.getValid(i)) return null;
  const at = data.offset + i;
  const type = data.type as DataType;
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return new TextDecoder().decode(data.values.subarray(Number(data.valueOffsets[at]!), Number(data.valueOffsets[at + 1]!)));
    case Type.Binary:
      return data.values.slice(data.valueOffsets[at]!, data.valueOffsets[at + 1]!);
    case Type.Bool:
      return ((data.values[at >> 3]! >> (at & 7)) & 1) === 1;
    case Type.Decimal: {
      const words = (type as Decimal).bitWidth / 32;
      let value = 0n;
      for (let w = words - 1; w >= 0; w--) value = (value << 32n) | BigInt(data.values[at * words + w]!);
      return BigInt.asIntN(words * 32, value);
    }
    case Type.Timestamp: {
      const raw = data.values[at] as bigint;
      const unit = (type as Timestamp).unit;
      return unit === TimeUnit.MICROSECOND ? raw : unit === TimeUnit.NANOSECOND ? raw / 1000n : unit === TimeUnit.MILLISECOND ? raw * 1000n : raw * 1_000_000n;
    }
    default: {
      const value = data.values[at] as number | bigint;
      if (type.typeId === Type.Date && typeof value === 'bigint') return Number(value / 86_400_000n);
      return value;
    }
  }
}

describe('partitionVector', () => {
  const cases: [string, DataType, PartitionValue][] = [
    ['string', new Utf8(), 'héllo/😈'],
    ['empty string', new Utf8(), ''],
    ['large string', new LargeUtf8(), 'abc'],
    ['binary', new Binary(), new Uint8Array([0, 1, 255])],
    ['boolean true', new Bool(), true],
    ['boolean false', new Bool(), false],
    ['byte', new Int8(), -128],
    ['short', new Int16(), 32767],
    ['integer', new Int32(), -2147483648],
    ['long', new Int64(), -9223372036854775808n],
    ['long from a number', new Int64(), 42],
    ['float', new Float32(), Math.fround(1.1)],
    ['double', new Float64(), -0.5],
    ['double NaN', new Float64(), NaN],
    ['date', new DateDay(), -719893],
    ['date in ms', new DateMillisecond(), 18878],
    ['timestamp', new Timestamp(TimeUnit.MICROSECOND, 'UTC'), -1n],
    ['timestamp_ntz', new Timestamp(TimeUnit.MICROSECOND, null), 1637202600123456n],
    ['timestamp in ns', new Timestamp(TimeUnit.NANOSECOND, 'UTC'), 1637202600123456n],
    ['timestamp in ms', new Timestamp(TimeUnit.MILLISECOND, 'UTC'), 1637202600123000n],
    ['decimal', new Decimal(5, 12, 128), -234234223423n],
    ['decimal max', new Decimal(0, 38, 128), 10n ** 38n - 1n],
    ['decimal min', new Decimal(0, 38, 128), -(10n ** 38n) + 1n],
  ];

  for (const [name, type, value] of cases) {
    it(`repeats a ${name} value`, () => {
      for (const length of [0, 1, 7, 8, 9, 1000]) {
        const vector = partitionVector(type, value, length);
        expect(vector.length).toBe(length);
        expect(String(vector.type)).toBe(String(type));
        expect(vector.nullCount).toBe(0);
        for (const i of length === 0 ? [] : [0, length >> 1, length - 1]) {
          const got = rawAt(vector, i);
          if (typeof value === 'number' && Number.isNaN(value)) expect(got).toBeNaN();
          else expect(got).toEqual(typeof value === 'number' && typeof got === 'bigint' ? BigInt(value) : value);
        }
      }
    });
  }

  it('gives arrow-js’s reading of the values too', () => {
    expect(partitionVector(new Utf8(), 'x', 3).toArray()).toEqual(['x', 'x', 'x']);
    expect([...partitionVector(new Int32(), 5, 3)]).toEqual([5, 5, 5]);
    expect([...partitionVector(new Bool(), true, 10)]).toEqual(Array(10).fill(true));
    expect(partitionVector(new DateDay(), 18878, 2).get(1)).toBe(18878 * 86_400_000);
    expect(partitionVector(new Timestamp(TimeUnit.MICROSECOND, 'UTC'), 1_500_000n, 1).get(0)).toBe(1500);
  });

  it('makes all-null columns of any type, nested ones included', () => {
    const nested = new Struct([
      new Field('a', new Int64(), true),
      new Field('b', new List(new Field('element', new Utf8(), true)), true),
      new Field('c', toArrowType({ type: 'map', keyType: 'string', valueType: 'decimal(10,2)', valueContainsNull: true }), true),
    ]);
    const types: DataType[] = [...cases.map(([, type]) => type), new Null(), nested, new List(new Field('element', nested, true))];
    for (const type of types) {
      for (const length of [0, 1, 9, 1000]) {
        const vector = partitionVector(type, null, length);
        expect(vector.length).toBe(length);
        expect(vector.nullCount).toBe(length);
        expect(String(vector.type)).toBe(String(type));
        if (length > 0) expect(vector.get(length - 1)).toBeNull();
      }
    }
    // Full-size buffers, so the column survives IPC as any other column.
    const schema = new Schema(types.map((type, i) => new Field(`c${i}`, type, true)));
    const batch = new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: 5, nullCount: 0, children: types.map((type) => nullData(type, 5)) }),
    );
    const back = tableFromIPC(tableToIPC(new Table(batch)));
    expect(back.numRows).toBe(5);
    for (let c = 0; c < types.length; c++) expect(back.getChildAt(c)!.nullCount).toBe(5);
  });

  it('is fast for large batches (typed-array fills, no per-row values)', () => {
    const start = performance.now();
    const strings = partitionData(new Utf8(), 'a partition value', 1_000_000);
    const decimals = partitionData(new Decimal(2, 38, 128), -12345n, 1_000_000);
    const longs = partitionData(new Int64(), 7n, 1_000_000);
    const nulls = partitionData(new Utf8(), null, 1_000_000);
    expect(performance.now() - start).toBeLessThan(2000);
    expect(strings.values.length).toBe(17 * 1_000_000);
    expect(strings.valueOffsets[1_000_000]).toBe(17 * 1_000_000);
    expect(rawDataAt(strings, 999_999)).toBe('a partition value');
    expect(rawDataAt(decimals, 999_999)).toBe(-12345n);
    expect(rawDataAt(longs, 123_456)).toBe(7n);
    expect(nulls.nullCount).toBe(1_000_000);
  });

  it('refuses values that do not fit the type', () => {
    expect(() => partitionData(new Int32(), 'x', 1)).toThrow(/cannot make a constant Int32 column of "x"/);
    expect(() => partitionData(new Utf8(), 5, 1)).toThrow(LakeError);
    expect(() => partitionData(new Bool(), 1, 1)).toThrow(LakeError);
    expect(() => partitionData(new Utf8(), 'x', -1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Hive-style directories
// ---------------------------------------------------------------------------------------------

describe('Hive-style partition directories', () => {
  it('escapes Spark’s character set and nothing else', () => {
    expect(escapePartitionValue('bar+%21')).toBe('bar+%2521');
    expect(escapePartitionValue('+ =%0')).toBe('+ %3D%250');
    expect(escapePartitionValue('/%20%f')).toBe('%2F%2520%25f');
    expect(escapePartitionValue('a"b#c\'d*e/f:g=h?i\\j{k[l]m^n\u007f')).toBe('a%22b%23c%27d%2Ae%2Ff%3Ag%3Dh%3Fi%5Cj%7Bk%5Bl%5Dm%5En%7F');
    expect(escapePartitionValue('\u0001\n\r\u001f')).toBe('%01%0A%0D%1F');
    // Not escaped: space, < > | (escaped by Spark on Windows only), non-ASCII, NUL, } and others.
    expect(escapePartitionValue(' <>|é😈\u0000}~!@$&()+,;`')).toBe(' <>|é😈\u0000}~!@$&()+,;`');
    expect(escapePartitionValue('plain')).toBe('plain');
  });

  it('unescapes as Spark does, leaving stray percent signs alone', () => {
    expect(unescapePartitionValue('bar+%2521')).toBe('bar+%21');
    expect(unescapePartitionValue('%2F%2520%25f')).toBe('/%20%f');
    expect(unescapePartitionValue('100%')).toBe('100%');
    expect(unescapePartitionValue('%zz%4')).toBe('%zz%4');
    expect(unescapePartitionValue('%3d%3D')).toBe('==');
    for (let c = 0; c < 256; c++) {
      const s = `x${String.fromCharCode(c)}y`;
      expect(unescapePartitionValue(escapePartitionValue(s))).toBe(s);
    }
  });

  it('names null and empty values __HIVE_DEFAULT_PARTITION__, and parses paths back', () => {
    expect(partitionPathSegment('a', null)).toBe(`a=${HIVE_DEFAULT_PARTITION}`);
    expect(partitionPathSegment('a', '')).toBe(`a=${HIVE_DEFAULT_PARTITION}`);
    expect(partitionPathSegment('a=b', 'c/d')).toBe('a%3Db=c%2Fd');
    expect(partitionPath(['x', 'y'], { y: 'b', x: null })).toBe(`x=${HIVE_DEFAULT_PARTITION}/y=b`);
    expect(parsePartitionPath(`x=${HIVE_DEFAULT_PARTITION}/y=b%3Ac/part-0.parquet`)).toEqual({ x: null, y: 'b:c' });
    expect(parsePartitionPath('part-0.parquet')).toEqual({});
    expect(parsePartitionPath('a%3Db=c%2Fd/ignored/f.parquet')).toEqual({ 'a=b': 'c/d' });
  });
});

// ---------------------------------------------------------------------------------------------
// The conformance tables: real partition values, checked against the data Spark expects
// ---------------------------------------------------------------------------------------------

const CONFORMANCE = join(process.env['LAKE_CONFORMANCE_DIR'] ?? '/work/shared/conformance', 'delta');
const haveConformance = existsSync(CONFORMANCE);
if (!haveConformance) {
  if (process.env['CI'] === 'true') throw new Error(`conformance tables missing: ${CONFORMANCE} (set LAKE_CONFORMANCE_DIR)`);
  console.warn(`\n*** ${CONFORMANCE} is missing: the conformance partition value tests are SKIPPED ***\n`);
}

interface LogState {
  readonly schemaString: string;
  readonly configuration: Record<string, string>;
  readonly partitionColumns: string[];
  /** Live adds after replaying the JSON commits (tables without checkpoints are exact). */
  readonly adds: Map<string, { path: string; partitionValues: Record<string, string | null> }>;
}

function replayJson(table: string): LogState | undefined {
  const log = join(CONFORMANCE, table, '_delta_log');
  if (!existsSync(log)) return undefined;
  let metaData: { schemaString?: string; configuration?: Record<string, string>; partitionColumns?: string[] } | undefined;
  const adds: LogState['adds'] = new Map();
  for (const file of readdirSync(log).filter((f) => /^\d{20}\.json$/.test(f)).sort()) {
    for (const line of readFileSync(join(log, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const action = JSON.parse(line) as {
        metaData?: typeof metaData;
        add?: { path: string; partitionValues: Record<string, string | null> };
        remove?: { path: string };
      };
      if (action.metaData !== undefined) metaData = action.metaData;
      if (action.add !== undefined) adds.set(action.add.path, action.add);
      if (action.remove !== undefined) adds.delete(action.remove.path);
    }
  }
  if (metaData?.schemaString === undefined) return undefined;
  return {
    schemaString: metaData.schemaString,
    configuration: metaData.configuration ?? {},
    partitionColumns: metaData.partitionColumns ?? [],
    adds,
  };
}

function tables(): string[] {
  if (!haveConformance) return [];
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === '_delta_log') out.push(relative(CONFORMANCE, dir));
      else if (!entry.name.startsWith('_') && !entry.name.includes('=')) visit(path);
    }
  };
  visit(CONFORMANCE);
  return out.sort();
}

function parquetFiles(dir: string): string[] {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? parquetFiles(join(dir, entry.name)) : entry.name.endsWith('.parquet') ? [join(dir, entry.name)] : [],
  );
}

/** Distinct values of a column of the expected data, in our representation, as sortable keys. */
function expectedValues(dir: string, column: string): Set<string> {
  const values = new Set<string>();
  for (const file of parquetFiles(dir)) {
    const table = tableFromIPC(readParquet(readFileSync(file)).intoIPCStream());
    const vector = table.getChild(column);
    expect(vector, `${file}: ${column}`).not.toBeNull();
    for (let i = 0; i < vector!.length; i++) values.add(key(rawAt(vector!, i)));
  }
  return values;
}

function key(value: PartitionValue): string {
  if (value instanceof Uint8Array) return `bytes:${[...value].join(',')}`;
  return `${typeof value}:${String(value)}`;
}

/** Parses every live add's partition values of a table, through an Arrow vector, as keys per column. */
function parsedValues(state: LogState, timeZone?: string): Map<string, Set<string>> {
  const schema = parseSchema(state.schemaString);
  const mode = columnMappingMode({ configuration: state.configuration });
  const out = new Map<string, Set<string>>();
  for (const column of state.partitionColumns) {
    const field = fieldByName(schema, column)!;
    const type = field.type as PrimitiveType;
    const values = new Set<string>();
    for (const add of state.adds.values()) {
      const serialized = add.partitionValues[physicalName(field, mode)];
      expect(serialized, `${column} in ${add.path}`).not.toBeUndefined();
      const value = parsePartitionValue(serialized, type, { column, ...(timeZone === undefined ? {} : { timeZone }) });
      values.add(key(rawAt(partitionVector(toArrowType(type), value, 3), 2)));
    }
    out.set(column, values);
  }
  return out;
}

describe.skipIf(!haveConformance)('partition values of the conformance tables', () => {
  it('every partition value in every log parses with its column’s type', () => {
    let count = 0;
    for (const table of tables()) {
      const state = replayJson(table);
      if (state === undefined || state.partitionColumns.length === 0) continue;
      const schema = parseSchema(state.schemaString);
      const mode = columnMappingMode({ configuration: state.configuration });
      for (const add of state.adds.values()) {
        for (const column of state.partitionColumns) {
          const field = fieldByName(schema, column);
          expect(field, `${table}: ${column}`).toBeDefined();
          const serialized = add.partitionValues[physicalName(field!, mode)] ?? null;
          const value = parsePartitionValue(serialized, field!.type as PrimitiveType, { column });
          partitionVector(toArrowType(field!.type), value, 2);
          count++;
        }
      }
    }
    expect(count).toBeGreaterThan(80);
  });

  // Each case: the table, and its expected data (a Parquet directory). Partition columns' values
  // in the live files must be exactly the values the expected data holds.
  const cases: { table: string; expected: string; timeZone?: string }[] = [
    { table: 'golden/data-reader-timestamp_ntz/delta', expected: 'golden/data-reader-timestamp_ntz/expected' },
    { table: 'golden/data-reader-timestamp_ntz-id-mode/delta', expected: 'golden/data-reader-timestamp_ntz-id-mode/expected' },
    { table: 'golden/data-reader-timestamp_ntz-name-mode/delta', expected: 'golden/data-reader-timestamp_ntz-name-mode/expected' },
    { table: 'golden/kernel-timestamp-int96/delta', expected: 'golden/kernel-timestamp-int96/expected' },
    { table: 'golden/kernel-timestamp-pst/delta', expected: 'golden/kernel-timestamp-pst/expected' },
    { table: 'golden/kernel-timestamp-timestamp_micros/delta', expected: 'golden/kernel-timestamp-timestamp_micros/expected' },
    { table: 'golden/kernel-timestamp-timestamp_millis/delta', expected: 'golden/kernel-timestamp-timestamp_millis/expected' },
    { table: 'golden/basic-decimal-table/delta', expected: 'golden/basic-decimal-table/expected' },
    { table: 'golden/basic-decimal-table-legacy/delta', expected: 'golden/basic-decimal-table-legacy/expected' },
    { table: 'golden/data-reader-escaped-chars/delta', expected: 'golden/data-reader-escaped-chars/expected' },
    { table: 'golden/time-travel-partition-changes-b/delta', expected: 'golden/time-travel-partition-changes-b/expected' },
    { table: 'dat/basic_partitioned/delta', expected: 'dat/basic_partitioned/expected/latest/table_content.parquet' },
    { table: 'dat/multi_partitioned/delta', expected: 'dat/multi_partitioned/expected/latest/table_content.parquet' },
    { table: 'dat/multi_partitioned_2/delta', expected: 'dat/multi_partitioned_2/expected/latest/table_content.parquet' },
    // Written in America/Los_Angeles: its zoneless timestamp partition value is a Pacific wall-clock
    // time (the CASES.json "known quirk"); every other column is zone-free.
    {
      table: 'golden/data-reader-partition-values/delta',
      expected: 'golden/data-reader-partition-values/expected',
      timeZone: 'America/Los_Angeles',
    },
  ];
  for (const { table, expected, timeZone } of cases) {
    it(`${table}: the parsed values are the expected data’s`, () => {
      const state = replayJson(table);
      expect(state).toBeDefined();
      expect(state!.partitionColumns.length).toBeGreaterThan(0);
      for (const [column, values] of parsedValues(state!, timeZone)) {
        expect([...values].sort(), column).toEqual([...expectedValues(join(CONFORMANCE, expected), column)].sort());
      }
    });
  }

  it('data-reader-partition-values: every type, and the timestamp read as UTC by default', () => {
    const state = replayJson('golden/data-reader-partition-values/delta')!;
    const utc = parsedValues(state);
    expect([...utc.get('as_timestamp')!].sort()).toEqual(['bigint:1631099471000000', 'object:null']); // 2021-09-08T11:11:11Z
    expect([...utc.get('as_string_lit_null')!].sort()).toEqual(['object:null', 'string:null']);
    expect([...utc.get('as_big_decimal')!].sort()).toEqual(['bigint:0', 'bigint:1', 'object:null']);
    expect([...utc.get('as_date')!].sort()).toEqual(['number:18878', 'object:null']);
    expect([...utc.get('as_float')!].sort()).toEqual(['number:0', 'number:1', 'object:null']);
  });

  it('the Hive-style directories Spark wrote are the escaped partition values', () => {
    let checked = 0;
    for (const table of tables()) {
      const state = replayJson(table);
      if (state === undefined || state.partitionColumns.length === 0) continue;
      if (columnMappingMode({ configuration: state.configuration }) !== 'none') continue; // random prefixes, not values
      for (const add of state.adds.values()) {
        if (!add.path.includes('=') || /^[a-z]+:/.test(add.path)) continue;
        const decoded = add.path.split('/').map(decodeURIComponent);
        const directory = decoded.slice(0, -1).join('/');
        expect(directory, `${table}: ${add.path}`).toBe(partitionPath(state.partitionColumns, add.partitionValues));
        expect(parsePartitionPath(decoded.join('/'))).toEqual(
          Object.fromEntries(state.partitionColumns.map((c) => [c, add.partitionValues[c] === '' ? null : (add.partitionValues[c] ?? null)])),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    // The directories on disk, too.
    const hive = join(CONFORMANCE, 'golden/hive/delta/deltatbl-special-chars-in-partition-column');
    if (existsSync(hive)) {
      const names = readdirSync(hive).filter((d) => d.includes('='));
      expect(names.map((d) => parsePartitionPath(`${d}/f`)).sort((a, b) => String(a['c2']).localeCompare(String(b['c2'])))).toEqual([
        { c2: '+ =%0' },
        { c2: '+ =%1' },
      ]);
    }
  });
});

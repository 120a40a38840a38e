import {
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Timestamp,
  TimeUnit,
  Utf8,
  Binary,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchRowsAsJson, encoderFor, formatDate, formatDecimal, formatTimestamp } from '../../src/engine/json-values.js';

const encode = (data: Data) => Array.from({ length: data.length }, (_, i) => encoderFor(data)(i));

describe('JSON encoding of Arrow values', () => {
  it('keeps 64-bit integers exact, as strings beyond 2^53-1', () => {
    const data = makeData({ type: new Int64(), length: 3, nullCount: 0, data: new BigInt64Array([9007199254740991n, 9007199254740993n, -9007199254740993n]) });
    expect(encode(data)).toEqual([9007199254740991, '9007199254740993', '-9007199254740993']);
  });

  it('writes decimals with exactly their scale', () => {
    const words = new Uint32Array([12345, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 5, 0, 0, 0]);
    const data = makeData({ type: new Decimal(3, 10, 128), length: 3, nullCount: 0, data: words });
    expect(encode(data)).toEqual(['12.345', '-0.001', '0.005']);
    expect(formatDecimal(-123n, 5)).toBe('-0.00123');
    expect(formatDecimal(7n, 0)).toBe('7');
  });

  it('writes dates and microsecond timestamps exactly, with and without a time zone', () => {
    expect(encode(makeData({ type: new DateDay(), length: 3, nullCount: 0, data: new Int32Array([0, -1, 19723]) }))).toEqual([
      '1970-01-01',
      '1969-12-31',
      '2024-01-01',
    ]);
    const micros = new BigInt64Array([1700000000123456n, -1n]);
    expect(encode(makeData({ type: new Timestamp(TimeUnit.MICROSECOND, 'UTC'), length: 2, nullCount: 0, data: micros }))).toEqual([
      '2023-11-14T22:13:20.123456Z',
      '1969-12-31T23:59:59.999999Z',
    ]);
    expect(encode(makeData({ type: new Timestamp(TimeUnit.MICROSECOND), length: 1, nullCount: 0, data: micros }))).toEqual(['2023-11-14T22:13:20.123456']);
    expect(encode(makeData({ type: new Timestamp(TimeUnit.NANOSECOND, 'UTC'), length: 1, nullCount: 0, data: new BigInt64Array([1500n]) }))).toEqual([
      '1970-01-01T00:00:00.000001Z',
    ]);
    expect(formatDate(-719162n)).toBe('0001-01-01');
    expect(formatTimestamp(253402300799999999n, true)).toBe('9999-12-31T23:59:59.999999Z');
  });

  it('writes NaN and infinities as strings, binary as base64, nulls as null', () => {
    expect(encode(vectorFromArray([1.5, NaN, Infinity, -Infinity, null], new Float64()).data[0]!)).toEqual([1.5, 'NaN', 'Infinity', '-Infinity', null]);
    expect(encode(vectorFromArray([new Uint8Array([0, 255]), null], new Binary()).data[0]!)).toEqual(['AP8=', null]);
  });

  it('writes structs as objects, lists as arrays, maps by key type, through slices', () => {
    const struct = vectorFromArray(
      [{ a: 1, b: 'x' }, null, { a: null, b: 'z' }],
      new Struct([new Field('a', new Int32(), true), new Field('b', new Utf8(), true)]),
    );
    expect(encode(struct.data[0]!)).toEqual([{ a: 1, b: 'x' }, null, { a: null, b: 'z' }]);
    expect(encode(struct.slice(1).data[0]!)).toEqual([null, { a: null, b: 'z' }]);
    const list = vectorFromArray([[1, 2], [], null, [3]], new List(new Field('element', new Int32(), true)));
    expect(encode(list.slice(1).data[0]!)).toEqual([[], null, [3]]);
    const entries = (key: Int32 | Utf8) => new Field('entries', new Struct([new Field('key', key, false), new Field('value', new Int32(), true)]), false);
    const stringMap = vectorFromArray([new Map([['k', 1]])], new Map_(entries(new Utf8())));
    expect(encode(stringMap.data[0]!)).toEqual([{ k: 1 }]);
    const intMap = vectorFromArray([new Map([[7, null]])], new Map_(entries(new Int32())));
    expect(encode(intMap.data[0]!)).toEqual([[[7, null]]]);
  });

  it('encodes record batch rows by column name', () => {
    const schema = new Schema([new Field('id', new Int64(), false), new Field('name', new Utf8(), true)]);
    const ids = makeVector({ type: new Int64(), data: new BigInt64Array([1n, 2n]) });
    const names = vectorFromArray(['a', null], new Utf8());
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children: [ids.data[0]!, names.data[0]!] }));
    expect([...batchRowsAsJson(batch)]).toEqual([{ id: 1, name: 'a' }, { id: 2, name: null }]);
  });
});

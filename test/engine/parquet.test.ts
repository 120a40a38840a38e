import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Binary,
  DateDay,
  Decimal,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  Null,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Uint32,
  Utf8,
  makeData,
  tableFromArrays,
  tableFromIPC as readIpc,
  tableToIPC,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { readParquet as wasmReadParquet, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { encoderFor, type JsonValue } from '../../src/engine/json-values.js';
import {
  DELTA_TIMESTAMP,
  DELTA_TIMESTAMP_NTZ,
  castColumn,
  castData,
  fieldIdOf,
  nullData,
  parquetRowCount,
  readParquet,
  readParquetAsync,
  readParquetBatches,
  readParquetFooter,
  readParquetSchema,
  toMicrosTimestamp,
} from '../../src/engine/parquet.js';
import { LakeError } from '../../src/errors.js';

// `$LAKE_CONFORMANCE_DIR`, else `../shared/conformance` next to the project (as test/conformance does).
const CONFORMANCE = process.env['LAKE_CONFORMANCE_DIR'] || resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'conformance');
const GOLDEN = join(CONFORMANCE, 'delta', 'golden');

/** Data files (not the log) of a golden case's table, or its expected/ files. */
function parquetFiles(testCase: string, part: 'delta' | 'expected'): string[] {
  const dir = join(GOLDEN, testCase, part);
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.parquet') && !f.startsWith('_delta_log'))
    .sort()
    .map((f) => join(dir, f));
}

const firstDataFile = (testCase: string): Uint8Array => readFileSync(parquetFiles(testCase, 'delta')[0]!);
const CHECKPOINT = join(GOLDEN, 'dv-partitioned-with-checkpoint/delta/_delta_log/00000000000000000010.checkpoint.parquet');

const typesOf = (table: Table): Record<string, string> => Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));

const values = (data: Data): JsonValue[] => {
  const encode = encoderFor(data);
  return Array.from({ length: data.length }, (_, i) => encode(i));
};

/** A Parquet file written by parquet-wasm from an Arrow table. */
function writeTable(table: Table, maxRowGroupSize?: number): Uint8Array {
  let builder = new WriterPropertiesBuilder();
  if (maxRowGroupSize !== undefined) builder = builder.setMaxRowGroupSize(maxRowGroupSize);
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), builder.build());
}

/**
 * Every row of every file of `part`, as JSON, each column cast to the expected file's type: the
 * multiset a reader must produce. Rows are sorted by their JSON text.
 */
function rowsAsJson(testCase: string, part: 'delta' | 'expected', targetTypes?: Map<string, DataType>): string[] {
  const rows: string[] = [];
  for (const file of parquetFiles(testCase, part)) {
    const table = readParquet(readFileSync(file));
    for (const batch of table.batches) {
      const columns = batch.schema.fields.map((field, i) => {
        const data = batch.getChildAt(i)!.data[0]!;
        const target = targetTypes?.get(field.name);
        return { name: field.name, values: values(target === undefined ? data : castData(data, target)) };
      });
      for (let row = 0; row < batch.numRows; row++) {
        const entries = columns.map(({ name, values: v }) => [name, v[row]] as const).sort(([a], [b]) => (a < b ? -1 : 1));
        rows.push(JSON.stringify(Object.fromEntries(entries)));
      }
    }
  }
  return rows.sort();
}

function expectedTypes(testCase: string): Map<string, DataType> {
  const schema = readParquetSchema(readFileSync(parquetFiles(testCase, 'expected')[0]!));
  return new Map(schema.fields.map((f) => [f.name, f.type]));
}


/**
 * A minimal Parquet file with one REQUIRED INT96 column `t` (one PLAIN, uncompressed data page),
 * written by hand because no writer at hand emits INT96. Values are [Julian day, nanos of day].
 * `keyValue` adds footer key/value metadata.
 */
function int96File(values: ReadonlyArray<readonly [number, bigint]>, keyValue?: readonly [string, string]): Uint8Array {
  class Thrift {
    readonly bytes: number[] = [];
    private readonly lastId: number[] = [0];
    varint(n: bigint): void {
      let v = n;
      do {
        let byte = Number(v & 0x7fn);
        v >>= 7n;
        if (v !== 0n) byte |= 0x80;
        this.bytes.push(byte);
      } while (v !== 0n);
    }
    zigzag(n: number): void {
      const v = BigInt(n);
      this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
    }
    field(id: number, type: number): void {
      this.bytes.push(((id - this.lastId[this.lastId.length - 1]!) << 4) | type);
      this.lastId[this.lastId.length - 1] = id;
    }
    i32(id: number, v: number): void {
      this.field(id, 5);
      this.zigzag(v);
    }
    i64(id: number, v: number): void {
      this.field(id, 6);
      this.zigzag(v);
    }
    binary(id: number | undefined, text: string): void {
      if (id !== undefined) this.field(id, 8);
      const bytes = new TextEncoder().encode(text);
      this.varint(BigInt(bytes.length));
      this.bytes.push(...bytes);
    }
    list(id: number, elementType: number, size: number): void {
      this.field(id, 9);
      this.bytes.push((size << 4) | elementType);
    }
    begin(id?: number): void {
      if (id !== undefined) this.field(id, 12);
      this.lastId.push(0);
    }
    end(): void {
      this.bytes.push(0);
      this.lastId.pop();
    }
  }
  const data = new Uint8Array(12 * values.length);
  const view = new DataView(data.buffer);
  values.forEach(([day, nanos], i) => {
    view.setBigInt64(12 * i, nanos, true);
    view.setInt32(12 * i + 8, day, true);
  });
  const page = new Thrift(); // PageHeader: DATA_PAGE, sizes, DataPageHeader(num_values, PLAIN, RLE, RLE)
  page.begin();
  page.i32(1, 0);
  page.i32(2, data.length);
  page.i32(3, data.length);
  page.begin(5);
  page.i32(1, values.length);
  page.i32(2, 0);
  page.i32(3, 3);
  page.i32(4, 3);
  page.end();
  page.end();
  const chunkSize = page.bytes.length + data.length;
  const meta = new Thrift(); // FileMetaData
  meta.begin();
  meta.i32(1, 1);
  meta.list(2, 12, 2);
  meta.begin();
  meta.binary(4, 'schema');
  meta.i32(5, 1);
  meta.end();
  meta.begin();
  meta.i32(1, 3); // INT96
  meta.i32(3, 0); // REQUIRED
  meta.binary(4, 't');
  meta.end();
  meta.i64(3, values.length);
  meta.list(4, 12, 1); // one row group
  meta.begin();
  meta.list(1, 12, 1); // one column chunk
  meta.begin();
  meta.i64(2, 4);
  meta.begin(3); // ColumnMetaData
  meta.i32(1, 3);
  meta.list(2, 5, 1);
  meta.zigzag(0);
  meta.list(3, 8, 1);
  meta.binary(undefined, 't');
  meta.i32(4, 0);
  meta.i64(5, values.length);
  meta.i64(6, chunkSize);
  meta.i64(7, chunkSize);
  meta.i64(9, 4);
  meta.end();
  meta.end();
  meta.i64(2, chunkSize);
  meta.i64(3, values.length);
  meta.end();
  if (keyValue !== undefined) {
    meta.list(5, 12, 1);
    meta.begin();
    meta.binary(1, keyValue[0]);
    meta.binary(2, keyValue[1]);
    meta.end();
  }
  meta.end();
  const magic = [0x50, 0x41, 0x52, 0x31];
  const length = meta.bytes.length;
  return Uint8Array.from([...magic, ...page.bytes, ...data, ...meta.bytes, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, length >>> 24, ...magic]);
}

describe('readParquet on real files', () => {
  it('reads a checkpoint into an Arrow table with the row count the footer states', () => {
    const bytes = readFileSync(CHECKPOINT);
    const table = readParquet(bytes);
    expect(table).toBeInstanceOf(Table);
    expect(table.numRows).toBe(30);
    expect(parquetRowCount(bytes)).toBe(30);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['txn', 'add', 'remove', 'metaData', 'protocol', 'domainMetadata']);
    const paths = table.getChild('add')!.toArray().flatMap((add: { path: string } | null) => (add === null ? [] : [add.path]));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path).toMatch(/^part=\d\/part-.*\.parquet$/);
  });

  it('measured: parquet-wasm 0.8 readParquet ignores `columns`, so projection happens after decoding', () => {
    const bytes = readFileSync(CHECKPOINT);
    // If this starts failing, parquet-wasm honours projection now and readParquet can push it down.
    const raw = wasmReadParquet(bytes, { columns: ['add.path'] });
    expect(raw.schema.indexOf('txn')).toBe(0);
    raw.free();
    const table = readParquet(bytes, { columns: ['add.path'] });
    expect(typesOf(table)).toEqual({ add: 'Struct<{path:Utf8}>' });
  });

  it('projects top-level columns and struct paths, in file order, merging paths of one struct', () => {
    const bytes = readFileSync(CHECKPOINT);
    const table = readParquet(bytes, { columns: ['protocol', 'add.deletionVector.cardinality', 'add.path'] });
    expect(typesOf(table)).toEqual({
      add: 'Struct<{path:Utf8, deletionVector:Struct<{cardinality:Int64}>}>',
      protocol: 'Struct<{minReaderVersion:Int32, minWriterVersion:Int32, readerFeatures:List<Utf8>, writerFeatures:List<Utf8>}>',
    });
    const full = readParquet(bytes);
    expect(table.getChild('add')!.toArray().map((a: { path: string } | null) => a?.path ?? null)).toEqual(
      full.getChild('add')!.toArray().map((a: { path: string } | null) => a?.path ?? null),
    );
    // A whole struct and one of its paths: the whole struct.
    expect(typesOf(readParquet(bytes, { columns: ['txn.appId', 'txn'] })).txn).toBe('Struct<{appId:Utf8, version:Int64, lastUpdated:Int64}>');
  });

  it('rejects unknown columns with COLUMN_NOT_FOUND naming the file', () => {
    const bytes = readFileSync(CHECKPOINT);
    const error = (() => {
      try {
        readParquet(bytes, { columns: ['add.nope'], path: '_delta_log/10.checkpoint.parquet' });
      } catch (e) {
        return e as LakeError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(LakeError);
    expect(error!.code).toBe('COLUMN_NOT_FOUND');
    expect(error!.message).toContain('_delta_log/10.checkpoint.parquet');
  });

  it('reports truncated and corrupt files as CORRUPT_PARQUET with the path', () => {
    const bytes = readFileSync(CHECKPOINT);
    for (const broken of [bytes.subarray(0, bytes.length - 10), new Uint8Array([1, 2, 3]), new Uint8Array(0)]) {
      expect(() => readParquet(broken, { path: 'x/part-0.parquet' })).toThrow(
        expect.objectContaining({ code: 'CORRUPT_PARQUET', path: 'x/part-0.parquet' }),
      );
    }
    // The module keeps working after an error.
    expect(readParquet(bytes).numRows).toBe(30);
  });

  it('honours rowGroups, offset and limit; readParquetBatches reads one row group at a time', () => {
    const n = 1000;
    const table = tableFromArrays({ id: Int32Array.from({ length: n }, (_, i) => i), name: Array.from({ length: n }, (_, i) => `row ${i}`) });
    const bytes = writeTable(table, 300);
    const footer = readParquetFooter(bytes);
    expect(footer.numRows).toBe(n);
    expect(footer.rowGroups.map((g) => g.numRows)).toEqual([300, 300, 300, 100]);
    const ids = (t: { getChild(name: string): { toArray(): ArrayLike<number> } | null }) => Array.from(t.getChild('id')!.toArray());
    expect(ids(readParquet(bytes, { rowGroups: [1] }))).toEqual(Array.from({ length: 300 }, (_, i) => 300 + i));
    expect(ids(readParquet(bytes, { offset: 295, limit: 10 }))).toEqual(Array.from({ length: 10 }, (_, i) => 295 + i));
    const batches = [...readParquetBatches(bytes, { columns: ['id'] })];
    expect(batches.map((b) => b.numRows)).toEqual([300, 300, 300, 100]);
    expect(batches.flatMap((b) => Array.from(b.getChild('id')!.toArray() as Int32Array))).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(batches[0]!.schema.fields.map((f) => f.name)).toEqual(['id']);
    expect(() => [...readParquetBatches(bytes, { rowGroups: [4] })]).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('reads a file without rows', () => {
    const bytes = writeTable(tableFromArrays({ id: new Int32Array(0) }));
    const table = readParquet(bytes);
    expect(table.numRows).toBe(0);
    expect(typesOf(table)).toEqual({ id: 'Int32' });
    expect(parquetRowCount(bytes)).toBe(0);
  });
});


describe('INT96 timestamps', () => {
  const EPOCH_JULIAN_DAY = 2440588;
  const int96Values: Array<readonly [number, bigint]> = [
    [EPOCH_JULIAN_DAY, 1_500n], // 1970-01-01T00:00:00.0000015
    [EPOCH_JULIAN_DAY - 1, 86_399_999_999_999n], // 1969-12-31T23:59:59.999999999
    [EPOCH_JULIAN_DAY - 200_000, 0n], // 1422: beyond int64 nanoseconds
    [EPOCH_JULIAN_DAY + 150_000, 0n], // 2380: beyond int64 nanoseconds
    [EPOCH_JULIAN_DAY - 719_162, 0n], // 0001-01-01, Spark's common sentinel
  ];
  const expectedMicros = int96Values.map(([day, nanos]) => BigInt(day - EPOCH_JULIAN_DAY) * 86_400_000_000n + nanos / 1000n);

  it('read as microseconds, right for every date (arrow-rs alone wraps int64 nanoseconds around)', () => {
    for (const file of [int96File(int96Values), int96File(int96Values, ['writer', 'hand'])]) {
      const table = readParquet(file);
      expect(typesOf(table)).toEqual({ t: 'Timestamp<MICROSECOND>' });
      expect(Array.from(table.getChild('t')!.data[0]!.values as BigInt64Array)).toEqual(expectedMicros);
      expect(values(castData(table.getChild('t')!.data[0]!, DELTA_TIMESTAMP))).toEqual([
        '1970-01-01T00:00:00.000001Z',
        '1969-12-31T23:59:59.999999Z',
        '1422-06-03T00:00:00.000000Z',
        '2380-09-08T00:00:00.000000Z',
        '0001-01-01T00:00:00.000000Z',
      ]);
      expect(String(readParquetSchema(file).fields[0]!.type)).toBe('Timestamp<MICROSECOND>');
      expect(readParquetFooter(file).keyValueMetadata.has('ARROW:schema')).toBe(false); // the caller's bytes are untouched
    }
    // What parquet-wasm does without the hint: nanoseconds, wrapped.
    const raw = wasmReadParquet(int96File(int96Values));
    const wrapped = readIpc(raw.intoIPCStream());
    expect(Array.from(wrapped.getChild('t')!.data[0]!.values as BigInt64Array)[2]).toBe(BigInt.asIntN(64, -200_000n * 86_400_000_000_000n));
  });

  it('the same through readParquetAsync and readParquetBatches', async () => {
    const file = int96File(int96Values, ['writer', 'hand']);
    const table = await readParquetAsync(file, { columns: ['t'] });
    expect(Array.from(table.getChild('t')!.data[0]!.values as BigInt64Array)).toEqual(expectedMicros);
    const batches = [...readParquetBatches(file)];
    expect(batches.flatMap((b) => Array.from(b.getChild('t')!.data[0]!.values as BigInt64Array))).toEqual(expectedMicros);
  });
});

describe('readParquetAsync (projection pushed down)', () => {
  it('returns what readParquet returns after projection', async () => {
    const bytes = readFileSync(CHECKPOINT);
    const columns = ['protocol', 'add.path'];
    const pushed = await readParquetAsync(bytes, { columns });
    const projected = readParquet(bytes, { columns });
    expect(typesOf(pushed)).toEqual(typesOf(projected));
    expect(pushed.getChild('add')!.toArray().map((a: { path: string } | null) => a?.path ?? null)).toEqual(
      projected.getChild('add')!.toArray().map((a: { path: string } | null) => a?.path ?? null),
    );
    await expect(readParquetAsync(bytes, { columns: ['nope'] })).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND' });
  });

  it('does not push down non-ASCII names (parquet-wasm panics on them), and still projects', async () => {
    const bytes = writeTable(tableFromArrays({ é: Int32Array.from([1, 2]), éé: Int32Array.from([3, 4]) }));
    const table = await readParquetAsync(bytes, { columns: ['é'] });
    expect(typesOf(table)).toEqual({ é: 'Int32' });
    expect(Array.from(table.getChild('é')!.toArray() as Int32Array)).toEqual([1, 2]);
  });
});

describe('Parquet field ids', () => {
  it('arrive as PARQUET:field_id metadata on top-level and nested struct fields (column mapping id mode)', () => {
    const bytes = firstDataFile('table-with-columnmapping-mode-id');
    const schema = readParquetSchema(bytes);
    expect(schema.fields.map((f) => fieldIdOf(f))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 21, 22, 24]);
    const nested = schema.fields[12]!.type as Struct;
    expect(nested.children.map((f) => fieldIdOf(f))).toEqual([14, 15]);
    expect((nested.children[1]!.type as Struct).children.map((f) => fieldIdOf(f))).toEqual([16]);
    // List elements and map entries carry no id in files Spark writes.
    expect(fieldIdOf((schema.fields[13]!.type as List).children[0]!)).toBeUndefined();
    // The footer says the same, read independently of the wasm decoder.
    const footerIds = readParquetFooter(bytes).schema.flatMap((e) => (e.fieldId === undefined ? [] : [e.fieldId]));
    expect(footerIds).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('are present in data-reader-timestamp_ntz-id-mode and absent without column mapping', () => {
    expect(readParquetSchema(firstDataFile('data-reader-timestamp_ntz-id-mode')).fields.map((f) => fieldIdOf(f))).toEqual([1, 2]);
    expect(readParquetSchema(firstDataFile('data-reader-timestamp_ntz')).fields.map((f) => fieldIdOf(f))).toEqual([undefined, undefined]);
  });
});

describe('Parquet → Arrow type mapping on files Spark wrote', () => {
  it('timestamps: INT96 → us without zone, MILLIS/MICROS adjusted to UTC → ms/us "UTC", ntz → us without zone', () => {
    expect(typesOf(readParquet(firstDataFile('kernel-timestamp-int96'))).time).toBe('Timestamp<MICROSECOND>');
    expect(String(readParquetSchema(firstDataFile('kernel-timestamp-int96')).fields[1]!.type)).toBe('Timestamp<MICROSECOND>');
    expect(typesOf(readParquet(firstDataFile('kernel-timestamp-timestamp_millis'))).time).toBe('Timestamp<MILLISECOND, UTC>');
    expect(typesOf(readParquet(firstDataFile('kernel-timestamp-timestamp_micros'))).time).toBe('Timestamp<MICROSECOND, UTC>');
    expect(typesOf(readParquet(firstDataFile('data-reader-timestamp_ntz'))).tsNtz).toBe('Timestamp<MICROSECOND>');
  });

  it('decimals of every precision (INT32, INT64 and FIXED_LEN_BYTE_ARRAY, plain and dictionary) → Decimal128', () => {
    const various = readParquetSchema(firstDataFile('decimal-various-scale-precision'));
    for (const field of various.fields) {
      const [, precision, scale] = /^decimal_(\d+)_(\d+)$/.exec(field.name)!;
      expect(field.type).toMatchObject({ precision: Number(precision), scale: Number(scale), bitWidth: 128 });
    }
    const dictionary = readParquet(firstDataFile('parquet-decimal-dictionaries'));
    expect(typesOf(dictionary)).toEqual({ id: 'Int32', col1: 'Decimal[9e0]', col2: 'Decimal[12e0]', col3: 'Decimal[25e0]' });
    expect(dictionary.schema.fields.slice(1).map((f) => (f.type as Decimal).bitWidth)).toEqual([128, 128, 128]);
    expect(dictionary.numRows).toBe(1_000_000);
  });

  it('all types, standard and legacy list layout', () => {
    const expected = {
      ByteType: 'Int8',
      ShortType: 'Int16',
      IntegerType: 'Int32',
      LongType: 'Int64',
      FloatType: 'Float32',
      DoubleType: 'Float64',
      decimal: 'Decimal[10e+2]',
      BooleanType: 'Bool',
      StringType: 'Utf8',
      BinaryType: 'Binary',
      DateType: 'Date32<DAY>',
      TimestampType: 'Timestamp<MICROSECOND>', // INT96
      TimestampNTZType: 'Timestamp<MICROSECOND>',
      nested_struct: 'Struct<{aa:Utf8, ac:Struct<{aca:Int32}>}>',
      array_of_prims: 'List<Int32>',
      array_of_arrays: 'List<List<Int32>>',
      array_of_structs: 'List<Struct<{ab:Int64}>>',
      map_of_prims: 'Map<{key:Int32, value:Int64}>',
      map_of_rows: 'Map<{key:Int32, value:Struct<{ab:Int64}>}>',
      map_of_arrays: 'Map<{key:Int64, value:List<Int32>}>',
    };
    const standard = readParquetSchema(firstDataFile('parquet-all-types'));
    const legacy = readParquetSchema(firstDataFile('parquet-all-types-legacy-format'));
    for (const schema of [standard, legacy]) {
      expect(Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]))).toEqual(expected);
      const map = schema.fields.find((f) => f.name === 'map_of_prims')!.type as Map_;
      expect(map.children[0]!.name).toBe('entries');
    }
    // List element names follow the file: `element` (3-level) or `array` (legacy 2-level).
    expect((standard.fields.find((f) => f.name === 'array_of_prims')!.type as List).children[0]!.name).toBe('element');
    expect((legacy.fields.find((f) => f.name === 'array_of_prims')!.type as List).children[0]!.name).toBe('array');
  });

  it('maps and nested structs', () => {
    expect(typesOf(readParquet(firstDataFile('data-reader-map')))).toEqual({
      i: 'Int32',
      a: 'Map<{key:Int32, value:Int32}>',
      b: 'Map<{key:Int64, value:Int8}>',
      c: 'Map<{key:Int16, value:Bool}>',
      d: 'Map<{key:Float32, value:Float64}>',
      e: 'Map<{key:Utf8, value:Decimal[1e0]}>',
      f: 'Map<{key:Int32, value:List<Struct<{val:Int32}>>}>',
    });
    expect(typesOf(readParquet(firstDataFile('data-reader-nested-struct')))).toEqual({
      a: 'Struct<{aa:Utf8, ab:Utf8, ac:Struct<{aca:Int32, acb:Int64}>}>',
      b: 'Int32',
    });
  });
});

describe('values match the expected data once cast to the expected types', () => {
  const cases = [
    'kernel-timestamp-int96',
    'kernel-timestamp-timestamp_millis',
    'kernel-timestamp-timestamp_micros',
    'parquet-all-types',
    'parquet-all-types-legacy-format',
    'decimal-various-scale-precision',
    'data-reader-map',
    'data-reader-nested-struct',
    'data-reader-array-primitives',
    'basic-decimal-table',
    'basic-decimal-table-legacy',
  ];
  for (const testCase of cases) {
    it(testCase, () => {
      const types = expectedTypes(testCase);
      const actual = rowsAsJson(testCase, 'delta', types);
      const expected = rowsAsJson(testCase, 'expected');
      // Partition columns are not in the data files: compare the columns the files hold.
      const dataColumns = new Set(readParquetSchema(firstDataFile(testCase)).fields.map((f) => f.name));
      const strip = (row: string) =>
        JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(row) as Record<string, unknown>).filter(([k]) => dataColumns.has(k))));
      expect(actual.map(strip).sort()).toEqual(expected.map(strip).sort());
      expect(actual.length).toBeGreaterThan(0);
    });
  }

  it('parquet-decimal-dictionaries (1M dictionary-encoded decimals)', () => {
    const data = readParquet(firstDataFile('parquet-decimal-dictionaries'));
    const expected = readParquet(readFileSync(parquetFiles('parquet-decimal-dictionaries', 'expected')[0]!));
    const byId = (t: Table) => {
      const ids = t.getChild('id')!.toArray() as Int32Array;
      const out = new Map<number, string>();
      for (const batch of t.batches) {
        const encoders = ['col1', 'col2', 'col3'].map((c) => encoderFor(batch.getChild(c)!.data[0]!));
        const base = out.size;
        for (let i = 0; i < batch.numRows; i++) out.set(ids[base + i]!, encoders.map((e) => e(i)).join('|'));
      }
      return out;
    };
    const a = byId(data);
    const b = byId(expected);
    expect(a.size).toBe(1_000_000);
    let mismatches = 0;
    for (const [id, v] of b) if (a.get(id) !== v) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe('castData', () => {
  const ts = (unit: TimeUnit, tz: string | null, raw: bigint[], validity?: boolean[]) => {
    const data = makeData({ type: new Timestamp(unit, tz), length: raw.length, nullCount: 0, data: BigInt64Array.from(raw) });
    return validity === undefined ? data : withNulls(data, validity);
  };

  it('turns INT96 nanoseconds into microseconds with floor division (as Spark does), before and after 1970', () => {
    const data = ts(TimeUnit.NANOSECOND, null, [1_500n, -1_500n, -1_000n, 0n, 1_699_999_999_999_999_999n]);
    const cast = castData(data, DELTA_TIMESTAMP);
    expect(String(cast.type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(Array.from(cast.values as BigInt64Array)).toEqual([1n, -2n, -1n, 0n, 1_699_999_999_999_999n]);
    expect(String(toMicrosTimestamp(data, null).type)).toBe('Timestamp<MICROSECOND>');
  });

  it('scales milliseconds and seconds up, and relabels the zone without touching values', () => {
    const ms = castData(ts(TimeUnit.MILLISECOND, 'UTC', [-1n, 1_700_000_000_123n]), DELTA_TIMESTAMP);
    expect(Array.from(ms.values as BigInt64Array)).toEqual([-1_000n, 1_700_000_000_123_000n]);
    const seconds = castData(ts(TimeUnit.SECOND, null, [2n]), DELTA_TIMESTAMP_NTZ);
    expect(Array.from(seconds.values as BigInt64Array)).toEqual([2_000_000n]);
    const source = ts(TimeUnit.MICROSECOND, '+00:00', [42n]);
    const relabelled = castData(source, DELTA_TIMESTAMP);
    expect(String(relabelled.type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(relabelled.values).toBe(source.values);
    expect(castData(source, source.type)).toBe(source);
  });

  it('rejects a timestamp that overflows the finer unit, but not a null one', () => {
    const big = 9_300_000_000_000_000n; // × 1000 > 2^63
    expect(() => castData(ts(TimeUnit.MILLISECOND, 'UTC', [big]), DELTA_TIMESTAMP)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
    const cast = castData(ts(TimeUnit.MILLISECOND, 'UTC', [big, 1n], [false, true]), DELTA_TIMESTAMP);
    expect(values(cast)).toEqual([null, '1970-01-01T00:00:00.001000Z']);
  });

  it('widens dates to timestamp_ntz at midnight', () => {
    const data = makeData({ type: new DateDay(), length: 2, nullCount: 0, data: Int32Array.from([1, -1]) });
    expect(values(castData(data, DELTA_TIMESTAMP_NTZ))).toEqual(['1970-01-02T00:00:00.000000', '1969-12-31T00:00:00.000000']);
  });

  it('widens integers, integers and floats to double, keeping nulls', () => {
    const bytes = withNulls(vectorFromArray([-128, 127, 5], new Int8()).data[0]!, [true, true, false]);
    expect(values(castData(bytes, new Int16()))).toEqual([-128, 127, null]);
    expect(values(castData(bytes, new Int32()))).toEqual([-128, 127, null]);
    expect(values(castData(bytes, new Int64()))).toEqual([-128, 127, null]);
    expect(values(castData(bytes, new Float64()))).toEqual([-128, 127, null]);
    const ints = vectorFromArray([-2147483648, 2147483647], new Int32()).data[0]!;
    expect(values(castData(ints, new Int64()))).toEqual([-2147483648, 2147483647]);
    expect(values(castData(ints, new Float64()))).toEqual([-2147483648, 2147483647]);
    const unsigned = vectorFromArray([4294967295], new Uint32()).data[0]!;
    expect(values(castData(unsigned, new Int64()))).toEqual([4294967295]);
    const floats = vectorFromArray([0.1, -2.5], new Float32()).data[0]!;
    expect(values(castData(floats, new Float64()))).toEqual([Math.fround(0.1), -2.5]);
    // Narrowing is not a widening.
    expect(() => castData(ints, new Int16())).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
    expect(() => castData(vectorFromArray([1n], new Int64()).data[0]!, new Float64())).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
  });

  it('widens decimals: precision as a label, scale by rescaling; integers into decimals', () => {
    const words = new Uint32Array([12345, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]); // 123.45, -0.01
    const decimal = makeData({ type: new Decimal(2, 5, 128), length: 2, nullCount: 0, data: words });
    const wider = castData(decimal, new Decimal(2, 10, 128));
    expect(wider.values).toBe(decimal.values);
    expect(values(wider)).toEqual(['123.45', '-0.01']);
    expect(values(castData(decimal, new Decimal(4, 12, 128)))).toEqual(['123.4500', '-0.0100']);
    expect(() => castData(decimal, new Decimal(3, 5, 128))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
    const longs = vectorFromArray([9223372036854775807n, -1n], new Int64()).data[0]!;
    expect(values(castData(longs, new Decimal(1, 20, 128)))).toEqual(['9223372036854775807.0', '-1.0']);
    const ints = vectorFromArray([100], new Int32()).data[0]!;
    expect(() => castData(ints, new Decimal(0, 2, 128))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
  });

  it('handles sliced data (Arrow JS keeps the bitmap offset)', () => {
    const data = withNulls(vectorFromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], new Int32()).data[0]!, [true, false, true, true, false, true, true, true, false, true]);
    const slice = data.slice(3, 6);
    expect(values(castData(slice, new Int64()))).toEqual([4, null, 6, 7, 8, null]);
  });

  it('changes string and binary offset widths, and decodes dictionaries', () => {
    const strings = vectorFromArray(['a', null, 'ccc'], new Utf8()).data[0]!;
    const large = castData(strings.slice(1, 2), new LargeUtf8());
    expect(String(large.type)).toBe('LargeUtf8');
    expect(values(large)).toEqual([null, 'ccc']);
    expect(values(castData(castData(strings, new LargeUtf8()), new Utf8()))).toEqual(['a', null, 'ccc']);
    expect(() => castData(strings, new Binary())).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CAST' }));
    const dictionary = vectorFromArray(['x', 'y', null, 'x'], new Dictionary(new Utf8(), new Int32())).data[0]!;
    expect(values(castData(dictionary, new Utf8()))).toEqual(['x', 'y', null, 'x']);
    const intDictionary = vectorFromArray([7, 8, 7], new Dictionary(new Int32(), new Int32())).data[0]!;
    expect(values(castData(intDictionary, new Int64()))).toEqual([7, 8, 7]);
  });

  it('casts nested types: struct children by name (missing → null), list and map children', () => {
    const struct = vectorFromArray(
      [{ a: 1, b: 'x' }, null, { a: 3, b: 'z' }],
      new Struct([new Field('a', new Int32()), new Field('b', new Utf8())]),
    ).data[0]!;
    const target = new Struct([new Field('b', new Utf8()), new Field('a', new Int64()), new Field('c', new Float64())]);
    expect(values(castData(struct, target))).toEqual([{ b: 'x', a: 1, c: null }, null, { b: 'z', a: 3, c: null }]);
    const list = vectorFromArray([[1, 2], null, []], new List(new Field('array', new Int32()))).data[0]!;
    const listTarget = new LargeList(new Field('element', new Int64()));
    const castList = castData(list, listTarget);
    expect(String(castList.type)).toBe('LargeList<Int64>');
    expect(values(castData(list, new List(new Field('element', new Int64()))))).toEqual([[1, 2], null, []]);
    const map = readParquet(firstDataFile('data-reader-map')).getChild('a')!.data[0]!;
    const entries = new Struct<{ key: Int64; value: Int64 }>([new Field('key', new Int64(), false), new Field('value', new Int64())]);
    const mapTarget = new Map_<Int64, Int64>(new Field('key_value', entries, false));
    const castMap = castData(map, mapTarget);
    // Arrow JS names a map's entries `entries`, `key`, `value` whatever the type was built with.
    expect(castMap.type.children[0]!.name).toBe('entries');
    expect(String(castMap.type)).toBe('Map<{key:Int64, value:Int64}>');
    expect(values(castMap)).toEqual(values(map));
  });

  it('makes all-null columns from Null data, and castColumn maps every chunk', () => {
    const nulls = makeData({ type: new Null(), length: 2 });
    for (const type of [new Int32(), new Utf8(), DELTA_TIMESTAMP, new Decimal(2, 10, 128), new Struct([new Field('a', new Int32())]), new List(new Field('element', new Utf8()))]) {
      expect(values(castData(nulls, type))).toEqual([null, null]);
      expect(values(nullData(type, 3))).toEqual([null, null, null]);
    }
    const vector = vectorFromArray([1, 2, 3], new Int16());
    const cast = castColumn(vector, new Int64());
    expect(String(cast.type)).toBe('Int64');
    expect(Array.from(cast.toArray() as BigInt64Array)).toEqual([1n, 2n, 3n]);
  });
});

describe('readParquetFooter', () => {
  it('reads row groups, key/value metadata and the writer', () => {
    const footer = readParquetFooter(readFileSync(CHECKPOINT));
    expect(footer.numRows).toBe(30);
    expect(footer.rowGroups).toHaveLength(1);
    expect(footer.createdBy).toMatch(/^parquet-mr version/);
    expect(footer.keyValueMetadata.get('org.apache.spark.version')).toMatch(/^3\./);
    expect(footer.schema[0]).toMatchObject({ name: 'spark_schema', numChildren: 6 });
  });

  it('rejects files that are not Parquet', () => {
    const bytes = readFileSync(CHECKPOINT);
    for (const broken of [new Uint8Array(4), bytes.subarray(0, bytes.length - 1), bytes.subarray(4)]) {
      expect(() => readParquetFooter(broken, { path: 'f.parquet' })).toThrow(expect.objectContaining({ code: 'CORRUPT_PARQUET', path: 'f.parquet' }));
    }
  });
});

function withNulls(data: Data, valid: boolean[]): Data {
  const bitmap = new Uint8Array((valid.length + 7) >> 3);
  valid.forEach((v, i) => {
    if (v) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return data.clone(data.type, 0, data.length, valid.filter((v) => !v).length, [data.valueOffsets, data.values, bitmap] as never);
}

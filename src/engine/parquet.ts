/**
 * Parquet bytes → Apache Arrow: the one Parquet reader of lake.
 *
 * Decoding is done by parquet-wasm 0.8 (arrow-rs compiled to WebAssembly). Its `node/` build is
 * CommonJS that compiles and instantiates the wasm module synchronously when first imported, so
 * there is no init call; Node's ESM loader exposes its named exports (`import { readParquet } from
 * 'parquet-wasm'` resolves through the package's `node` export condition). The wasm side returns an
 * Arrow IPC stream that `tableFromIPC` turns into an apache-arrow Table in JavaScript memory.
 *
 * What we measured with parquet-wasm 0.8 (tests in test/engine/parquet.test.ts):
 * - Projection: the synchronous `readParquet` ignores `columns` (its Rust side never applies the
 *   option; every column comes back), so `readParquet` here decodes everything and projects the
 *   Arrow result. `rowGroups`, `offset`, `limit` and `batchSize` are honoured by the wasm reader.
 *   The asynchronous `ParquetFile.read` does push `columns` down (top-level names and dotted
 *   struct paths); `readParquetAsync` uses it, with the caveats written there.
 * - Errors: a corrupt file gives an `Error` from the wasm side, occasionally a wasm panic
 *   (`WebAssembly.RuntimeError: unreachable`, 6 in 1,200 random corruptions); after either the
 *   module keeps working. Both become LakeError 'CORRUPT_PARQUET' here. In the asynchronous
 *   reader a panic happens inside a wasm future and cannot be caught at all (the process gets an
 *   uncaught exception), which is why the synchronous path is the default.
 * - Field ids: Parquet `field_id`s arrive as Arrow field metadata `PARQUET:field_id` (top-level
 *   and nested struct fields); `fieldIdOf` reads them.
 * - Memory: the wasm heap holds a copy of the file, the decoded columns and the IPC buffer at
 *   once, and a WebAssembly memory never shrinks: reading a file raises the process's wasm heap to
 *   about 3× the decoded size of what was read (a 52 MB decoded table left a 235 MB heap), with a
 *   hard limit of 4 GiB. `readParquetBatches` reads one row group at a time to bound it.
 *
 * Type mapping observed on files written by Spark (Delta golden tables), Parquet → Arrow:
 *
 * | Parquet (as Spark writes it)                         | Arrow here                          |
 * | ---------------------------------------------------- | ----------------------------------- |
 * | BOOLEAN                                              | Bool                                |
 * | INT32 INT(8) / INT(16) / plain INT32                 | Int8 / Int16 / Int32                |
 * | INT64                                                | Int64                               |
 * | FLOAT / DOUBLE                                       | Float32 / Float64                   |
 * | BINARY STRING / plain BINARY                         | Utf8 / Binary                       |
 * | INT32 DATE                                           | Date32<DAY>                         |
 * | INT96 (Spark's default `timestamp`)                  | Timestamp<MICROSECOND>, no time zone (see "INT96 timestamps") |
 * | INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true)        | Timestamp<MILLISECOND, "UTC">       |
 * | INT64 TIMESTAMP(MICROS, isAdjustedToUTC=true)        | Timestamp<MICROSECOND, "UTC">       |
 * | INT64 TIMESTAMP(MICROS, false) (`timestamp_ntz`)     | Timestamp<MICROSECOND>, no time zone |
 * | DECIMAL as INT32 (p ≤ 9), INT64 (p ≤ 18), FIXED_LEN_BYTE_ARRAY (larger p, or all p in Spark's legacy format), plain or dictionary encoded | Decimal128(precision, scale) |
 * | group (struct)                                       | Struct                              |
 * | LIST (3-level `list.element`, legacy 2-level `array`) | List (child named `element` / `array`) |
 * | MAP (`key_value`)                                    | Map, entries struct named `entries` |
 *
 * Delta's logical types differ where a reader must cast (see `castData`): Delta `timestamp` is
 * Timestamp<MICROSECOND, "UTC"> (INT96 columns need the zone label, MILLIS columns scaling),
 * `timestamp_ntz` is Timestamp<MICROSECOND> without a zone, and type widening makes files hold
 * narrower types than the schema. Without our INT96 handling arrow-rs yields
 * Timestamp<NANOSECOND> for INT96, wrapped around (silently wrong) outside 1677–2262.
 * Arrow JS names a map's entries `entries`/`key`/`value` whatever names the type is built with.
 * Dictionary-encoded columns come back decoded (no Arrow Dictionary type) unless the file embeds
 * an Arrow schema asking for one.
 */
import {
  Data,
  DataType,
  Field,
  LargeList,
  List,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  Vector,
  makeData,
  tableFromIPC,
  tableToIPC,
  Precision,
  type Decimal,
  type Dictionary,
  type Float,
  type Int,
} from 'apache-arrow';
import {
  ParquetFile,
  readParquet as wasmReadParquet,
  readSchema as wasmReadSchema,
  type ReaderOptions,
} from 'parquet-wasm';
import { LakeError, UsageError } from '../errors.js';

/** Arrow field metadata key under which Parquet field ids appear (arrow-rs convention). */
export const PARQUET_FIELD_ID = 'PARQUET:field_id';

/**
 * Rows per record batch. arrow-rs defaults to 1,024, which makes ~1,000 JavaScript batches per
 * million rows and decodes ~40 % slower than 64 Ki (measured on a 1M-row file: 355 ms vs 218 ms).
 */
export const DEFAULT_BATCH_SIZE = 65_536;

export interface ParquetReadOptions {
  /**
   * Columns to return: top-level names, or dotted paths into structs (`add.path`). A name that is
   * itself a top-level column wins over a path. Output keeps the file's column order.
   */
  readonly columns?: readonly string[];
  /** Only these row groups (0-based indexes), in file order. */
  readonly rowGroups?: readonly number[];
  /** Skip this many rows (after row-group selection). */
  readonly offset?: number;
  /** Return at most this many rows. */
  readonly limit?: number;
  /** Rows per record batch (default DEFAULT_BATCH_SIZE). */
  readonly batchSize?: number;
  /** The file's key or URL, for error messages. */
  readonly path?: string;
}

/**
 * Reads a Parquet file into an Arrow table, synchronously. Errors (corrupt or truncated file,
 * unknown column) are LakeErrors: 'CORRUPT_PARQUET', 'COLUMN_NOT_FOUND'.
 */
export function readParquet(bytes: Uint8Array, options: ParquetReadOptions = {}): Table {
  return readPrepared(prepare(bytes, options.path), options);
}

function readPrepared(file: Prepared, options: ParquetReadOptions): Table {
  const read = (bytes: Uint8Array): Table =>
    decode(options.path, () => wasmReadParquet(bytes, wasmOptions(options, false)).intoIPCStream());
  let table: Table;
  try {
    table = read(file.bytes);
  } catch (error) {
    // Should the decoder ever refuse our INT96 hint, the file as it is still reads (in nanoseconds).
    if (file.bytes === file.original) throw error;
    table = read(file.original);
  }
  return options.columns === undefined ? table : projectTable(table, options.columns, options.path);
}

/**
 * The Arrow schema of a Parquet file (with field ids in field metadata), without decoding data:
 * the schema `readParquet` returns.
 */
export function readParquetSchema(bytes: Uint8Array, options: { path?: string } = {}): Schema {
  return prepare(bytes, options.path).schema ?? inferredSchema(bytes, options.path);
}

function inferredSchema(bytes: Uint8Array, path: string | undefined): Schema {
  return decode(path, () => wasmReadSchema(bytes).intoIPCStream()).schema;
}

/**
 * Reads a file one row group at a time (or the given row groups), yielding its record batches.
 * Peak memory is one row group's worth instead of the whole file's; each row group costs one copy
 * of the file into the wasm heap (parquet-wasm takes the whole buffer per call).
 */
export function* readParquetBatches(bytes: Uint8Array, options: Omit<ParquetReadOptions, 'offset' | 'limit'> = {}): Generator<RecordBatch> {
  const file = prepare(bytes, options.path);
  const rowGroups = (file.footer ?? readParquetFooter(bytes, options)).rowGroups;
  const groups = options.rowGroups ?? rowGroups.map((_, i) => i);
  for (const group of groups) {
    if (rowGroups[group] === undefined) {
      throw new UsageError(`${describe(options.path)} has ${rowGroups.length} row groups; there is no row group ${group}`, { path: options.path });
    }
    yield* readPrepared(file, { ...options, rowGroups: [group] }).batches;
  }
}

/**
 * Like `readParquet`, but `columns` are pushed down into the decoder (only those column chunks
 * are decompressed and decoded), through parquet-wasm's asynchronous `ParquetFile`.
 *
 * Caveats, measured with parquet-wasm 0.8:
 * - A decoder panic on a corrupt file happens inside a wasm future and surfaces as an uncaught
 *   exception, not as a rejected promise. Prefer `readParquet` for files that may be corrupt.
 * - parquet-wasm matches names against leaf paths with a byte/char index mix-up that panics for
 *   non-ASCII names when another column's name extends them (`é` next to `éé`). Names with
 *   non-ASCII characters are therefore never pushed down: the whole file is read and projected.
 */
export async function readParquetAsync(bytes: Uint8Array, options: ParquetReadOptions = {}): Promise<Table> {
  const columns = options.columns;
  const pushDown = columns !== undefined && columns.every((name) => /^[\x20-\x7e]+$/.test(name));
  let file: ParquetFile | undefined;
  try {
    const prepared = prepare(bytes, options.path);
    if (columns !== undefined) {
      // Validate names first, so an unknown column is a COLUMN_NOT_FOUND naming the file.
      resolveColumns(prepared.schema ?? inferredSchema(bytes, options.path), columns, options.path);
    }
    file = await ParquetFile.fromFile(new Blob([prepared.bytes]));
    const ipc = (await file.read(wasmOptions(options, pushDown))).intoIPCStream();
    const table = tableFromIPC(ipc);
    return columns === undefined || pushDown ? table : projectTable(table, columns, options.path);
  } catch (error) {
    throw asLakeError(error, options.path);
  } finally {
    file?.free();
  }
}

/** The number of rows of a Parquet file, from its footer (no decoding). */
export function parquetRowCount(bytes: Uint8Array, options: { path?: string } = {}): number {
  return readParquetFooter(bytes, options).numRows;
}

/** The Parquet field id of an Arrow field read from a file (undefined if the file has none). */
export function fieldIdOf(field: Field): number | undefined {
  const raw = field.metadata.get(PARQUET_FIELD_ID);
  if (raw === undefined) return undefined;
  const id = Number(raw);
  return Number.isInteger(id) ? id : undefined;
}

// ---------------------------------------------------------------------------------------------
// Decoding glue

function wasmOptions(options: ParquetReadOptions, withColumns: boolean): ReaderOptions {
  const out: ReaderOptions = { batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE };
  if (options.rowGroups !== undefined) out.rowGroups = [...options.rowGroups];
  if (options.offset !== undefined) out.offset = options.offset;
  if (options.limit !== undefined) out.limit = options.limit;
  if (withColumns && options.columns !== undefined) out.columns = [...options.columns];
  return out;
}

function decode(path: string | undefined, toIpc: () => Uint8Array): Table {
  let ipc: Uint8Array;
  try {
    ipc = toIpc();
  } catch (error) {
    throw asLakeError(error, path);
  }
  return tableFromIPC(ipc);
}

function asLakeError(error: unknown, path: string | undefined): LakeError {
  if (error instanceof LakeError) return error;
  const detail =
    error instanceof Error && error.name === 'RuntimeError' // a WebAssembly trap: a panic in the decoder
      ? `the Parquet decoder crashed (${error.message})`
      : error instanceof Error
        ? error.message.replace(/^Error: /, '')
        : String(error);
  return new LakeError('CORRUPT_PARQUET', `${describe(path)} is not readable Parquet (${detail}): it is truncated or corrupt`, {
    path,
    cause: error,
  });
}

function describe(path: string | undefined): string {
  return path ?? 'the file';
}

// ---------------------------------------------------------------------------------------------
// INT96 timestamps
//
// arrow-rs turns INT96 (Spark's default for `timestamp`) into int64 nanoseconds, which wraps
// around silently outside 1677-09-21 … 2262-04-11 (measured: a value in 1422 read as one in 2006;
// Spark's common sentinel 0001-01-01 is out of range too). arrow-rs takes the Arrow type of a
// column from an `ARROW:schema` entry in the footer's key/value metadata when there is one, and
// for INT96 it then converts straight to the unit asked for. So for files with INT96 columns and
// no Arrow schema of their own (what Spark writes), we give the decoder a copy of the file whose
// footer carries the inferred Arrow schema with those columns as Timestamp<MICROSECOND>: correct
// for every date, and already Delta's unit. Only the footer is rewritten (the data pages keep
// their offsets); it costs one copy of the file.

interface Prepared {
  /** The bytes to decode: the file itself, or the copy with the INT96 hint. */
  readonly bytes: Uint8Array;
  /** The file as it is. */
  readonly original: Uint8Array;
  /** Absent when our footer reader failed; the wasm decoder then reports on the file. */
  readonly footer?: ParquetFooter;
  /** The Arrow schema decoding yields, when we computed it (INT96 files). */
  readonly schema?: Schema;
}

const PARQUET_INT96 = 3;

function prepare(bytes: Uint8Array, path: string | undefined): Prepared {
  let parsed: ParsedFooter;
  try {
    parsed = parseFooter(bytes, path);
  } catch {
    return { bytes, original: bytes };
  }
  const { footer, start, keyValueSpan, exact } = parsed;
  const int96 = footer.schema.filter((e) => e.physicalType === PARQUET_INT96).length;
  if (int96 === 0 || footer.keyValueMetadata.has('ARROW:schema') || !exact) return { bytes, original: bytes, footer };
  const inferred = inferredSchema(bytes, path);
  let nanos = 0;
  const hinted = new Schema(
    inferred.fields.map((f) => withMicros(f, () => nanos++)),
    inferred.metadata,
  );
  // Every INT96 leaf reads as Timestamp<NANOSECOND>; if other columns do too (INT64 NANOS), we
  // cannot tell them apart here, so leave the file alone.
  if (nanos !== int96) return { bytes, original: bytes, footer };
  const ipc = tableToIPC(new Table(hinted), 'stream');
  const schemaMessage = ipc.subarray(0, ipc.length - 8); // without the end-of-stream marker
  const entries = [...footer.keyValueMetadata.entries(), ['ARROW:schema', Buffer.from(schemaMessage).toString('base64')] as const];
  const encoded = encodeKeyValueList(entries);
  const oldFooter = bytes.subarray(start, bytes.length - 8);
  const newFooter =
    keyValueSpan === undefined
      ? concatBytes([oldFooter.subarray(0, oldFooter.length - 1), Uint8Array.of(T_LIST, 10), encoded, Uint8Array.of(0)]) // long-form header: field 5 (zigzag 10)
      : concatBytes([oldFooter.subarray(0, keyValueSpan.start), encoded, oldFooter.subarray(keyValueSpan.end)]);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, newFooter.length, true);
  new DataView(tail.buffer).setUint32(4, MAGIC, true);
  return { bytes: concatBytes([bytes.subarray(0, start), newFooter, tail]), original: bytes, footer, schema: hinted };
}

/** The field with every Timestamp<NANOSECOND> in it turned into microseconds. */
function withMicros(field: Field, counted: () => void): Field {
  return new Field(field.name, micros(field.type, counted), field.nullable, field.metadata);
}

function micros(type: DataType, counted: () => void): DataType {
  if (type.typeId === Type.Timestamp && (type as Timestamp).unit === TimeUnit.NANOSECOND) {
    counted();
    return new Timestamp(TimeUnit.MICROSECOND, (type as Timestamp).timezone);
  }
  const children = (type.children ?? []) as Field[];
  if (children.length === 0) return type;
  switch (type.typeId) {
    case Type.Struct:
      return new Struct(children.map((c) => withMicros(c, counted)));
    case Type.List:
      return new List(withMicros(children[0]!, counted));
    case Type.LargeList:
      return new LargeList(withMicros(children[0]!, counted));
    case Type.Map:
      return new Map_(withMicros(children[0]!, counted) as Field<Struct>, (type as Map_).keysSorted);
    default:
      return type; // other nested types: left as inferred (never produced from INT96 by Spark)
  }
}

/** A Thrift compact list<KeyValue> (the value of FileMetaData field 5, without its field header). */
function encodeKeyValueList(entries: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const out: number[] = [];
  const varint = (n: number): void => {
    let v = n;
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  if (entries.length < 15) out.push((entries.length << 4) | T_STRUCT);
  else {
    out.push(0xf0 | T_STRUCT);
    varint(entries.length);
  }
  const encoder = new TextEncoder();
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      out.push(0x10 | T_BINARY); // fields 1 and 2, each one past the previous
      const bytes = encoder.encode(text);
      varint(bytes.length);
      for (const b of bytes) out.push(b);
    }
    out.push(0); // stop
  }
  return Uint8Array.from(out);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Projection of a decoded table

/** A projection: a whole field (`true`) or some of a struct's children. */
type Selection = true | Map<string, Selection>;

function resolveColumns(schema: Schema, columns: readonly string[], path: string | undefined): Map<string, Selection> {
  const root = new Map<string, Selection>();
  for (const column of columns) {
    if (!select(root, schema.fields, column)) {
      throw new LakeError(
        'COLUMN_NOT_FOUND',
        `column ${column} is not in ${describe(path)}; its columns are ${schema.fields.map((f) => f.name).join(', ')}`,
        { path },
      );
    }
  }
  return root;
}

/** Adds `name` (a field name or a dotted path into structs) to `into`; false if it names nothing. */
function select(into: Map<string, Selection>, fields: readonly Field[], name: string): boolean {
  const exact = fields.find((f) => f.name === name);
  if (exact !== undefined) {
    into.set(name, true);
    return true;
  }
  // The longest field name that is a prefix of `name` followed by a dot, then recurse.
  const candidates = fields
    .filter((f) => name.startsWith(`${f.name}.`) && f.type.typeId === Type.Struct)
    .sort((a, b) => b.name.length - a.name.length);
  for (const field of candidates) {
    const existing = into.get(field.name);
    if (existing === true) return true;
    const children = existing ?? new Map<string, Selection>();
    if (select(children, (field.type as Struct).children, name.slice(field.name.length + 1))) {
      into.set(field.name, children);
      return true;
    }
  }
  return false;
}

function projectTable(table: Table, columns: readonly string[], path: string | undefined): Table {
  const selection = resolveColumns(table.schema, columns, path);
  const fields = projectFields(table.schema.fields, selection);
  const schema = new Schema(fields.map((f) => f.field), table.schema.metadata);
  const batches = table.batches.map((batch) => {
    const data = batch.data;
    const children = fields.map(({ index, selection: sel, field }) => projectData(data.children[index]!, field.type, sel));
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: data.length, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

interface ProjectedField {
  readonly index: number;
  readonly field: Field;
  readonly selection: Selection;
}

function projectFields(fields: readonly Field[], selection: Map<string, Selection>): ProjectedField[] {
  const out: ProjectedField[] = [];
  fields.forEach((field, index) => {
    const sel = selection.get(field.name);
    if (sel === undefined) return;
    if (sel === true) {
      out.push({ index, field, selection: sel });
      return;
    }
    const children = projectFields((field.type as Struct).children, sel);
    const type = new Struct(children.map((c) => c.field));
    out.push({ index, field: new Field(field.name, type, field.nullable, field.metadata), selection: sel });
  });
  return out;
}

function projectData(data: Data, type: DataType, selection: Selection): Data {
  if (selection === true) return data;
  const struct = type as Struct;
  const sourceFields = (data.type as Struct).children;
  const children = struct.children.map((child) => {
    const index = sourceFields.findIndex((f) => f.name === child.name);
    return projectData(data.children[index]!, child.type, selection.get(child.name)!);
  });
  return makeData({ type: struct, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, children });
}

// ---------------------------------------------------------------------------------------------
// The footer (Thrift compact protocol), read without the wasm module

export interface ParquetRowGroupInfo {
  readonly numRows: number;
  /** Uncompressed size of the row group's column data. */
  readonly totalByteSize: number;
}

export interface ParquetSchemaElement {
  readonly name: string;
  /** Parquet physical type (0 BOOLEAN … 7 FIXED_LEN_BYTE_ARRAY); absent for groups. */
  readonly physicalType?: number;
  readonly numChildren?: number;
  readonly fieldId?: number;
}

export interface ParquetFooter {
  readonly numRows: number;
  readonly rowGroups: readonly ParquetRowGroupInfo[];
  /** The schema tree flattened depth-first, the root first, as the footer stores it. */
  readonly schema: readonly ParquetSchemaElement[];
  readonly keyValueMetadata: ReadonlyMap<string, string>;
  readonly createdBy?: string;
}

const MAGIC = 0x31524150; // "PAR1" little endian

/**
 * The file's footer: row count, row groups, flat schema with field ids, key/value metadata.
 * Read directly from the Thrift-encoded FileMetaData, so it is cheap and synchronous.
 */
export function readParquetFooter(bytes: Uint8Array, options: { path?: string } = {}): ParquetFooter {
  return parseFooter(bytes, options.path).footer;
}

interface ParsedFooter {
  readonly footer: ParquetFooter;
  /** Where the FileMetaData starts in the file. */
  readonly start: number;
  /** The value bytes of field 5 (key_value_metadata) within the FileMetaData, when present. */
  readonly keyValueSpan?: { readonly start: number; readonly end: number };
  /** Whether the FileMetaData ends exactly where the footer length says. */
  readonly exact: boolean;
}

function parseFooter(bytes: Uint8Array, path: string | undefined): ParsedFooter {
  const options = { path };
  const corrupt = (detail: string): LakeError =>
    new LakeError('CORRUPT_PARQUET', `${describe(options.path)} is not readable Parquet (${detail}): it is truncated or corrupt`, {
      path: options.path,
    });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC) throw corrupt('no PAR1 header');
  const tail = view.getUint32(bytes.byteLength - 4, true);
  if (tail === 0x45524150) throw new LakeError('UNSUPPORTED_PARQUET', `${describe(options.path)} has an encrypted footer, which lake cannot read`, { path: options.path });
  if (tail !== MAGIC) throw corrupt('no PAR1 footer');
  const length = view.getUint32(bytes.byteLength - 8, true);
  const start = bytes.byteLength - 8 - length;
  if (start < 4) throw corrupt(`footer length ${length} exceeds the file`);
  const reader = new CompactReader(bytes.subarray(start, bytes.byteLength - 8), corrupt);
  let numRows = 0;
  const rowGroups: ParquetRowGroupInfo[] = [];
  const schema: ParquetSchemaElement[] = [];
  const keyValueMetadata = new Map<string, string>();
  let createdBy: string | undefined;
  let keyValueSpan: { start: number; end: number } | undefined;
  reader.struct((id, type) => {
    if (id === 2 && type === T_LIST) {
      reader.list(() => schema.push(readSchemaElement(reader)));
    } else if (id === 3 && type === T_I64) {
      numRows = reader.int();
    } else if (id === 4 && type === T_LIST) {
      reader.list(() => {
        let rows = 0;
        let totalByteSize = 0;
        reader.struct((field, fieldType) => {
          if (field === 2 && fieldType === T_I64) totalByteSize = reader.int();
          else if (field === 3 && fieldType === T_I64) rows = reader.int();
          else reader.skip(fieldType);
        });
        rowGroups.push({ numRows: rows, totalByteSize });
      });
    } else if (id === 5 && type === T_LIST) {
      const valueStart = reader.position;
      reader.list(() => {
        let key = '';
        let value = '';
        reader.struct((field, fieldType) => {
          if (field === 1 && fieldType === T_BINARY) key = reader.string();
          else if (field === 2 && fieldType === T_BINARY) value = reader.string();
          else reader.skip(fieldType);
        });
        keyValueMetadata.set(key, value);
      });
      keyValueSpan = { start: valueStart, end: reader.position };
    } else if (id === 6 && type === T_BINARY) {
      createdBy = reader.string();
    } else {
      reader.skip(type);
    }
  });
  const footer: ParquetFooter =
    createdBy === undefined ? { numRows, rowGroups, schema, keyValueMetadata } : { numRows, rowGroups, schema, keyValueMetadata, createdBy };
  const exact = reader.position === length;
  return keyValueSpan === undefined ? { footer, start, exact } : { footer, start, keyValueSpan, exact };
}

function readSchemaElement(reader: CompactReader): ParquetSchemaElement {
  let name = '';
  let physicalType: number | undefined;
  let numChildren: number | undefined;
  let fieldId: number | undefined;
  reader.struct((id, type) => {
    if (id === 1 && type === T_I32) physicalType = reader.int();
    else if (id === 4 && type === T_BINARY) name = reader.string();
    else if (id === 5 && type === T_I32) numChildren = reader.int();
    else if (id === 9 && type === T_I32) fieldId = reader.int();
    else reader.skip(type);
  });
  return {
    name,
    ...(physicalType === undefined ? {} : { physicalType }),
    ...(numChildren === undefined ? {} : { numChildren }),
    ...(fieldId === undefined ? {} : { fieldId }),
  };
}

const T_TRUE = 1;
const T_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_DOUBLE = 7;
const T_BINARY = 8;
const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
const T_STRUCT = 12;

/** Just enough of Thrift's compact protocol to walk FileMetaData. */
class CompactReader {
  private pos = 0;
  get position(): number {
    return this.pos;
  }
  private depth = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly corrupt: (detail: string) => Error,
  ) {}

  private byte(): number {
    const b = this.bytes[this.pos++];
    if (b === undefined) throw this.corrupt('footer ends early');
    return b;
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw this.corrupt('bad varint in footer');
  }

  /** A zigzag-encoded i16/i32/i64 (exact up to 2^53). */
  int(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  string(): string {
    const length = this.varint();
    if (this.pos + length > this.bytes.length) throw this.corrupt('footer ends early');
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }

  /** Calls `field(id, type)` for each field; the callback must consume the value. */
  struct(field: (id: number, type: number) => void): void {
    if (++this.depth > 64) throw this.corrupt('footer nests too deeply');
    let last = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === 0) break;
      const delta = header >> 4;
      const id = delta === 0 ? this.int() : last + delta;
      last = id;
      // Booleans carry their value in the type nibble: `skip` consumes nothing for them.
      field(id, type);
    }
    this.depth--;
  }

  list(element: (type: number) => void): void {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const type = header & 0x0f;
    for (let i = 0; i < size; i++) {
      if (type === T_TRUE || type === T_FALSE) this.byte();
      else element(type);
    }
  }

  skip(type: number): void {
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        return;
      case T_BYTE:
        this.byte();
        return;
      case T_I16:
      case T_I32:
      case T_I64:
        this.varint();
        return;
      case T_DOUBLE:
        this.pos += 8;
        return;
      case T_BINARY: {
        const length = this.varint();
        this.pos += length;
        if (this.pos > this.bytes.length) throw this.corrupt('footer ends early');
        return;
      }
      case T_LIST:
      case T_SET:
        this.list((t) => this.skip(t));
        return;
      case T_MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case T_STRUCT:
        this.struct((_, t) => this.skip(t));
        return;
      default:
        throw this.corrupt(`unknown Thrift type ${type} in footer`);
    }
  }

  private skipElement(type: number): void {
    // Inside containers a boolean takes one byte.
    if (type === T_TRUE || type === T_FALSE) this.byte();
    else this.skip(type);
  }
}

// ---------------------------------------------------------------------------------------------
// Casts a reader needs: timestamp units and zones, type widening, string/binary offset widths

/**
 * Converts a column to `target`, for the differences between what a Parquet file holds and what
 * the table's schema says. Supported, all value-preserving except where noted:
 * - same type: returned as is (zero copy); only the type object is replaced when metadata-only
 *   details differ (time zone label, decimal precision at the same scale, nested field names);
 * - Timestamp → Timestamp of any unit and zone: units are scaled (to a coarser unit with floor
 *   division, as Spark converts INT96 nanoseconds to microseconds); the zone is a label (Arrow
 *   timestamps with a zone are UTC instants, and Parquet INT96/`timestamp_ntz` values are taken
 *   as they are);
 * - Date32/Date64 → Timestamp (midnight; Delta type widening date → timestamp_ntz);
 * - integer widening Int8 → Int16 → Int32 → Int64 (and UInt8/16/32 into a wider signed type);
 * - Int8/16/32 and UInt8/16/32 → Float64; Float32 → Float64;
 * - integers and decimals → Decimal128 of a scale and precision at least as large (overflow of
 *   the target precision is an error);
 * - Utf8 ↔ LargeUtf8, Binary ↔ LargeBinary (offset width);
 * - Dictionary of a fixed-width, string or binary type → its value type (decoded);
 * - Null → any type (all nulls);
 * - Struct → Struct (children matched by name; target children missing from the source are all
 *   null), List/LargeList → List/LargeList and Map → Map (children cast recursively).
 * Anything else is LakeError 'UNSUPPORTED_CAST'.
 */
export function castData(data: Data, target: DataType): Data {
  const source = data.type;
  if (source.typeId === Type.Null) return nullData(target, data.length);
  if (source.typeId === Type.Dictionary) return castData(decodeDictionary(data as Data<Dictionary>), target);
  switch (target.typeId) {
    case Type.Struct:
      return castStruct(data, target as Struct);
    case Type.List:
    case Type.LargeList:
      return castList(data, target as List | LargeList);
    case Type.Map:
      return castMap(data, target as Map_);
    default:
      break;
  }
  if (sameLeafType(source, target)) return source === target ? data : retype(data, target);
  if (target.typeId === Type.Timestamp) {
    if (source.typeId === Type.Timestamp) return castTimestamp(data as Data<Timestamp>, target as Timestamp);
    if (source.typeId === Type.Date) return castDateToTimestamp(data, target as Timestamp);
  }
  if (target.typeId === Type.Int && source.typeId === Type.Int && isIntWidening(source as Int, target as Int)) {
    return castInt(data as Data<Int>, target as Int);
  }
  if (target.typeId === Type.Float && (target as Float).precision === Precision.DOUBLE) {
    if (source.typeId === Type.Int && (source as Int).bitWidth <= 32) return castToFloat64(data, target);
    if (source.typeId === Type.Float && (source as Float).precision === Precision.SINGLE) return castToFloat64(data, target);
  }
  if (target.typeId === Type.Decimal && (target as Decimal).bitWidth === 128) {
    if (source.typeId === Type.Decimal) return castDecimal(data as Data<Decimal>, target as Decimal);
    if (source.typeId === Type.Int) return castIntToDecimal(data as Data<Int>, target as Decimal);
  }
  if (isVarWidth(source) && isVarWidth(target) && isStringy(source) === isStringy(target)) {
    return castOffsets(data, target);
  }
  throw unsupportedCast(source, target);
}

/** Whether castData converts `source` data to `target` (the rules, without data). */
export function isCastable(source: DataType, target: DataType): boolean {
  try {
    castData(nullData(source, 0), target);
    return true;
  } catch {
    return false;
  }
}

/** `castData` over every chunk of a vector. */
export function castColumn(vector: Vector, target: DataType): Vector {
  return new Vector(vector.data.map((data) => castData(data, target)));
}

/** Delta's `timestamp`: microseconds, UTC. */
export const DELTA_TIMESTAMP = new Timestamp(TimeUnit.MICROSECOND, 'UTC');
/** Delta's `timestamp_ntz`: microseconds, no time zone. */
export const DELTA_TIMESTAMP_NTZ = new Timestamp(TimeUnit.MICROSECOND, null);

/** A timestamp column in microseconds with the given zone (`'UTC'` for Delta `timestamp`, null for `timestamp_ntz`). */
export function toMicrosTimestamp(data: Data, timezone: string | null): Data {
  return castData(data, timezone === null ? DELTA_TIMESTAMP_NTZ : new Timestamp(TimeUnit.MICROSECOND, timezone));
}

function unsupportedCast(source: DataType, target: DataType): LakeError {
  return new LakeError('UNSUPPORTED_CAST', `cannot read a ${String(source)} column as ${String(target)}`);
}

function sameLeafType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  switch (a.typeId) {
    case Type.Int:
      return x.bitWidth === y.bitWidth && x.isSigned === y.isSigned;
    case Type.Float:
      return x.precision === y.precision;
    case Type.Decimal:
      // Same scale and width: the values are the same; a larger precision is only a label.
      return x.scale === y.scale && x.bitWidth === y.bitWidth && (x.precision as number) <= (y.precision as number);
    case Type.Date:
    case Type.Time:
      return x.unit === y.unit && (a.typeId !== Type.Time || x.bitWidth === y.bitWidth);
    case Type.Timestamp:
      // The zone is a label on the same UTC-normalised values.
      return x.unit === y.unit;
    case Type.Duration:
      return x.unit === y.unit;
    case Type.Interval:
      return x.unit === y.unit;
    case Type.FixedSizeBinary:
      return x.byteWidth === y.byteWidth;
    case Type.Struct:
    case Type.List:
    case Type.LargeList:
    case Type.Map:
    case Type.FixedSizeList:
    case Type.Union:
    case Type.Dictionary:
      return false;
    default:
      return true;
  }
}

/** The same buffers under another (equivalent) type object. */
function retype(data: Data, target: DataType): Data {
  return data.clone(target);
}

/** A validity bitmap starting at bit 0 (Arrow JS keeps `offset` for the bitmap of sliced data). */
function validity(data: Data): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const nullCount = data.nullCount;
  if (nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return { nullBitmap: undefined, nullCount: 0 };
  const { offset, length } = data;
  const source = data.nullBitmap;
  if (offset % 8 === 0) return { nullBitmap: source.slice(offset >> 3, (offset + length + 7) >> 3), nullCount };
  const out = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) {
    const bit = offset + i;
    if ((source[bit >> 3]! >> (bit & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return { nullBitmap: out, nullCount };
}

function fixedWidth(data: Data, target: DataType, values: ArrayBufferView): Data {
  const { nullBitmap, nullCount } = validity(data);
  return makeData({ type: target as never, length: data.length, nullCount, nullBitmap, data: values as never });
}

const UNIT_POWER = [0, 3, 6, 9] as const; // TimeUnit SECOND, MILLISECOND, MICROSECOND, NANOSECOND
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function castTimestamp(data: Data<Timestamp>, target: Timestamp): Data {
  const source = data.type;
  if (source.unit === target.unit) return retype(data, target);
  const values = data.values as unknown as BigInt64Array;
  const out = new BigInt64Array(data.length);
  const shift = UNIT_POWER[target.unit]! - UNIT_POWER[source.unit]!;
  if (shift > 0) {
    const factor = 10n ** BigInt(shift);
    for (let i = 0; i < data.length; i++) {
      const v = values[i]! * factor;
      if (v < INT64_MIN || v > INT64_MAX) {
        if (!data.getValid(i)) continue;
        throw new LakeError('UNSUPPORTED_CAST', `timestamp ${values[i]} ${TimeUnit[source.unit]} is out of range in ${TimeUnit[target.unit]}`);
      }
      out[i] = v;
    }
  } else {
    const divisor = 10n ** BigInt(-shift);
    for (let i = 0; i < data.length; i++) out[i] = floorDiv(values[i]!, divisor);
  }
  return fixedWidth(data, target, out);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function castDateToTimestamp(data: Data, target: Timestamp): Data {
  const perDay = 86_400n * 10n ** BigInt(UNIT_POWER[target.unit]!);
  const out = new BigInt64Array(data.length);
  const unit = (data.type as unknown as { unit: number }).unit; // DateUnit: 0 DAY, 1 MILLISECOND
  if (unit === 0) {
    const days = data.values as Int32Array;
    for (let i = 0; i < data.length; i++) out[i] = BigInt(days[i]!) * perDay;
  } else {
    const millis = data.values as unknown as BigInt64Array;
    const power = UNIT_POWER[target.unit]! - 3;
    for (let i = 0; i < data.length; i++) {
      out[i] = power >= 0 ? millis[i]! * 10n ** BigInt(power) : floorDiv(millis[i]!, 10n ** BigInt(-power));
    }
  }
  return fixedWidth(data, target, out);
}

function isIntWidening(source: Int, target: Int): boolean {
  if (!target.isSigned) return false;
  return source.isSigned ? target.bitWidth > source.bitWidth : target.bitWidth > source.bitWidth && source.bitWidth <= 32;
}

function castInt(data: Data<Int>, target: Int): Data {
  const values = data.values as unknown as ArrayLike<number>;
  const length = data.length;
  let out: Int16Array | Int32Array | BigInt64Array;
  if (target.bitWidth === 64) {
    out = new BigInt64Array(length);
    for (let i = 0; i < length; i++) out[i] = BigInt(values[i]!);
  } else {
    out = target.bitWidth === 32 ? new Int32Array(length) : new Int16Array(length);
    for (let i = 0; i < length; i++) out[i] = values[i]!;
  }
  return fixedWidth(data, target, out);
}

function castToFloat64(data: Data, target: DataType): Data {
  const values = data.values as unknown as ArrayLike<number>;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = values[i]!;
  return fixedWidth(data, target, out);
}

function readI128(words: Uint32Array, i: number): bigint {
  const base = i * 4;
  return BigInt.asIntN(
    128,
    BigInt(words[base]!) | (BigInt(words[base + 1]!) << 32n) | (BigInt(words[base + 2]!) << 64n) | (BigInt(words[base + 3]!) << 96n),
  );
}

function writeI128(words: Uint32Array, i: number, value: bigint): void {
  let v = BigInt.asUintN(128, value);
  const base = i * 4;
  for (let k = 0; k < 4; k++) {
    words[base + k] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}

function castDecimal(data: Data<Decimal>, target: Decimal): Data {
  const source = data.type;
  if (source.bitWidth !== 128 || target.scale < source.scale || target.precision - target.scale < source.precision - source.scale) {
    throw unsupportedCast(source, target);
  }
  if (target.scale === source.scale) return retype(data, target);
  const factor = 10n ** BigInt(target.scale - source.scale);
  const words = data.values as Uint32Array;
  const out = new Uint32Array(data.length * 4);
  for (let i = 0; i < data.length; i++) writeI128(out, i, readI128(words, i) * factor);
  return fixedWidth(data, target, out);
}

function castIntToDecimal(data: Data<Int>, target: Decimal): Data {
  const source = data.type;
  const factor = 10n ** BigInt(target.scale);
  const limit = 10n ** BigInt(target.precision);
  const values = data.values as unknown as ArrayLike<number | bigint>;
  const out = new Uint32Array(data.length * 4);
  for (let i = 0; i < data.length; i++) {
    const v = BigInt(values[i]!) * factor;
    if ((v >= limit || v <= -limit) && data.getValid(i)) {
      throw new LakeError('UNSUPPORTED_CAST', `value ${values[i]} of a ${String(source)} column does not fit ${String(target)}`);
    }
    writeI128(out, i, v);
  }
  return fixedWidth(data, target, out);
}

function isVarWidth(type: DataType): boolean {
  return type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8 || type.typeId === Type.Binary || type.typeId === Type.LargeBinary;
}

function isStringy(type: DataType): boolean {
  return type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8;
}

/** Utf8 ↔ LargeUtf8, Binary ↔ LargeBinary: rewrite the offsets, keep the bytes. */
function castOffsets(data: Data, target: DataType): Data {
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  const first = Number(offsets[0]!);
  const last = Number(offsets[data.length]!);
  const bytes = (data.values as Uint8Array).subarray(first, last);
  const large = target.typeId === Type.LargeUtf8 || target.typeId === Type.LargeBinary;
  if (!large && last - first > 0x7fffffff) throw new LakeError('UNSUPPORTED_CAST', `a ${String(data.type)} batch of ${last - first} bytes is too large for ${String(target)}`);
  const out = large ? new BigInt64Array(data.length + 1) : new Int32Array(data.length + 1);
  for (let i = 0; i <= data.length; i++) {
    const v = Number(offsets[i]!) - first;
    if (large) (out as BigInt64Array)[i] = BigInt(v);
    else (out as Int32Array)[i] = v;
  }
  const { nullBitmap, nullCount } = validity(data);
  return makeData({ type: target as Utf8, length: data.length, nullCount, nullBitmap, valueOffsets: out as Int32Array, data: bytes });
}

function decodeDictionary(data: Data<Dictionary>): Data {
  const dictionary = data.dictionary;
  const valueType = data.type.dictionary;
  if (dictionary === undefined) throw unsupportedCast(data.type, valueType);
  const values = dictionary.data.length === 1 ? dictionary.data[0]! : concatNotSupported(data.type);
  const indices = data.values as unknown as ArrayLike<number | bigint>;
  const length = data.length;
  const { nullBitmap, nullCount } = validity(data);
  const index = (i: number): number => (data.getValid(i) ? Number(indices[i]!) : -1);
  if (isVarWidth(valueType)) {
    const offsets = values.valueOffsets as Int32Array | BigInt64Array;
    const bytes = values.values as Uint8Array;
    let total = 0;
    for (let i = 0; i < length; i++) {
      const k = index(i);
      if (k >= 0) total += Number(offsets[k + 1]!) - Number(offsets[k]!);
    }
    const large = valueType.typeId === Type.LargeUtf8 || valueType.typeId === Type.LargeBinary;
    const outOffsets = large ? new BigInt64Array(length + 1) : new Int32Array(length + 1);
    const outBytes = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < length; i++) {
      const k = index(i);
      if (k >= 0) {
        const start = Number(offsets[k]!);
        const end = Number(offsets[k + 1]!);
        outBytes.set(bytes.subarray(start, end), at);
        at += end - start;
      }
      if (large) (outOffsets as BigInt64Array)[i + 1] = BigInt(at);
      else (outOffsets as Int32Array)[i + 1] = at;
    }
    return makeData({ type: valueType as Utf8, length, nullCount, nullBitmap, valueOffsets: outOffsets as Int32Array, data: outBytes });
  }
  const stride = values.stride;
  const source = values.values as unknown as { length: number; constructor: new (n: number) => ArrayLike<unknown> & Record<number, unknown> };
  if (valueType.typeId === Type.Bool || source === undefined) throw unsupportedCast(data.type, valueType);
  const out = new source.constructor(length * stride);
  const src = source as unknown as ArrayLike<unknown>;
  for (let i = 0; i < length; i++) {
    const k = index(i);
    if (k < 0) continue;
    for (let s = 0; s < stride; s++) out[i * stride + s] = src[k * stride + s];
  }
  return makeData({ type: valueType as never, length, nullCount, nullBitmap, data: out as never });
}

function concatNotSupported(type: DataType): never {
  throw new LakeError('UNSUPPORTED_CAST', `a ${String(type)} column with a chunked dictionary cannot be decoded`);
}

function castStruct(data: Data, target: Struct): Data {
  if (data.type.typeId !== Type.Struct) throw unsupportedCast(data.type, target);
  const sourceFields = (data.type as Struct).children;
  const children = target.children.map((field) => {
    const index = sourceFields.findIndex((f) => f.name === field.name);
    // Children of sliced struct data are sliced with it: child row i is the struct's row i.
    return index === -1 ? nullData(field.type, data.length) : castData(data.children[index]!, field.type);
  });
  return makeData({ type: target, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, children });
}

function castList(data: Data, target: List | LargeList): Data {
  const sourceId = data.type.typeId;
  if (sourceId !== Type.List && sourceId !== Type.LargeList) throw unsupportedCast(data.type, target);
  const child = castData(data.children[0]!, target.children[0]!.type);
  let valueOffsets = data.valueOffsets as Int32Array | BigInt64Array;
  if (sourceId !== target.typeId) {
    const large = target.typeId === Type.LargeList;
    const out = large ? new BigInt64Array(data.length + 1) : new Int32Array(data.length + 1);
    for (let i = 0; i <= data.length; i++) {
      const v = Number(valueOffsets[i]!);
      if (large) (out as BigInt64Array)[i] = BigInt(v);
      else (out as Int32Array)[i] = v;
    }
    valueOffsets = out;
  }
  return makeData({
    type: target as List,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    valueOffsets: valueOffsets as Int32Array,
    child,
  });
}

function castMap(data: Data, target: Map_): Data {
  if (data.type.typeId !== Type.Map) throw unsupportedCast(data.type, target);
  const entries = data.children[0]!;
  const targetEntries = target.children[0]!.type as Struct;
  const [keyField, valueField] = targetEntries.children;
  const [key, value] = entries.children;
  const child = makeData({
    type: targetEntries,
    offset: entries.offset,
    length: entries.length,
    nullCount: entries.nullCount,
    nullBitmap: entries.nullBitmap,
    children: [castData(key!, keyField!.type), castData(value!, valueField!.type)],
  });
  return makeData({
    type: target,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    valueOffsets: data.valueOffsets as Int32Array,
    child,
  });
}

/** `length` nulls of any type. */
export function nullData(type: DataType, length: number): Data {
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type: type as never, length });
    case Type.Struct:
      return makeData({
        type: type as Struct,
        length,
        nullCount: length,
        nullBitmap,
        children: (type as Struct).children.map((f) => nullData(f.type, length)),
      });
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const child = nullData(type.children[0]!.type, 0);
      const valueOffsets = type.typeId === Type.LargeList ? new BigInt64Array(length + 1) : new Int32Array(length + 1);
      return makeData({ type: type as List, length, nullCount: length, nullBitmap, valueOffsets: valueOffsets as Int32Array, child });
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize;
      return makeData({ type: type as never, length, nullCount: length, nullBitmap, child: nullData(type.children[0]!.type, length * size) } as never);
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
      const valueOffsets = large ? new BigInt64Array(length + 1) : new Int32Array(length + 1);
      return makeData({ type: type as Utf8, length, nullCount: length, nullBitmap, valueOffsets: valueOffsets as Int32Array, data: new Uint8Array(0) });
    }
    case Type.Bool:
      return makeData({ type: type as never, length, nullCount: length, nullBitmap, data: new Uint8Array((length + 7) >> 3) } as never);
    case Type.Dictionary:
      throw new LakeError('UNSUPPORTED_CAST', `cannot make a null column of ${String(type)}`);
    default: {
      const ArrayType = (type as unknown as { ArrayType: new (n: number) => ArrayBufferView }).ArrayType;
      const stride = strideOf(type);
      return makeData({ type: type as never, length, nullCount: length, nullBitmap, data: new ArrayType(length * stride) } as never);
    }
  }
}

function strideOf(type: DataType): number {
  switch (type.typeId) {
    case Type.Decimal:
      return (type as Decimal).bitWidth / 32;
    case Type.FixedSizeBinary:
      return (type as unknown as { byteWidth: number }).byteWidth;
    case Type.Interval: {
      const unit = (type as unknown as { unit: number }).unit; // YEAR_MONTH 0, DAY_TIME 1, MONTH_DAY_NANO 2
      return unit === 2 ? 4 : 1 + unit;
    }
    default:
      return 1;
  }
}

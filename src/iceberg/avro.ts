/**
 * Avro object container files (Iceberg's manifest lists and manifests), decoded with avsc, and
 * their records re-keyed by Iceberg field id.
 *
 * Iceberg readers must read manifests by field id, not by name: writers have renamed fields
 * between versions (v1's `added_data_files_count` is v2's `added_files_count`) and the ids are
 * what the spec fixes. Records stay as avsc decodes them (its compiled readers are fast); a
 * RecordShape, built once from the writer schema, reads their fields by id. Maps with non-string
 * keys (Avro arrays of key/value records, as Iceberg writes them) are arrays of such records.
 *
 * Codecs: null, deflate, snappy (Avro's framing: a block, then its CRC-32) and zstandard.
 */
import { inflateRaw } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';
import avro from 'avsc';
import { LakeError } from '../errors.js';

export interface AvroContainer {
  /** The writer schema, as JSON. */
  readonly schema: AvroSchema;
  /** Key/value metadata of the file header (Iceberg puts the table schema, partition spec, … there). */
  readonly meta: ReadonlyMap<string, string>;
  /** The records as avsc decodes them (fields by the writer's names): read them through `shape`. */
  readonly records: readonly unknown[];
  /** Field access by field id for the records' schema. */
  readonly shape: RecordShape;
}

export type AvroSchema = string | AvroSchema[] | { readonly [key: string]: unknown };

/**
 * A record schema's fields by field id, computed once per file: `get(record, id)` is a property
 * read, and `child(id)` the shape of a field holding records (a record, an optional record, or an
 * array of records, as Iceberg's int-keyed maps are). Fields without an id are not reachable.
 */
export class RecordShape {
  private readonly names = new Map<number, string>();
  private readonly children = new Map<number, RecordShape>();

  static of(schema: AvroSchema): RecordShape | undefined {
    const record = recordOf(schema);
    return record === undefined ? undefined : new RecordShape(record);
  }

  private constructor(record: { readonly fields?: unknown }) {
    for (const field of (record.fields ?? []) as { name: string; type: AvroSchema; 'field-id'?: number }[]) {
      const id = field['field-id'];
      if (typeof id !== 'number') continue;
      this.names.set(id, field.name);
      const child = RecordShape.of(field.type);
      if (child !== undefined) this.children.set(id, child);
    }
  }

  /** The value of field `id` (null when the record or the field is absent, or the value null). */
  get(record: unknown, id: number): unknown {
    const name = this.names.get(id);
    const value = name === undefined || record === null || record === undefined ? undefined : (record as Record<string, unknown>)[name];
    return value === undefined ? null : value;
  }

  child(id: number): RecordShape | undefined {
    return this.children.get(id);
  }

  /** The field ids this record has. */
  ids(): IterableIterator<number> {
    return this.names.keys();
  }
}

/** The record schema a field holds, looking through optional unions and arrays. */
function recordOf(schema: AvroSchema): { readonly fields?: unknown } | undefined {
  if (Array.isArray(schema)) {
    const branch = schema.find((s) => s !== 'null');
    return branch === undefined ? undefined : recordOf(branch);
  }
  if (typeof schema === 'string') return undefined;
  if (schema.type === 'record') return schema as { fields?: unknown };
  if (schema.type === 'array') return recordOf(schema.items as AvroSchema);
  if (typeof schema.type === 'object' && schema.type !== null) return recordOf(schema.type as AvroSchema);
  return undefined;
}

/**
 * Avro longs as numbers while they are safe integers, else exact bigints (snapshot ids use all 64
 * bits). A subclass of avsc's long type reading its fast varint path first: the generic
 * `LongType.__with` hook would cost every long a buffer copy.
 */
const AvscLongType = avro.types.LongType as unknown as new () => { _read(tap: Tap): unknown };
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
}
class ExactLongType extends AvscLongType {
  override _read(tap: Tap): number | bigint {
    const start = tap.pos;
    const n = tap.readLong();
    if (Number.isSafeInteger(n)) return n;
    tap.pos = start;
    let value = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = tap.buf[tap.pos++]!;
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    return (value >> 1n) ^ -(value & 1n);
  }

  _check(value: unknown): boolean {
    return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
  }
}
const exactLong = new ExactLongType();

type Callback = (error: Error | null, out?: Buffer) => void;
const CODECS: Record<string, (buf: Buffer, cb: Callback) => void> = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => inflateRaw(buf, cb),
  snappy: (buf, cb) => {
    try {
      cb(null, Buffer.from(snappyUncompress(buf.subarray(0, buf.length - 4))));
    } catch (error) {
      cb(error as Error);
    }
  },
  zstandard: (buf, cb) => {
    try {
      cb(null, Buffer.from(zstdDecompress(buf)));
    } catch (error) {
      cb(error as Error);
    }
  },
};

/** Decodes a whole container file; `name` is for errors. */
export async function readAvroContainer(bytes: Uint8Array, name: string): Promise<AvroContainer> {
  let schema: AvroSchema | undefined;
  let meta = new Map<string, string>();
  const records: unknown[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const decoder = new avro.streams.BlockDecoder({
        codecs: CODECS,
        parseHook: (writerSchema: unknown) => {
          schema = writerSchema as AvroSchema;
          return avro.Type.forSchema(writerSchema, { registry: { long: exactLong }, wrapUnions: false });
        },
      });
      decoder.on('metadata', (_type: unknown, _codec: string, header: { meta: Record<string, Buffer> }) => {
        meta = new Map(Object.entries(header.meta).map(([key, value]) => [key, value.toString('utf8')]));
      });
      decoder.on('data', (record: unknown) => records.push(record));
      decoder.on('error', reject);
      decoder.on('end', resolve);
      decoder.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
  } catch (error) {
    throw new LakeError('CORRUPT_METADATA', `${name} is not a readable Avro file: ${(error as Error).message}`, { cause: error });
  }
  const shape = schema === undefined ? undefined : RecordShape.of(schema);
  if (schema === undefined || shape === undefined) throw new LakeError('CORRUPT_METADATA', `${name} is not a readable Avro file of records: it has no record schema`);
  return { schema, meta, records, shape };
}

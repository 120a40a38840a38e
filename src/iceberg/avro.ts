/**
 * Avro object container files (Iceberg's manifest lists and manifests), decoded with avsc, and
 * their records re-keyed by Iceberg field id.
 *
 * Iceberg readers must read manifests by field id, not by name: writers have renamed fields
 * between versions (v1's `added_data_files_count` is v2's `added_files_count`) and the ids are
 * what the spec fixes. So each record becomes a Map from the writer schema's `field-id` to the
 * value, recursively; maps with non-string keys (Avro arrays of key/value records, as Iceberg
 * writes them) stay arrays of such records. Longs decode as BigInt: snapshot ids use all 64 bits.
 *
 * Codecs: null, deflate, snappy (Avro's framing: a block, then its CRC-32) and zstandard.
 */
import { inflateRaw } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';
import avro from 'avsc';
import { LakeError } from '../errors.js';

/** A decoded record: values by field id. */
export type IdRecord = ReadonlyMap<number, unknown>;

export interface AvroContainer {
  /** The writer schema, as JSON. */
  readonly schema: AvroSchema;
  /** Key/value metadata of the file header (Iceberg puts the table schema, partition spec, … there). */
  readonly meta: ReadonlyMap<string, string>;
  readonly records: readonly IdRecord[];
}

export type AvroSchema = string | AvroSchema[] | { readonly [key: string]: unknown };

const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (value: unknown) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(value as bigint));
    return buf;
  },
  fromJSON: (value: unknown) => BigInt(value as number),
  toJSON: (value: unknown) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: unknown, b: unknown) => ((a as bigint) === (b as bigint) ? 0 : (a as bigint) < (b as bigint) ? -1 : 1),
});

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
          return avro.Type.forSchema(writerSchema, { registry: { long: bigLong }, wrapUnions: false });
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
  if (schema === undefined) throw new LakeError('CORRUPT_METADATA', `${name} is not a readable Avro file: it has no header`);
  const root = schema;
  return { schema: root, meta, records: records.map((record) => byFieldId(root, record) as IdRecord) };
}

/** A value decoded under `schema`, with records re-keyed by field id (fields without one are dropped). */
function byFieldId(schema: AvroSchema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(schema)) {
    // An optional value: the union's non-null branch (Iceberg writes no other unions).
    const branch = schema.find((s) => s !== 'null');
    return branch === undefined ? null : byFieldId(branch, value);
  }
  if (typeof schema === 'string') return value;
  switch (schema.type) {
    case 'record': {
      const out = new Map<number, unknown>();
      for (const field of schema.fields as { name: string; type: AvroSchema; 'field-id'?: number }[]) {
        const id = field['field-id'];
        if (typeof id === 'number') out.set(id, byFieldId(field.type, (value as Record<string, unknown>)[field.name]));
      }
      return out;
    }
    case 'array':
      return (value as unknown[]).map((item) => byFieldId(schema.items as AvroSchema, item));
    case 'map':
      return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, byFieldId(schema.values as AvroSchema, v)]));
    default:
      // Fixed, enum, or a primitive with annotations ({type: 'long', logicalType: …}).
      return typeof schema.type === 'object' && schema.type !== null ? byFieldId(schema.type as AvroSchema, value) : value;
  }
}

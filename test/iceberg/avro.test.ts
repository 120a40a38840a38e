/**
 * Avro container files as Iceberg writes them: the null, deflate and snappy codecs (zstandard
 * shares fzstd with the Puffin tests), fields read by id whatever their names, 64-bit longs exact,
 * and a damaged file named in the error. (Fields without an id are not reachable.)
 */
import { deflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { compress as snappyCompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { readAvroContainer } from '../../src/iceberg/avro.js';

const SCHEMA = {
  type: 'record',
  name: 'entry',
  fields: [
    { name: 'renamed_by_a_writer', type: 'long', 'field-id': 1 },
    { name: 'nested', 'field-id': 2, type: ['null', { type: 'record', name: 'n', fields: [{ name: 'p', type: 'string', 'field-id': 100 }] }] },
    { name: 'no_id', type: 'int' },
  ],
};

/** A container file of `records` with `codec` (one block). */
function container(codec: string, records: object[]): Buffer {
  const type = avro.Type.forSchema(SCHEMA) as unknown as { toBuffer(v: unknown): Buffer };
  const header = avro.Type.forSchema({
    type: 'record', name: 'Header',
    fields: [{ name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } }, { name: 'meta', type: { type: 'map', values: 'bytes' } }, { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } }],
  }) as unknown as { toBuffer(v: unknown): Buffer };
  const long = avro.Type.forSchema('long') as unknown as { toBuffer(v: unknown): Buffer };
  const sync = Buffer.alloc(16, 3);
  const raw = Buffer.concat(records.map((r) => type.toBuffer(r)));
  const crc = Buffer.alloc(4); // snappy blocks end with a CRC-32 of the uncompressed data (not checked here)
  const body = codec === 'deflate' ? deflateRawSync(raw) : codec === 'snappy' ? Buffer.concat([Buffer.from(snappyCompress(raw)), crc]) : raw;
  return Buffer.concat([
    header.toBuffer({ magic: Buffer.from('Obj\x01', 'latin1'), meta: { 'avro.schema': Buffer.from(JSON.stringify(SCHEMA)), 'avro.codec': Buffer.from(codec) }, sync }),
    long.toBuffer(records.length),
    long.toBuffer(body.length),
    body,
    sync,
  ]);
}

describe('Avro containers', () => {
  for (const codec of ['null', 'deflate', 'snappy']) {
    it(`${codec}: fields by id, nested and null`, async () => {
      const bytes = container(codec, [
        { renamed_by_a_writer: 42, nested: { p: 'x' }, no_id: 1 },
        { renamed_by_a_writer: 43, nested: null, no_id: 2 },
      ]);
      const file = await readAvroContainer(bytes, `t.${codec}.avro`);
      expect(file.records.map((r) => [file.shape.get(r, 1), file.shape.child(2)?.get(file.shape.get(r, 2), 100) ?? null])).toEqual([
        [42, 'x'],
        [43, null],
      ]);
      expect([...file.shape.ids()]).toEqual([1, 2]);
    });
  }

  it('reads a long beyond 2^53 exactly, as a bigint', async () => {
    const schema = { type: 'record', name: 'r', fields: [{ name: 'id', type: 'long', 'field-id': 1 }] };
    const zigzag = (n: bigint) => (n << 1n) ^ (n >> 63n);
    const varint = (n: bigint) => {
      const out: number[] = [];
      let v = BigInt.asUintN(64, zigzag(n));
      do {
        out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
        v >>= 7n;
      } while (v > 0n);
      return Buffer.from(out);
    };
    const header = avro.Type.forSchema({
      type: 'record', name: 'Header',
      fields: [{ name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } }, { name: 'meta', type: { type: 'map', values: 'bytes' } }, { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } }],
    }) as unknown as { toBuffer(v: unknown): Buffer };
    const sync = Buffer.alloc(16, 9);
    const body = Buffer.concat([varint(7817332053627255703n), varint(-9223372036854775808n), varint(5n)]);
    const bytes = Buffer.concat([header.toBuffer({ magic: Buffer.from('Obj\x01', 'latin1'), meta: { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from('null') }, sync }), varint(3n), varint(BigInt(body.length)), body, sync]);
    const file = await readAvroContainer(bytes, 'ids.avro');
    expect(file.records.map((r) => file.shape.get(r, 1))).toEqual([7817332053627255703n, -9223372036854775808n, 5]);
  });

  it('names a damaged file', async () => {
    await expect(readAvroContainer(Buffer.from('not avro at all'), 'm0.avro')).rejects.toThrow(/m0.avro is not a readable Avro file/);
  });
});

/**
 * Writing deletion vectors (PROTOCOL.md "Deletion Vector Format", "Deletion Vector File Storage
 * Format"), the inverse of deletion-vector.ts: a set of row indexes serialized as a portable
 * RoaringBitmapArray (magic 1681511377, a 64-bit bucket count, then per bucket its key and a
 * portable 32-bit Roaring bitmap without run containers: array containers up to 4,096 values,
 * bitmap containers above), stored in its own file `deletion_vector_<uuid>.bin` at the table root
 * (version byte 1, big-endian size, the bitmap, its big-endian CRC-32) and described by a 'u'
 * descriptor whose path is the Z85-encoded UUID.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../storage/object-store.js';
import type { DeletionVectorDescriptor } from './actions.js';
import { crc32, dvRelativePath, PORTABLE_MAGIC, z85Encode } from './deletion-vector.js';

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const ARRAY_MAX = 4096;

/** The portable RoaringBitmapArray of ascending, distinct row indexes. */
export function encodeBitmapArray(rows: ArrayLike<number>): Uint8Array {
  // Group by bucket (high 32 bits), then by container (the next 16 bits).
  const buckets = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const bucket = Math.floor(row / 2 ** 32);
    const low = row % 2 ** 32;
    let containers = buckets.get(bucket);
    if (containers === undefined) buckets.set(bucket, (containers = new Map()));
    const key = low >>> 16;
    let values = containers.get(key);
    if (values === undefined) containers.set(key, (values = []));
    values.push(low & 0xffff);
  }
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(12));
  header.setUint32(0, PORTABLE_MAGIC, true);
  header.setUint32(4, buckets.size, true); // the 64-bit count's low word; the high word stays 0
  parts.push(new Uint8Array(header.buffer));
  for (const [bucket, containers] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) {
    const key = new DataView(new ArrayBuffer(4));
    key.setUint32(0, bucket, true);
    parts.push(new Uint8Array(key.buffer), encodeRoaring32([...containers.entries()].sort((a, b) => a[0] - b[0])));
  }
  return concat(parts);
}

/** One portable 32-bit Roaring bitmap (no run containers, so offsets are always present). */
function encodeRoaring32(containers: readonly (readonly [number, number[]])[]): Uint8Array {
  const n = containers.length;
  const bodies = containers.map(([, values]) => (values.length <= ARRAY_MAX ? arrayContainer(values) : bitmapContainer(values)));
  const head = new DataView(new ArrayBuffer(8 + 4 * n + 4 * n));
  head.setUint32(0, SERIAL_COOKIE_NO_RUNCONTAINER, true);
  head.setUint32(4, n, true);
  containers.forEach(([key, values], i) => {
    head.setUint16(8 + 4 * i, key, true);
    head.setUint16(10 + 4 * i, values.length - 1, true);
  });
  let offset = head.byteLength;
  bodies.forEach((body, i) => {
    head.setUint32(8 + 4 * n + 4 * i, offset, true);
    offset += body.byteLength;
  });
  return concat([new Uint8Array(head.buffer), ...bodies]);
}

function arrayContainer(values: readonly number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 2));
  values.forEach((v, i) => view.setUint16(i * 2, v, true));
  return new Uint8Array(view.buffer);
}

function bitmapContainer(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(8192);
  for (const v of values) bytes[v >>> 3]! |= 1 << (v & 7);
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * Stores the vector of `rows` (ascending, distinct) in a new file at the table root and returns
 * its descriptor. The file is created only if absent (a fresh UUID names it).
 */
export async function writeDeletionVector(store: ObjectStore, rows: ArrayLike<number>): Promise<DeletionVectorDescriptor> {
  const bitmap = encodeBitmapArray(rows);
  const uuid = randomUUID();
  const uuidBytes = Uint8Array.from(uuid.replaceAll('-', '').match(/../g)!.map((h) => parseInt(h, 16)));
  const pathOrInlineDv = z85Encode(uuidBytes);
  const file = new Uint8Array(1 + 4 + bitmap.byteLength + 4);
  const view = new DataView(file.buffer);
  file[0] = 1;
  view.setInt32(1, bitmap.byteLength, false);
  file.set(bitmap, 5);
  view.setUint32(5 + bitmap.byteLength, crc32(bitmap), false);
  await store.put(dvRelativePath(pathOrInlineDv), file, { ifNoneMatch: '*' });
  return {
    storageType: 'u',
    pathOrInlineDv,
    offset: 1,
    sizeInBytes: bitmap.byteLength,
    cardinality: rows.length,
    maxRowIndex: rows.length === 0 ? 0 : rows[rows.length - 1]!,
  };
}

/**
 * Puffin files (format/puffin-spec.md): blobs (deletion vectors, statistics sketches) followed by
 * a JSON footer that lists them.
 *
 *   Magic Blob₁ … Blobₙ Footer,  Footer = Magic FooterPayload FooterPayloadSize Flags Magic
 *
 * Magic is `PFA1`; FooterPayloadSize is a 4-byte little-endian length; Flags are 4 bytes, bit 0
 * meaning an LZ4-compressed footer (refused: no writer we know of does it). Blob payloads may be
 * zstd-compressed (`compression-codec`).
 */
import { decompress as zstdDecompress } from 'fzstd';
import { LakeError } from '../errors.js';

const MAGIC = [0x50, 0x46, 0x41, 0x31]; // "PFA1"

export interface PuffinBlob {
  readonly type: string;
  readonly fields: readonly number[];
  readonly snapshotId: bigint | undefined;
  readonly sequenceNumber: bigint | undefined;
  readonly offset: number;
  readonly length: number;
  readonly compressionCodec: string | undefined;
  readonly properties: Readonly<Record<string, string>>;
}

export interface PuffinFooter {
  readonly blobs: readonly PuffinBlob[];
  readonly properties: Readonly<Record<string, string>>;
}

/** The footer of a whole Puffin file; `name` is for errors. */
export function readPuffinFooter(bytes: Uint8Array, name: string): PuffinFooter {
  const fail = (what: string): never => {
    throw new LakeError('CORRUPT_METADATA', `${name} is not a valid Puffin file: ${what}`);
  };
  const magicAt = (at: number) => MAGIC.every((b, i) => bytes[at + i] === b);
  if (bytes.length < 16 || !magicAt(0) || !magicAt(bytes.length - 4)) fail('it does not start and end with the magic PFA1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint32(bytes.length - 8, true);
  const size = view.getUint32(bytes.length - 12, true);
  const start = bytes.length - 12 - size;
  if (start < 8 || !magicAt(start - 4)) fail(`its footer length ${size} does not fit the file`);
  if ((flags & 1) !== 0) throw new LakeError('UNSUPPORTED', `${name} has an LZ4-compressed footer, which lake does not read`);
  let json: { blobs?: unknown[]; properties?: Record<string, string> };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + size))) as typeof json;
  } catch (error) {
    return fail(`its footer is not JSON (${(error as Error).message})`);
  }
  const blobs = (json.blobs ?? []).map((raw, i) => {
    const b = raw as Record<string, unknown>;
    const integer = (key: string): number => {
      const v = b[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(`blob ${i} has no valid ${key}`);
      return v;
    };
    const offset = integer('offset');
    const length = integer('length');
    if (offset + length > start - 4) fail(`blob ${i} (${offset}+${length}) runs into the footer`);
    return {
      type: typeof b.type === 'string' ? b.type : fail(`blob ${i} has no type`),
      fields: Array.isArray(b.fields) ? (b.fields as number[]) : [],
      snapshotId: typeof b['snapshot-id'] === 'number' ? BigInt(b['snapshot-id']) : undefined,
      sequenceNumber: typeof b['sequence-number'] === 'number' ? BigInt(b['sequence-number']) : undefined,
      offset,
      length,
      compressionCodec: typeof b['compression-codec'] === 'string' ? b['compression-codec'] : undefined,
      properties: (b.properties as Record<string, string> | undefined) ?? {},
    };
  });
  return { blobs, properties: json.properties ?? {} };
}

/** A blob's payload, decompressed. */
export function puffinBlobPayload(bytes: Uint8Array, blob: PuffinBlob, name: string): Uint8Array {
  const raw = bytes.subarray(blob.offset, blob.offset + blob.length);
  if (blob.compressionCodec === undefined) return raw;
  if (blob.compressionCodec === 'zstd') return zstdDecompress(raw);
  throw new LakeError('UNSUPPORTED', `${name}: a ${blob.type} blob is compressed with ${blob.compressionCodec}, which lake does not read (zstd only)`);
}

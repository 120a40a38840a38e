/**
 * Reading deletion vectors (PROTOCOL.md "Deletion Vectors", "Deletion Vector Format", "Deletion
 * Vector File Storage Format"): which rows of a data file are deleted.
 *
 * A descriptor says where the vector is:
 * - 'u': in a file of the table, `<random prefix>/deletion_vector_<uuid>.bin`, the UUID Z85-encoded
 *   in the last 20 characters of `pathOrInlineDv` and the prefix (possibly empty) before them;
 * - 'p': in a file at an absolute path (URI-encoded like `add.path`);
 * - 'i': inline, Z85-encoded in `pathOrInlineDv` (`sizeInBytes` bytes once decoded).
 *
 * A DV file is a version byte (1), then per vector: its size (big-endian int32), the serialized
 * bitmap, and the CRC-32 of the bitmap (big-endian). `offset` points at a vector's size field.
 * The serialized bitmap ("RoaringBitmapArray") is a little-endian magic number, 1681511377 for the
 * portable format the protocol specifies (Delta Spark also reads 1681511376, its older "native"
 * format, and so do we, also in the big-endian form of the protocol's inline example), then 64-bit row indexes as buckets of 32-bit Roaring bitmaps in the
 * portable Roaring serialization (RoaringFormatSpec): keys are the high 32 bits.
 *
 * Roaring decoding is our own (below), not a library's: the only candidate for Node,
 * `roaring-wasm`, handles 32-bit bitmaps only (the bucket layer would be ours anyway), needs an
 * asynchronous wasm initialisation and manual freeing of wasm-heap objects, and materialises
 * values through the wasm heap; the portable format is small and stable (array, bitmap and run
 * containers, with or without the run-container cookie). The decoder validates every structural
 * invariant (sorted keys and values, cardinalities, bounds), and was checked against the
 * RoaringFormatSpec's reference files (bitmapwithoutruns.bin, bitmapwithruns.bin,
 * portable_bitmap64.bin) and the deletion vectors of the Delta golden tables.
 *
 * The decoded set stays in Roaring form (one bit per row in dense regions, two bytes per deleted
 * row in sparse ones), so a vector of millions of rows costs a few MB, not 8 bytes a row.
 */
import { LakeError, RangeNotSatisfiableError } from '../errors.js';
import type { ByteRange } from '../storage/object-store.js';
import type { DeletionVectorDescriptor } from './actions.js';

/** Where a stored vector is: a key relative to the table root ('u'), or the descriptor's absolute path ('p'). */
export type DvFile = { readonly relativePath: string } | { readonly absoluteUri: string };

/** Reads a byte range of a DV file. */
export type DvReader = (file: DvFile, range: ByteRange) => Promise<Uint8Array>;

/** The deleted rows of a data file (0-based row indexes within the file). */
export interface DeletedRows {
  readonly cardinality: number;
  has(rowIndex: number): boolean;
  /** All deleted row indexes, ascending. Materialised on first call (8 bytes a row), then cached. */
  sorted(): Float64Array;
}

export const PORTABLE_MAGIC = 1681511377;
export const NATIVE_MAGIC = 1681511376;
/** NATIVE_MAGIC's bytes in big-endian order, read as little-endian. */
const NATIVE_MAGIC_BIG_ENDIAN = 0xd0d33964;
const FILE_FORMAT_VERSION = 1;
/** When a vector starts this close to the file's start, one read covers the version byte too. */
const SINGLE_READ_PREFIX = 64 * 1024;

/**
 * Loads the deleted rows a descriptor points at, verifying the file format version, the size
 * prefix, the CRC-32, the bitmap's structure and that it holds `cardinality` rows.
 * Errors: LakeError 'CORRUPT_DELETION_VECTOR' (naming the file) for a checksum or size mismatch,
 * truncation or malformed bitmap; 'UNSUPPORTED_DELETION_VECTOR' for an unknown storage type, file
 * format version or magic number. Storage errors (not found, access denied…) propagate as they are.
 */
export async function loadDeletionVector(descriptor: DeletionVectorDescriptor, read: DvReader): Promise<DeletedRows> {
  const { storageType, pathOrInlineDv } = descriptor;
  // Numbers, also when a caller passes a checkpoint's int64 fields through as bigints.
  const sizeInBytes = Number(descriptor.sizeInBytes);
  const cardinality = Number(descriptor.cardinality);
  if (storageType === 'i') {
    const where = `the inline deletion vector ${abbreviate(pathOrInlineDv)}`;
    checkSize(sizeInBytes, where);
    let bytes: Uint8Array;
    try {
      bytes = z85Decode(pathOrInlineDv);
    } catch (error) {
      throw corrupt(where, (error as Error).message, undefined, error);
    }
    if (bytes.length < sizeInBytes) throw corrupt(where, `it decodes to ${bytes.length} bytes, but its sizeInBytes is ${sizeInBytes}`);
    return checkCardinality(decodeBitmapArray(bytes.subarray(0, sizeInBytes), where), cardinality, where);
  }
  const file = dvFileOf(descriptor);
  const path = 'relativePath' in file ? file.relativePath : file.absoluteUri;
  const where = `deletion vector file ${path}`;
  checkSize(sizeInBytes, where, path);
  const offset = Number(descriptor.offset ?? 0);
  if (!Number.isSafeInteger(offset) || offset < 0) throw corrupt(where, `its descriptor has an invalid offset ${offset}`, path);
  const end = offset + 4 + sizeInBytes + 4;
  const fetch = async (range: { start: number; end: number }): Promise<Uint8Array> => {
    let bytes: Uint8Array;
    try {
      bytes = await read(file, range);
    } catch (error) {
      // A range past the end of the object: the file is shorter than the descriptor says.
      if (error instanceof RangeNotSatisfiableError) {
        throw corrupt(where, `the file ends before byte ${range.end} (the vector at offset ${offset} is truncated or missing)`, path, error);
      }
      throw error;
    }
    if (bytes.length < range.end - range.start) {
      throw corrupt(where, `the file ends at byte ${range.start + bytes.length}, before the end of the vector at byte ${range.end}`, path);
    }
    return bytes.length === range.end - range.start ? bytes : bytes.subarray(0, range.end - range.start);
  };
  let version: number | undefined;
  let framed: Uint8Array;
  if (offset === 0) {
    // The spec reads an absent offset as 0; such a vector has no version byte before it.
    framed = await fetch({ start: 0, end });
  } else if (offset <= SINGLE_READ_PREFIX) {
    const bytes = await fetch({ start: 0, end });
    version = bytes[0];
    framed = bytes.subarray(offset);
  } else {
    const [head, body] = await Promise.all([fetch({ start: 0, end: 1 }), fetch({ start: offset, end })]);
    version = head[0];
    framed = body;
  }
  if (version !== undefined && version !== FILE_FORMAT_VERSION) {
    throw new LakeError(
      'UNSUPPORTED_DELETION_VECTOR',
      `${where} has format version ${version}; lake reads version ${FILE_FORMAT_VERSION}`,
      { path },
    );
  }
  const bitmap = unframe(framed, sizeInBytes, where, path);
  return checkCardinality(decodeBitmapArray(bitmap, where, path), cardinality, where, path);
}

/** Where a stored ('u' or 'p') vector's file is; throws for inline vectors and unknown types. */
export function dvFileOf(descriptor: DeletionVectorDescriptor): DvFile {
  switch (descriptor.storageType) {
    case 'u':
      return { relativePath: dvRelativePath(descriptor.pathOrInlineDv) };
    case 'p':
      return { absoluteUri: descriptor.pathOrInlineDv };
    case 'i':
      throw new LakeError('USAGE', 'an inline deletion vector has no file');
    default:
      throw new LakeError(
        'UNSUPPORTED_DELETION_VECTOR',
        `deletion vector storage type ${JSON.stringify(descriptor.storageType)} is not one lake reads ('u', 'p' or 'i')`,
      );
  }
}

/**
 * A stored vector's file spelled as the log spells data file paths (relative and URI-encoded, or
 * an absolute URI), so that it resolves like them (data-paths.ts); undefined for inline vectors.
 */
export function dvPath(descriptor: DeletionVectorDescriptor | null | undefined): string | undefined {
  if (descriptor === undefined || descriptor === null || descriptor.storageType === 'i') return undefined;
  const file = dvFileOf(descriptor);
  return 'relativePath' in file ? file.relativePath.split('/').map(encodeURIComponent).join('/') : file.absoluteUri;
}

/**
 * The table-relative key of a 'u' vector: `[<prefix>/]deletion_vector_<uuid>.bin`, the UUID being
 * the last 20 characters of `pathOrInlineDv`, Z85-encoded (16 bytes, most significant first).
 */
export function dvRelativePath(pathOrInlineDv: string): string {
  if (pathOrInlineDv.length < 20) {
    throw corrupt(`deletion vector ${JSON.stringify(pathOrInlineDv)}`, 'a relative ("u") vector path needs a 20-character Z85 UUID');
  }
  const prefix = pathOrInlineDv.slice(0, -20);
  let bytes: Uint8Array;
  try {
    bytes = z85Decode(pathOrInlineDv.slice(-20));
  } catch (error) {
    throw corrupt(`deletion vector ${JSON.stringify(pathOrInlineDv)}`, (error as Error).message, undefined, error);
  }
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const name = `deletion_vector_${uuid}.bin`;
  return prefix === '' ? name : `${prefix}/${name}`;
}

/**
 * The keep mask of rows [firstRow, firstRow + rowCount) of a file: 1 = keep, 0 = deleted; or
 * undefined when none of those rows is deleted. Cost: O(rowCount) only when something in the
 * range is deleted, plus O(log n) to find the range.
 */
export function keepMask(deleted: DeletedRows, firstRow: number, rowCount: number): Uint8Array | undefined {
  if (rowCount <= 0 || deleted.cardinality === 0) return undefined;
  if (deleted instanceof RoaringRows) return deleted.keepMask(firstRow, rowCount);
  const rows = deleted.sorted();
  const end = firstRow + rowCount;
  let i = lowerBound(rows, firstRow);
  if (i >= rows.length || rows[i]! >= end) return undefined;
  const mask = new Uint8Array(rowCount).fill(1);
  for (; i < rows.length && rows[i]! < end; i++) mask[rows[i]! - firstRow] = 0;
  return mask;
}

/** No deleted rows. */
export const NO_DELETED_ROWS: DeletedRows = Object.freeze({
  cardinality: 0,
  has: () => false,
  sorted: () => new Float64Array(0),
});

function lowerBound(values: ArrayLike<number>, target: number, from = 0, to = values.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Framing and checks

function unframe(framed: Uint8Array, sizeInBytes: number, where: string, path: string): Uint8Array {
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
  const size = view.getInt32(0, false);
  if (size !== sizeInBytes) {
    throw corrupt(where, `the vector's size field says ${size} bytes, its descriptor ${sizeInBytes}`, path);
  }
  const bitmap = framed.subarray(4, 4 + size);
  const expected = view.getUint32(4 + size, false);
  const actual = crc32(bitmap);
  if (expected !== actual) {
    throw corrupt(where, `checksum mismatch (stored CRC-32 ${hex32(expected)}, computed ${hex32(actual)})`, path);
  }
  return bitmap;
}

function checkSize(sizeInBytes: number, where: string, path?: string): void {
  if (!Number.isSafeInteger(sizeInBytes) || sizeInBytes < 0 || sizeInBytes > 0x7fffffff) {
    throw corrupt(where, `its descriptor has an invalid sizeInBytes ${sizeInBytes}`, path);
  }
}

function checkCardinality(rows: DeletedRows, cardinality: number, where: string, path?: string): DeletedRows {
  if (rows.cardinality !== cardinality) {
    throw corrupt(where, `it holds ${rows.cardinality} row indexes, but its descriptor says ${cardinality}`, path);
  }
  return rows;
}

function corrupt(where: string, detail: string, path?: string, cause?: unknown): LakeError {
  const options: { path?: string; cause?: unknown } = {};
  if (path !== undefined) options.path = path;
  if (cause !== undefined) options.cause = cause;
  return new LakeError('CORRUPT_DELETION_VECTOR', `${where} is corrupt: ${detail}`, options);
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 24 ? `${text.slice(0, 20)}…` : text);
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as java.util.zip.CRC32); zlib.crc32 exists only from Node 20.15 / 22.2.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Z85 (https://rfc.zeromq.org/spec/32/): 4 bytes ↔ 5 characters, big-endian within a block

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_DECODE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < Z85_ALPHABET.length; i++) table[Z85_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Z85-encodes bytes; like Delta, input that is not a multiple of 4 bytes is padded with zeros. */
export function z85Encode(bytes: Uint8Array): string {
  const padded = bytes.length % 4 === 0 ? bytes : (() => {
    const out = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    out.set(bytes);
    return out;
  })();
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  let text = '';
  for (let i = 0; i < padded.length; i += 4) {
    let value = view.getUint32(i, false);
    const chars = new Array<string>(5);
    for (let k = 4; k >= 0; k--) {
      chars[k] = Z85_ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    text += chars.join('');
  }
  return text;
}

/** Decodes Z85 text (a multiple of 5 characters) into bytes (4 per 5 characters). */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text must be a multiple of 5 characters long, not ${text.length}`);
  const out = new Uint8Array((text.length / 5) * 4);
  const view = new DataView(out.buffer);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const code = text.charCodeAt(i + k);
      const digit = code < 128 ? Z85_DECODE[code]! : -1;
      if (digit < 0) throw new Error(`${JSON.stringify(text[i + k])} at position ${i + k} is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error(`Z85 block ${JSON.stringify(text.slice(i, i + 5))} exceeds 32 bits`);
    view.setUint32(o, value, false);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RoaringBitmapArray decoding

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX = 4096;
/** Buckets whose rows exceed 2^53 cannot be represented (and no Parquet file has that many rows). */
const MAX_BUCKET = 2 ** 21;

/** Container kinds. */
const Kind = { Array: 0, Bitmap: 1, Run: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** One 2^16-row block: its rows are `high * 65536 + low` for the lows it holds. */
interface Container {
  /** Row index >> 16 (bucket key * 65536 + 16-bit container key). */
  readonly high: number;
  readonly kind: Kind;
  /** Array: sorted lows. Run: [start, length - 1] pairs. Bitmap: unused. */
  readonly lows: Uint16Array;
  /** Bitmap: 8192 bytes, bit `low` set when present (byte low >> 3, bit low & 7). */
  readonly bits: Uint8Array;
  readonly cardinality: number;
}

const NO_U16 = new Uint16Array(0);
const NO_U8 = new Uint8Array(0);

/**
 * Decodes a serialized RoaringBitmapArray (magic number first). `where` names it in errors.
 * Exported for inline vectors and tests.
 */
export function decodeBitmapArray(bytes: Uint8Array, where: string, path?: string): DeletedRows {
  const fail = (detail: string): LakeError => corrupt(where, detail, path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (pos: number, count: number): void => {
    if (pos + count > bytes.length) throw fail(`the bitmap ends early (at byte ${bytes.length}, needing ${pos + count})`);
  };
  need(0, 4);
  const magic = view.getUint32(0, true);
  const containers: Container[] = [];
  let pos = 4;
  if (magic === PORTABLE_MAGIC) {
    need(pos, 8);
    const low = view.getUint32(pos, true);
    const high = view.getUint32(pos + 4, true);
    pos += 8;
    if (high !== 0 || low > 0x7fffffff) throw fail(`it claims ${high * 2 ** 32 + low} buckets`);
    let previous = -1;
    for (let b = 0; b < low; b++) {
      need(pos, 4);
      const key = view.getUint32(pos, true);
      pos += 4;
      if (key <= previous) throw fail(`bucket keys are not ascending (${key} after ${previous})`);
      if (key >= 0x80000000) throw fail(`bucket key ${key} has its most significant bit set`);
      if (key >= MAX_BUCKET) throw fail(`bucket key ${key} means row indexes beyond 2^53`);
      previous = key;
      pos = decodeRoaring32(bytes, view, pos, key, containers, fail);
    }
  } else if (magic === NATIVE_MAGIC || magic === NATIVE_MAGIC_BIG_ENDIAN) {
    // The native format: a bitmap count, then (size, bitmap) per consecutive key from 0. The inline
    // example of PROTOCOL.md ("Deletion Vector Descriptor Schema", example 3) writes the magic,
    // count and sizes big-endian (Java's default ByteBuffer order, from an early Delta version);
    // the Roaring bitmaps inside are little-endian either way.
    const littleEndian = magic === NATIVE_MAGIC;
    need(pos, 4);
    const count = view.getInt32(pos, littleEndian);
    pos += 4;
    if (count < 0) throw fail(`it claims ${count} bitmaps`);
    for (let key = 0; key < count; key++) {
      need(pos, 4);
      const size = view.getInt32(pos, littleEndian);
      pos += 4;
      if (size < 0) throw fail(`bitmap ${key} claims ${size} bytes`);
      if (key >= MAX_BUCKET) throw fail(`bucket key ${key} means row indexes beyond 2^53`);
      const start = pos;
      pos = decodeRoaring32(bytes, view, pos, key, containers, fail);
      if (pos - start !== size) throw fail(`bitmap ${key} is ${pos - start} bytes, but its size field says ${size}`);
    }
  } else {
    throw new LakeError(
      'UNSUPPORTED_DELETION_VECTOR',
      `${where} starts with magic number ${magic}, not a RoaringBitmapArray format lake reads (${PORTABLE_MAGIC} portable, ${NATIVE_MAGIC} native)`,
      path === undefined ? {} : { path },
    );
  }
  if (pos !== bytes.length) throw fail(`${bytes.length - pos} unexpected bytes after the bitmap`);
  return new RoaringRows(containers);
}

/** Decodes one portable 32-bit Roaring bitmap at `pos`; returns the position after it. */
function decodeRoaring32(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  bucket: number,
  out: Container[],
  fail: (detail: string) => LakeError,
): number {
  const need = (pos: number, count: number): void => {
    if (pos + count > bytes.length) throw fail(`the bitmap ends early (at byte ${bytes.length}, needing ${pos + count})`);
  };
  let pos = start;
  need(pos, 4);
  const cookie = view.getUint32(pos, true);
  let size: number;
  let runFlags: Uint8Array | undefined;
  let hasOffsets: boolean;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const flagBytes = (size + 7) >> 3;
    need(pos + 4, flagBytes);
    runFlags = bytes.subarray(pos + 4, pos + 4 + flagBytes);
    pos += 4 + flagBytes;
    hasOffsets = size >= NO_OFFSET_THRESHOLD;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    need(pos + 4, 4);
    size = view.getUint32(pos + 4, true);
    pos += 8;
    hasOffsets = true;
    if (size > 65536) throw fail(`a 32-bit bitmap claims ${size} containers`);
  } else {
    throw fail(`bad Roaring cookie ${cookie} in bucket ${bucket}`);
  }
  const headerAt = pos;
  need(headerAt, 4 * size);
  pos += 4 * size;
  if (hasOffsets) {
    need(pos, 4 * size);
    pos += 4 * size; // offsets allow random access; containers are read in order instead
  }
  let previousKey = -1;
  for (let i = 0; i < size; i++) {
    const key = view.getUint16(headerAt + 4 * i, true);
    const cardinality = view.getUint16(headerAt + 4 * i + 2, true) + 1;
    if (key <= previousKey) throw fail(`container keys are not ascending in bucket ${bucket}`);
    previousKey = key;
    const high = bucket * 65536 + key;
    const isRun = runFlags !== undefined && ((runFlags[i >> 3]! >> (i & 7)) & 1) === 1;
    if (isRun) {
      need(pos, 2);
      const runs = view.getUint16(pos, true);
      need(pos + 2, 4 * runs);
      const lows = new Uint16Array(2 * runs);
      let count = 0;
      let nextFree = 0; // smallest value a run may start at
      for (let r = 0; r < runs; r++) {
        const runStart = view.getUint16(pos + 2 + 4 * r, true);
        const lengthMinus1 = view.getUint16(pos + 4 + 4 * r, true);
        if (runStart < nextFree || runStart + lengthMinus1 > 65535) throw fail(`run ${r} of container ${key} in bucket ${bucket} overlaps or overflows`);
        nextFree = runStart + lengthMinus1 + 1;
        lows[2 * r] = runStart;
        lows[2 * r + 1] = lengthMinus1;
        count += lengthMinus1 + 1;
      }
      if (count !== cardinality) throw fail(`run container ${key} in bucket ${bucket} holds ${count} values, its header says ${cardinality}`);
      pos += 2 + 4 * runs;
      out.push({ high, kind: Kind.Run, lows, bits: NO_U8, cardinality });
    } else if (cardinality <= ARRAY_MAX) {
      need(pos, 2 * cardinality);
      const lows = new Uint16Array(cardinality);
      for (let v = 0; v < cardinality; v++) {
        lows[v] = view.getUint16(pos + 2 * v, true);
        if (v > 0 && lows[v]! <= lows[v - 1]!) throw fail(`array container ${key} in bucket ${bucket} is not strictly ascending`);
      }
      pos += 2 * cardinality;
      out.push({ high, kind: Kind.Array, lows, bits: NO_U8, cardinality });
    } else {
      need(pos, 8192);
      // 1024 little-endian 64-bit words: value v is bit v & 63 of word v >> 6, i.e. bit v & 7 of byte v >> 3.
      const bits = bytes.slice(pos, pos + 8192);
      let count = 0;
      for (let b = 0; b < 8192; b++) count += POPCOUNT[bits[b]!]!;
      if (count !== cardinality) throw fail(`bitmap container ${key} in bucket ${bucket} holds ${count} values, its header says ${cardinality}`);
      pos += 8192;
      out.push({ high, kind: Kind.Bitmap, lows: NO_U16, bits, cardinality });
    }
  }
  return pos;
}

const POPCOUNT = (() => {
  const table = new Uint8Array(256);
  for (let i = 1; i < 256; i++) table[i] = (i & 1) + table[i >> 1]!;
  return table;
})();

/** Deleted rows in Roaring form. */
class RoaringRows implements DeletedRows {
  readonly cardinality: number;
  private readonly highs: Float64Array;
  private cache: Float64Array | undefined;

  constructor(private readonly containers: readonly Container[]) {
    this.highs = Float64Array.from(containers, (c) => c.high);
    this.cardinality = containers.reduce((sum, c) => sum + c.cardinality, 0);
  }

  has(rowIndex: number): boolean {
    if (!Number.isSafeInteger(rowIndex) || rowIndex < 0) return false;
    const high = Math.floor(rowIndex / 65536);
    const i = lowerBound(this.highs, high);
    const container = this.containers[i];
    if (container === undefined || container.high !== high) return false;
    const low = rowIndex - high * 65536;
    switch (container.kind) {
      case Kind.Array: {
        const j = lowerBound(container.lows, low);
        return container.lows[j] === low;
      }
      case Kind.Bitmap:
        return ((container.bits[low >> 3]! >> (low & 7)) & 1) === 1;
      case Kind.Run: {
        const runs = container.lows;
        // The last run starting at or before `low`.
        let lo = 0;
        let hi = runs.length / 2;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (runs[2 * mid]! <= low) lo = mid + 1;
          else hi = mid;
        }
        if (lo === 0) return false;
        const start = runs[2 * (lo - 1)]!;
        return low <= start + runs[2 * (lo - 1) + 1]!;
      }
    }
  }

  sorted(): Float64Array {
    if (this.cache !== undefined) return this.cache;
    const out = new Float64Array(this.cardinality);
    let n = 0;
    for (const c of this.containers) {
      const base = c.high * 65536;
      if (c.kind === Kind.Array) {
        for (let i = 0; i < c.lows.length; i++) out[n++] = base + c.lows[i]!;
      } else if (c.kind === Kind.Run) {
        for (let r = 0; r < c.lows.length; r += 2) {
          const start = base + c.lows[r]!;
          const last = start + c.lows[r + 1]!;
          for (let v = start; v <= last; v++) out[n++] = v;
        }
      } else {
        for (let b = 0; b < 8192; b++) {
          let byte = c.bits[b]!;
          while (byte !== 0) {
            const bit = 31 - Math.clz32(byte & -byte);
            out[n++] = base + b * 8 + bit;
            byte &= byte - 1;
          }
        }
      }
    }
    this.cache = out;
    return out;
  }

  keepMask(firstRow: number, rowCount: number): Uint8Array | undefined {
    const end = firstRow + rowCount;
    let mask: Uint8Array | undefined;
    const clear = (from: number, to: number): void => {
      // Rows [from, to) are deleted (already clipped to the range).
      mask ??= new Uint8Array(rowCount).fill(1);
      mask.fill(0, from - firstRow, to - firstRow);
    };
    for (let i = lowerBound(this.highs, Math.floor(firstRow / 65536)); i < this.containers.length; i++) {
      const c = this.containers[i]!;
      const base = c.high * 65536;
      if (base >= end) break;
      const lo = Math.max(firstRow - base, 0); // lows in [lo, hi) fall in the range
      const hi = Math.min(end - base, 65536);
      if (c.kind === Kind.Array) {
        for (let j = lowerBound(c.lows, lo); j < c.lows.length && c.lows[j]! < hi; j++) clear(base + c.lows[j]!, base + c.lows[j]! + 1);
      } else if (c.kind === Kind.Run) {
        for (let r = 0; r < c.lows.length; r += 2) {
          const from = Math.max(c.lows[r]!, lo);
          const to = Math.min(c.lows[r]! + c.lows[r + 1]! + 1, hi);
          if (from < to) clear(base + from, base + to);
        }
      } else {
        for (let v = lo; v < hi; ) {
          const byte = c.bits[v >> 3]!;
          if (byte === 0 && (v & 7) === 0) {
            v += 8;
            continue;
          }
          if ((byte >> (v & 7)) & 1) clear(base + v, base + v + 1);
          v++;
        }
      }
    }
    return mask;
  }
}

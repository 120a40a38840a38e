import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AddFile, DeletionVectorDescriptor, RemoveFile } from '../../src/delta/actions.js';
import {
  NATIVE_MAGIC,
  NO_DELETED_ROWS,
  PORTABLE_MAGIC,
  crc32,
  decodeBitmapArray,
  dvFileOf,
  dvRelativePath,
  keepMask,
  loadDeletionVector,
  z85Decode,
  z85Encode,
  type DeletedRows,
  type DvFile,
  type DvReader,
} from '../../src/delta/deletion-vector.js';
import { readParquet } from '../../src/engine/parquet.js';
import { LakeError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/index.js';
import type { ByteRange } from '../../src/storage/object-store.js';

// `$LAKE_CONFORMANCE_DIR`, else `../shared/conformance` next to the project (as test/conformance does).
const CONFORMANCE = process.env['LAKE_CONFORMANCE_DIR'] || resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared', 'conformance');
const GOLDEN = join(CONFORMANCE, 'delta', 'golden');
const DV_CASES = ['dv-partitioned-with-checkpoint', 'dv-with-columnmapping', 'log-replay-dv-key-cases'];

// ---------------------------------------------------------------------------------------------
// Helpers: a reader over a directory, the log's file actions, a reference Roaring encoder

/** A DvReader over a table directory on disk, recording the ranges it was asked for. */
function directoryReader(root: string): DvReader & { calls: Array<{ file: DvFile; range: ByteRange }> } {
  const calls: Array<{ file: DvFile; range: ByteRange }> = [];
  const reader = async (file: DvFile, range: ByteRange): Promise<Uint8Array> => {
    calls.push({ file, range });
    if (!('relativePath' in file)) throw new Error(`unexpected absolute path ${file.absoluteUri}`);
    const bytes = readFileSync(join(root, file.relativePath));
    return bytes.subarray(range.start, range.end ?? bytes.length);
  };
  return Object.assign(reader, { calls });
}

/** A DvReader over in-memory files. */
function memoryReader(files: Record<string, Uint8Array>): DvReader {
  return async (file, range) => {
    const key = 'relativePath' in file ? file.relativePath : file.absoluteUri;
    const bytes = files[key];
    if (bytes === undefined) throw new Error(`no file ${key}`);
    return bytes.subarray(range.start, range.end ?? bytes.length);
  };
}

interface FileAction {
  readonly version: number;
  readonly kind: 'add' | 'remove';
  readonly action: AddFile | RemoveFile;
}

function fileActions(testCase: string): FileAction[] {
  const log = join(GOLDEN, testCase, 'delta', '_delta_log');
  const out: FileAction[] = [];
  for (const name of readdirSync(log).filter((f) => /^\d{20}\.json$/.test(f)).sort()) {
    for (const line of readFileSync(join(log, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const action = JSON.parse(line) as { add?: AddFile; remove?: RemoveFile };
      if (action.add !== undefined) out.push({ version: Number(name.slice(0, 20)), kind: 'add', action: action.add });
      if (action.remove !== undefined) out.push({ version: Number(name.slice(0, 20)), kind: 'remove', action: action.remove });
    }
  }
  return out;
}

const uniqueId = (dv: DeletionVectorDescriptor | null | undefined): string =>
  dv === null || dv === undefined ? '' : `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined || dv.offset === null ? '' : `@${dv.offset}`}`;

/** The live add actions at the latest version (JSON commits only; these tables keep all of them). */
function liveFiles(testCase: string): AddFile[] {
  const live = new Map<string, AddFile>();
  const byVersion = new Map<number, FileAction[]>();
  for (const action of fileActions(testCase)) byVersion.set(action.version, [...(byVersion.get(action.version) ?? []), action]);
  for (const version of [...byVersion.keys()].sort((a, b) => a - b)) {
    const actions = byVersion.get(version)!;
    // Within a commit, removes apply to the previous state and adds win.
    for (const { kind, action } of actions) if (kind === 'remove') live.delete(`${action.path}|${uniqueId(action.deletionVector)}`);
    for (const { kind, action } of actions) if (kind === 'add') live.set(`${action.path}|${uniqueId(action.deletionVector)}`, action as AddFile);
  }
  return [...live.values()];
}

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;


/**
 * A reference encoder of the portable 32-bit Roaring format (RoaringFormatSpec), written from the
 * specification independently of the decoder. With `runs`, a container becomes a run container
 * when that is strictly smaller, as Java's runOptimize() decides. Verified byte-for-byte against
 * the RoaringFormatSpec reference files (see the test 'the reference encoder reproduces …').
 */
function encodeRoaring32(values: readonly number[], options: { runs?: boolean; force?: 'run' } = {}): Uint8Array {
  const groups = new Map<number, number[]>();
  const ascending = values.every((v, i) => i === 0 || v > values[i - 1]!);
  for (const v of ascending ? values : [...new Set(values)].sort((a, b) => a - b)) {
    const key = Math.floor(v / 65536);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [v % 65536]);
    else group.push(v % 65536);
  }
  const containers = [...groups.entries()].map(([key, lows]) => {
    const runs: Array<[number, number]> = [];
    for (const low of lows) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[0] + last[1] + 1 === low) last[1]++;
      else runs.push([low, 0]);
    }
    // Array or bitmap by cardinality (the format infers those two from it); run when asked to.
    const natural = lows.length <= 4096 ? 'array' : 'bitmap';
    const naturalSize = natural === 'array' ? 2 * lows.length : 8192;
    let kind: 'array' | 'bitmap' | 'run' = natural;
    if (options.force === 'run' || (options.runs === true && 2 + 4 * runs.length < naturalSize)) kind = 'run';
    let body: Uint8Array;
    if (kind === 'array') {
      body = new Uint8Array(2 * lows.length);
      const view = new DataView(body.buffer);
      lows.forEach((low, i) => view.setUint16(2 * i, low, true));
    } else if (kind === 'bitmap') {
      body = new Uint8Array(8192);
      for (const low of lows) body[low >> 3]! |= 1 << (low & 7);
    } else {
      body = new Uint8Array(2 + 4 * runs.length);
      const view = new DataView(body.buffer);
      view.setUint16(0, runs.length, true);
      runs.forEach(([start, lengthMinus1], i) => {
        view.setUint16(2 + 4 * i, start, true);
        view.setUint16(4 + 4 * i, lengthMinus1, true);
      });
    }
    return { key, cardinality: lows.length, kind, body };
  });
  const size = containers.length;
  const hasRun = containers.some((c) => c.kind === 'run');
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  let headerSize: number;
  if (hasRun) {
    u32(SERIAL_COOKIE | ((size - 1) << 16));
    const flags = new Array<number>((size + 7) >> 3).fill(0);
    containers.forEach((c, i) => {
      if (c.kind === 'run') flags[i >> 3]! |= 1 << (i & 7);
    });
    parts.push(...flags);
    headerSize = 4 + flags.length + 4 * size + (size >= 4 ? 4 * size : 0);
  } else {
    u32(SERIAL_COOKIE_NO_RUNCONTAINER);
    u32(size);
    headerSize = 8 + 8 * size;
  }
  for (const c of containers) {
    u16(c.key);
    u16(c.cardinality - 1);
  }
  if (!hasRun || size >= 4) {
    let offset = headerSize;
    for (const c of containers) {
      u32(offset);
      offset += c.body.length;
    }
  }
  const head = Uint8Array.from(parts);
  const out = new Uint8Array(head.length + containers.reduce((n, c) => n + c.body.length, 0));
  out.set(head);
  let at = head.length;
  for (const c of containers) {
    out.set(c.body, at);
    at += c.body.length;
  }
  return out;
}

/** A RoaringBitmapArray in the portable format: magic, bucket count, (key, 32-bit bitmap)…. */
function encodeBitmapArray(rows: readonly number[], options: { runs?: boolean; force?: 'run'; magic?: number } = {}): Uint8Array {
  const buckets = new Map<number, number[]>();
  for (const row of rows) {
    const key = Math.floor(row / 2 ** 32);
    const bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, [row % 2 ** 32]);
    else bucket.push(row % 2 ** 32);
  }
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(12);
  new DataView(header.buffer).setUint32(0, options.magic ?? PORTABLE_MAGIC, true);
  new DataView(header.buffer).setUint32(4, keys.length, true);
  chunks.push(header);
  for (const key of keys) {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key, true);
    chunks.push(k, encodeRoaring32(buckets.get(key)!, options));
  }
  return concat(chunks);
}

/** A deletion vector file (format version 1) holding these serialized bitmaps. */
function dvFile(bitmaps: readonly Uint8Array[], version = 1): { bytes: Uint8Array; offsets: number[] } {
  const chunks: Uint8Array[] = [Uint8Array.of(version)];
  const offsets: number[] = [];
  let at = 1;
  for (const bitmap of bitmaps) {
    offsets.push(at);
    const frame = new Uint8Array(8 + bitmap.length);
    const view = new DataView(frame.buffer);
    view.setInt32(0, bitmap.length, false);
    frame.set(bitmap, 4);
    view.setUint32(4 + bitmap.length, crc32(bitmap), false);
    chunks.push(frame);
    at += frame.length;
  }
  return { bytes: concat(chunks), offsets };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const rowsOf = (deleted: DeletedRows): number[] => Array.from(deleted.sorted());

async function expectLakeError(promise: Promise<unknown> | (() => unknown), code: string, text?: RegExp): Promise<LakeError> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LakeError);
  expect((error as LakeError).code).toBe(code);
  if (text !== undefined) expect((error as LakeError).message).toMatch(text);
  return error as LakeError;
}

// ---------------------------------------------------------------------------------------------

describe('deletion vectors of the golden tables', () => {
  for (const testCase of DV_CASES) {
    it(`${testCase}: every descriptor in the log loads, with the cardinality it states`, async () => {
      const root = join(GOLDEN, testCase, 'delta');
      const descriptors = fileActions(testCase).flatMap(({ action }) => (action.deletionVector ? [action.deletionVector] : []));
      expect(descriptors.length).toBeGreaterThan(0);
      for (const descriptor of descriptors) {
        const file = dvFileOf(descriptor);
        expect(readdirSync(root)).toContain((file as { relativePath: string }).relativePath);
        const deleted = await loadDeletionVector(descriptor, directoryReader(root));
        expect(deleted.cardinality).toBe(descriptor.cardinality);
        expect(rowsOf(deleted)).toHaveLength(descriptor.cardinality);
      }
    });
  }

  it('dv-partitioned-with-checkpoint: the descriptors in the Parquet checkpoint load too', async () => {
    const root = join(GOLDEN, 'dv-partitioned-with-checkpoint', 'delta');
    const checkpoint = readParquet(readFileSync(join(root, '_delta_log/00000000000000000010.checkpoint.parquet')), { columns: ['add'] });
    const descriptors = checkpoint
      .getChild('add')!
      .toArray()
      .flatMap((add: { deletionVector: { toJSON(): DeletionVectorDescriptor } | null } | null) => (add?.deletionVector ? [add.deletionVector.toJSON()] : []))
      .map((dv: DeletionVectorDescriptor) => ({ ...dv, offset: dv.offset === null ? null : Number(dv.offset), cardinality: Number(dv.cardinality) }));
    expect(descriptors.length).toBeGreaterThan(0);
    for (const descriptor of descriptors) {
      expect((await loadDeletionVector(descriptor, directoryReader(root))).cardinality).toBe(descriptor.cardinality);
    }
  });

  it('log-replay-dv-key-cases: DELETE id = 0, 7, 14 deleted exactly those rows, and the rest is the expected table', async () => {
    const root = join(GOLDEN, 'log-replay-dv-key-cases', 'delta');
    const [add] = liveFiles('log-replay-dv-key-cases');
    expect(add!.deletionVector!.cardinality).toBe(3);
    const deleted = await loadDeletionVector(add!.deletionVector!, directoryReader(root));
    const ids = Array.from(readParquet(readFileSync(join(root, add!.path))).getChild('id')!.toArray() as BigInt64Array, Number);
    expect(rowsOf(deleted).map((row) => ids[row])).toEqual([0, 7, 14]);
    const mask = keepMask(deleted, 0, ids.length)!;
    const kept = ids.filter((_, i) => mask[i] === 1);
    const expected = readParquet(readFileSync(join(GOLDEN, 'log-replay-dv-key-cases/expected', readdirSync(join(GOLDEN, 'log-replay-dv-key-cases/expected')).find((f) => f.endsWith('.parquet'))!)));
    expect(kept.sort((a, b) => a - b)).toEqual(Array.from(expected.getChild('id')!.toArray() as BigInt64Array, Number).sort((a, b) => a - b));
  });

  it('dv-partitioned-with-checkpoint: the live files minus their deleted rows are the expected table', async () => {
    const testCase = 'dv-partitioned-with-checkpoint';
    const root = join(GOLDEN, testCase, 'delta');
    const rows: string[] = [];
    for (const add of liveFiles(testCase)) {
      const table = readParquet(readFileSync(join(root, decodeURIComponent(add.path))));
      const deleted = add.deletionVector ? await loadDeletionVector(add.deletionVector, directoryReader(root)) : NO_DELETED_ROWS;
      let firstRow = 0;
      for (const batch of table.batches) {
        const mask = keepMask(deleted, firstRow, batch.numRows);
        for (let i = 0; i < batch.numRows; i++) {
          if (mask !== undefined && mask[i] === 0) continue;
          rows.push(JSON.stringify([Number(add.partitionValues.part), batch.getChild('col1')!.get(i), batch.getChild('col2')!.get(i)]));
        }
        firstRow += batch.numRows;
      }
    }
    const expected: string[] = [];
    const dir = join(GOLDEN, testCase, 'expected');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.parquet'))) {
      const table = readParquet(readFileSync(join(dir, file)));
      for (let i = 0; i < table.numRows; i++) {
        expected.push(JSON.stringify([table.getChild('part')!.get(i), table.getChild('col1')!.get(i), table.getChild('col2')!.get(i)]));
      }
    }
    expect(rows.sort()).toEqual(expected.sort());
    expect(rows.length).toBeLessThan(fileActions(testCase).filter((a) => a.version === 0).reduce((n, a) => n + JSON.parse((a.action as AddFile).stats!).numRecords, 0));
  });

  it('reads the vector and the version byte with one ranged read per vector', async () => {
    const root = join(GOLDEN, 'log-replay-dv-key-cases', 'delta');
    const [add] = liveFiles('log-replay-dv-key-cases');
    const reader = directoryReader(root);
    await loadDeletionVector(add!.deletionVector!, reader);
    expect(reader.calls).toEqual([{ file: { relativePath: 'deletion_vector_d12e7d16-e46d-48c9-8a71-b222c26dfc3b.bin' }, range: { start: 0, end: 1 + 4 + 38 + 4 } }]);
  });
});

describe('descriptors and paths', () => {
  it('derives the path of a relative vector from its Z85 UUID and random prefix (PROTOCOL.md example 1)', () => {
    expect(dvRelativePath('ab^-aqEH.-t@S}K{vb[*k^')).toBe('ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin');
    expect(dvRelativePath('h{&8fAg]=QYJvl-}c!yH')).toBe('deletion_vector_37d10da3-70a1-4730-bc58-3b44f9617505.bin');
    expect(dvFileOf({ storageType: 'p', pathOrInlineDv: 's3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin', offset: 4, sizeInBytes: 40, cardinality: 6 })).toEqual({
      absoluteUri: 's3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin',
    });
    expect(() => dvRelativePath('short')).toThrow(expect.objectContaining({ code: 'CORRUPT_DELETION_VECTOR' }));
    expect(() => dvRelativePath('ab~~~~~~~~~~~~~~~~~~~~')).toThrow(expect.objectContaining({ code: 'CORRUPT_DELETION_VECTOR' }));
  });

  it('loads an inline vector (PROTOCOL.md example 3: rows 3, 4, 7, 11, 18, 29) without reading anything', async () => {
    // That example is in the native format with a big-endian header (magic 1681511376, one bitmap
    // of 28 bytes); real writers use the portable format, tested with the golden tables.
    const reader: DvReader = () => Promise.reject(new Error('no read expected'));
    const deleted = await loadDeletionVector({ storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 }, reader);
    expect(rowsOf(deleted)).toEqual([3, 4, 7, 11, 18, 29]);
    expect([2, 3, 4, 5, 29, 30].map((r) => deleted.has(r))).toEqual([false, true, true, false, true, false]);
  });

  it('loads an inline vector whose size is not a multiple of 4 (Z85 padding dropped)', async () => {
    const bitmap = encodeBitmapArray([5]); // 34 bytes
    expect(bitmap.length % 4).not.toBe(0);
    const inline = z85Encode(bitmap);
    const deleted = await loadDeletionVector({ storageType: 'i', pathOrInlineDv: inline, sizeInBytes: bitmap.length, cardinality: 1 }, memoryReader({}));
    expect(rowsOf(deleted)).toEqual([5]);
    await expectLakeError(
      loadDeletionVector({ storageType: 'i', pathOrInlineDv: inline.slice(0, -5), sizeInBytes: bitmap.length, cardinality: 1 }, memoryReader({})),
      'CORRUPT_DELETION_VECTOR',
      /inline deletion vector/,
    );
  });

  it('rejects unknown storage types', async () => {
    await expectLakeError(
      loadDeletionVector({ storageType: 'x' as 'u', pathOrInlineDv: 'a', sizeInBytes: 1, cardinality: 1 }, memoryReader({})),
      'UNSUPPORTED_DELETION_VECTOR',
    );
  });
});

describe('Z85 and CRC-32', () => {
  it('matches the Z85 specification test vector and round-trips arbitrary bytes', () => {
    const hello = Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b);
    expect(z85Encode(hello)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(hello);
    for (const length of [0, 4, 16, 40, 400]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + 7) & 0xff);
      expect(z85Decode(z85Encode(bytes))).toEqual(bytes);
    }
    expect(z85Encode(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe('%nSc0');
    expect(z85Encode(Uint8Array.of(1, 2, 3))).toBe(z85Encode(Uint8Array.of(1, 2, 3, 0)));
  });

  it('rejects malformed Z85', () => {
    expect(() => z85Decode('abcd')).toThrow(/multiple of 5/);
    expect(() => z85Decode('abc~e')).toThrow(/not a Z85 character/);
    expect(() => z85Decode('abcdé')).toThrow(/not a Z85 character/);
    expect(() => z85Decode('#####')).toThrow(/exceeds 32 bits/);
  });

  it('computes CRC-32 as java.util.zip.CRC32 does', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('Roaring decoding', () => {
  it('the reference encoder reproduces the RoaringFormatSpec test files byte for byte', () => {
    // testdata/bitmapwithoutruns.bin and bitmapwithruns.bin of github.com/RoaringBitmap/RoaringFormatSpec
    // (written by Java's RoaringBitmap), identified by their SHA-256: multiples of 1000 in
    // [0, 100000), multiples of 3 in [300000, 600000), all of [700000, 800000).
    const values: number[] = [];
    for (let k = 0; k < 100000; k += 1000) values.push(k);
    for (let k = 100000; k < 200000; ++k) values.push(3 * k);
    for (let k = 700000; k < 800000; ++k) values.push(k);
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    const withoutRuns = encodeRoaring32(values);
    const withRuns = encodeRoaring32(values, { runs: true });
    expect([withoutRuns.length, sha(withoutRuns)]).toEqual([72616, 'd719ae2e0150a362ef7cf51c361527585891f01460b1a92bcfb6a7257282a442']);
    expect([withRuns.length, sha(withRuns)]).toEqual([48056, '1f1909bfdd354fa2f0694fe88b8076833ca5383ad9fc3f68f2709c84a2ab70e3']);
    for (const bitmap of [withoutRuns, withRuns]) {
      const wrapped = concat([Uint8Array.of(0xd1, 0xd3, 0x39, 0x64, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), bitmap]);
      const deleted = decodeBitmapArray(wrapped, 'reference');
      expect(deleted.cardinality).toBe(values.length);
      expect(rowsOf(deleted)).toEqual(values);
    }
  });

  it('decodes array, bitmap and run containers, with and without the run cookie, across buckets', () => {
    const rows = [
      0, 1, 2, 65535, // array container at the end of a block
      ...Array.from({ length: 5000 }, (_, i) => 65536 + 2 * i), // bitmap container
      ...Array.from({ length: 3000 }, (_, i) => 10 * 65536 + i), // one run
      2 ** 32 + 7, // second bucket
      3 * 2 ** 32 + 65536 * 9 + 4, // a bucket after a gap
      2 ** 52 + 1, // near the largest representable row index
    ].sort((a, b) => a - b);
    for (const options of [{}, { runs: true }, { force: 'run' as const }]) {
      const deleted = decodeBitmapArray(encodeBitmapArray(rows, options), 'hand-built');
      expect(deleted.cardinality).toBe(rows.length);
      expect(rowsOf(deleted)).toEqual(rows);
      for (const row of [0, 3, 65535, 65536, 65537, 65536 + 9998, 65536 + 10000, 10 * 65536 + 2999, 10 * 65536 + 3000, 2 ** 32 + 7, 2 ** 32 + 8, 2 ** 52 + 1]) {
        expect(deleted.has(row)).toBe(rows.includes(row));
      }
    }
    // Fewer than 4 containers with runs: no offset header.
    const small = encodeBitmapArray([1, 2, 3, 100000], { runs: true });
    expect(rowsOf(decodeBitmapArray(small, 'small'))).toEqual([1, 2, 3, 100000]);
    // An empty bitmap (no buckets) and a bucket with an empty bitmap.
    expect(decodeBitmapArray(encodeBitmapArray([]), 'empty').cardinality).toBe(0);
    const emptyBucket = concat([Uint8Array.of(0xd1, 0xd3, 0x39, 0x64, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), encodeRoaring32([])]);
    expect(decodeBitmapArray(emptyBucket, 'empty bucket').cardinality).toBe(0);
  });

  it('decodes the older native RoaringBitmapArray format (magic 1681511376) as Delta Spark does', () => {
    const bucket0 = encodeRoaring32([1, 5]);
    const bucket1 = encodeRoaring32([9]);
    const header = new Uint8Array(8);
    new DataView(header.buffer).setUint32(0, NATIVE_MAGIC, true);
    new DataView(header.buffer).setInt32(4, 2, true);
    const size = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n, true);
      return b;
    };
    const bytes = concat([header, size(bucket0.length), bucket0, size(bucket1.length), bucket1]);
    expect(rowsOf(decodeBitmapArray(bytes, 'native'))).toEqual([1, 5, 2 ** 32 + 9]);
    const wrongSize = concat([header, size(bucket0.length + 1), bucket0, size(bucket1.length), bucket1]);
    expect(() => decodeBitmapArray(wrongSize, 'native')).toThrow(expect.objectContaining({ code: 'CORRUPT_DELETION_VECTOR' }));
  });

  it('rejects malformed bitmaps', () => {
    const good = encodeBitmapArray([1, 2, 3, 70000]);
    const mutate = (f: (b: Uint8Array, v: DataView) => void, from = good) => {
      const b = from.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['truncated', good.subarray(0, good.length - 1), /ends early/],
      ['trailing bytes', concat([good, Uint8Array.of(0)]), /unexpected bytes/],
      ['bad cookie', mutate((_, v) => v.setUint32(16, 999, true)), /cookie/],
      ['array not ascending', mutate((_, v) => v.setUint16(good.length - 4, 0, true)), /not strictly ascending/],
      ['container keys not ascending', mutate((_, v) => v.setUint16(28, 0, true)), /keys are not ascending/],
      ['bucket key with its top bit set', mutate((_, v) => v.setUint32(12, 0x80000000, true)), /most significant bit/],
      ['bucket count beyond the data', mutate((_, v) => v.setUint32(4, 2, true)), /ends early/],
    ];
    for (const [name, bytes, message] of cases) {
      let error: unknown;
      try {
        decodeBitmapArray(bytes, name);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(LakeError);
      expect((error as LakeError).code, name).toBe('CORRUPT_DELETION_VECTOR');
      expect((error as LakeError).message, name).toMatch(message);
    }
    // Buckets out of order.
    const twoBuckets = encodeBitmapArray([1, 2 ** 32 + 1]);
    const swapped = mutate((_, v) => v.setUint32(12 + 4 + encodeRoaring32([1]).length, 0, true), twoBuckets);
    expect(() => decodeBitmapArray(swapped, 'swapped')).toThrow(/bucket keys are not ascending/);
    // A run container overflowing its block, and one whose header cardinality is wrong.
    const run = encodeBitmapArray([65534, 65535], { force: 'run' });
    const runAt = run.length - 4; // [start, length-1] of the only run
    expect(() => decodeBitmapArray(mutate((_, v) => v.setUint16(runAt + 2, 5, true), run), 'run')).toThrow(/overlaps or overflows/);
    expect(() => decodeBitmapArray(mutate((_, v) => v.setUint16(runAt + 2, 0, true), run), 'run')).toThrow(/header says 2/);
    // A bitmap container whose popcount disagrees with its header.
    const dense = encodeBitmapArray(Array.from({ length: 5000 }, (_, i) => i));
    expect(() => decodeBitmapArray(mutate((b) => (b[b.length - 1] = 0xff), dense), 'dense')).toThrow(/header says 5000/);
    // An unknown magic number is a format lake does not know, not corruption.
    expect(() => decodeBitmapArray(mutate((_, v) => v.setUint32(0, 42, true)), 'magic')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DELETION_VECTOR' }));
  });
});

describe('loadDeletionVector from files', () => {
  const descriptorFor = (pathOrInlineDv: string, offset: number, bitmap: Uint8Array, cardinality: number): DeletionVectorDescriptor => ({
    storageType: 'u',
    pathOrInlineDv,
    offset,
    sizeInBytes: bitmap.length,
    cardinality,
  });
  const encodedUuid = z85Encode(Uint8Array.from({ length: 16 }, (_, i) => i * 17));
  const key = `xy/${dvRelativePath(encodedUuid)}`;

  it('reads several vectors of one file by offset', async () => {
    const a = encodeBitmapArray([1, 2, 3]);
    const b = encodeBitmapArray([10, 20]);
    const { bytes, offsets } = dvFile([a, b]);
    const reader = memoryReader({ [key]: bytes });
    expect(rowsOf(await loadDeletionVector(descriptorFor(`xy${encodedUuid}`, offsets[0]!, a, 3), reader))).toEqual([1, 2, 3]);
    expect(rowsOf(await loadDeletionVector(descriptorFor(`xy${encodedUuid}`, offsets[1]!, b, 2), reader))).toEqual([10, 20]);
  });

  it('reads the version byte separately when the vector is far into the file', async () => {
    const big = encodeBitmapArray(Array.from({ length: 40000 }, (_, i) => 3 * i)); // bitmap containers, ~16 KB each
    const filler = [big, big, big, big, big];
    const small = encodeBitmapArray([7]);
    const { bytes, offsets } = dvFile([...filler, small]);
    const offset = offsets[filler.length]!;
    expect(offset).toBeGreaterThan(64 * 1024);
    const ranges: ByteRange[] = [];
    const reader: DvReader = async (file, range) => {
      ranges.push(range);
      return memoryReader({ [key]: bytes })(file, range);
    };
    expect(rowsOf(await loadDeletionVector(descriptorFor(`xy${encodedUuid}`, offset, small, 1), reader))).toEqual([7]);
    expect(ranges.sort((x, y) => x.start - y.start)).toEqual([
      { start: 0, end: 1 },
      { start: offset, end: offset + 4 + small.length + 4 },
    ]);
  });

  it('names the file in every corruption error', async () => {
    const bitmap = encodeBitmapArray([1, 2, 3]);
    const { bytes } = dvFile([bitmap]);
    const descriptor = descriptorFor(`xy${encodedUuid}`, 1, bitmap, 3);
    const load = (file: Uint8Array, d: DeletionVectorDescriptor = descriptor) => loadDeletionVector(d, memoryReader({ [key]: file }));

    const flipped = bytes.slice();
    flipped[10]! ^= 0x01;
    const checksum = await expectLakeError(load(flipped), 'CORRUPT_DELETION_VECTOR', /checksum mismatch/);
    expect(checksum.path).toBe(key);
    expect(checksum.message).toContain(key);

    const badCrc = bytes.slice();
    badCrc[badCrc.length - 1]! ^= 0xff;
    await expectLakeError(load(badCrc), 'CORRUPT_DELETION_VECTOR', /checksum mismatch/);

    await expectLakeError(load(bytes.subarray(0, bytes.length - 2)), 'CORRUPT_DELETION_VECTOR', /ends at byte/);
    await expectLakeError(load(bytes, { ...descriptor, sizeInBytes: bitmap.length - 1 }), 'CORRUPT_DELETION_VECTOR', /size field says/);
    await expectLakeError(load(bytes, { ...descriptor, cardinality: 4 }), 'CORRUPT_DELETION_VECTOR', /holds 3 row indexes, but its descriptor says 4/);
    await expectLakeError(load(bytes, { ...descriptor, offset: 2 }), 'CORRUPT_DELETION_VECTOR');

    const version2 = bytes.slice();
    version2[0] = 2;
    await expectLakeError(load(version2), 'UNSUPPORTED_DELETION_VECTOR', /format version 2/);
  });

  it('turns a range past the end of a real store object into CORRUPT_DELETION_VECTOR; a missing file stays NOT_FOUND', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-dv-'));
    try {
      const store = new LocalStore(dir);
      const bitmap = encodeBitmapArray([4]);
      const { bytes } = dvFile([bitmap, bitmap]);
      const path = dvRelativePath(encodedUuid);
      writeFileSync(join(dir, path), bytes.subarray(0, 20)); // the second vector is gone
      const reader: DvReader = async (file, range) => (await store.get((file as { relativePath: string }).relativePath, { range })).bytes;
      const second = { storageType: 'u' as const, pathOrInlineDv: encodedUuid, offset: 1 + 8 + bitmap.length, sizeInBytes: bitmap.length, cardinality: 1 };
      await expectLakeError(loadDeletionVector(second, reader), 'CORRUPT_DELETION_VECTOR', /ends/);
      await expectLakeError(loadDeletionVector({ ...second, offset: 1 }, reader), 'CORRUPT_DELETION_VECTOR', /ends at byte 20/);
      rmSync(join(dir, path));
      await expectLakeError(loadDeletionVector({ ...second, offset: 1 }, reader), 'NOT_FOUND');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keepMask', () => {
  it('marks deleted rows of a batch, and is undefined when the batch has none', () => {
    const deleted = decodeBitmapArray(encodeBitmapArray([3, 4, 70000, 70001, 2 ** 32]), 'test');
    expect(keepMask(deleted, 0, 3)).toBeUndefined();
    expect(Array.from(keepMask(deleted, 0, 6)!)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(Array.from(keepMask(deleted, 4, 2)!)).toEqual([0, 1]);
    expect(keepMask(deleted, 5, 69995)).toBeUndefined();
    expect(Array.from(keepMask(deleted, 69999, 4)!)).toEqual([1, 0, 0, 1]);
    expect(Array.from(keepMask(deleted, 2 ** 32 - 1, 2)!)).toEqual([1, 0]);
    expect(keepMask(deleted, 0, 0)).toBeUndefined();
    expect(keepMask(NO_DELETED_ROWS, 0, 1000)).toBeUndefined();
  });

  it('agrees with has() for every container kind, and with the generic path over sorted()', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = [
      ...Array.from({ length: 300 }, () => Math.floor(random() * 200000)), // sparse arrays
      ...Array.from({ length: 20000 }, () => 262144 + Math.floor(random() * 65536)), // a dense bitmap block
      ...Array.from({ length: 5000 }, (_, i) => 400000 + i), // a long run
    ];
    const unique = [...new Set(rows)].sort((a, b) => a - b);
    for (const options of [{}, { runs: true }]) {
      const deleted = decodeBitmapArray(encodeBitmapArray(unique, options), 'random');
      const generic: DeletedRows = { cardinality: deleted.cardinality, has: (r) => deleted.has(r), sorted: () => deleted.sorted() };
      for (const [first, count] of [[0, 65536], [60000, 10000], [262000, 66000], [399990, 6000], [404990, 20], [500000, 1000]] as const) {
        const fast = keepMask(deleted, first, count);
        const slow = keepMask(generic, first, count);
        expect(fast === undefined ? undefined : Array.from(fast)).toEqual(slow === undefined ? undefined : Array.from(slow));
        for (let i = 0; i < count; i++) {
          const kept = fast === undefined ? 1 : fast[i];
          if ((kept === 0) !== deleted.has(first + i)) throw new Error(`row ${first + i}: mask ${kept}, has ${deleted.has(first + i)}`);
        }
      }
    }
  });

  it('is cheap per batch for a large vector (10M rows, half deleted in runs)', () => {
    const rows: number[] = [];
    for (let block = 0; block < 10_000_000; block += 2000) for (let i = 0; i < 1000; i++) rows.push(block + i);
    const deleted = decodeBitmapArray(encodeBitmapArray(rows, { runs: true }), 'large');
    expect(deleted.cardinality).toBe(5_000_000);
    const started = performance.now();
    let kept = 0;
    for (let first = 0; first < 10_000_000; first += 65536) {
      const count = Math.min(65536, 10_000_000 - first);
      const mask = keepMask(deleted, first, count);
      for (let i = 0; i < count; i++) kept += mask === undefined ? 1 : mask[i]!;
    }
    expect(kept).toBe(5_000_000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

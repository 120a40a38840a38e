/** Deletion vectors lake writes decode (by lake's reader) to the rows they were made from. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBitmapArray, dvFileOf, loadDeletionVector } from '../../src/delta/deletion-vector.js';
import { encodeBitmapArray, writeDeletionVector } from '../../src/delta/deletion-vector-writer.js';
import { LocalStore } from '../../src/storage/local-store.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SETS: Record<string, number[]> = {
  empty: [],
  sparse: [0, 3, 65_535, 65_536, 200_000],
  dense: Array.from({ length: 10_000 }, (_, i) => i * 2), // > 4096 in one container: a bitmap container
  buckets: [1, 2 ** 32 + 5, 3 * 2 ** 32 + 65_540],
};

describe('deletion vector writer', () => {
  it.each(Object.entries(SETS))('%s: encodes to what the reader decodes', (_, rows) => {
    const decoded = decodeBitmapArray(encodeBitmapArray(rows), 'test');
    expect(decoded.cardinality).toBe(rows.length);
    expect([...decoded.sorted()]).toEqual(rows);
  });

  it('stores a vector in a file that the descriptor locates and the CRC protects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-dv-'));
    dirs.push(dir);
    const store = new LocalStore(dir);
    const descriptor = await writeDeletionVector(store, SETS.sparse!);
    expect(descriptor).toMatchObject({ storageType: 'u', offset: 1, cardinality: 5, maxRowIndex: 200_000 });
    expect(descriptor.pathOrInlineDv).toHaveLength(20);
    const file = dvFileOf(descriptor);
    const rows = await loadDeletionVector(descriptor, async (_, range) => (await store.get((file as { relativePath: string }).relativePath, { range })).bytes);
    expect([...rows.sorted()]).toEqual(SETS.sparse);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LakeError, NetworkError, StorageError } from '../../src/errors.js';
import { openStore } from '../../src/storage/index.js';
import type { ObjectMeta, ObjectStore } from '../../src/storage/object-store.js';
import { detectFormat, isIcebergMetadataKey } from '../../src/table-format.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lake-format-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function touch(...keys: string[]): Promise<void> {
  for (const key of keys) {
    const file = path.join(dir, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{}');
  }
}

const local = () => openStore({ scheme: 'file', path: dir });

async function failure(promise: Promise<unknown>): Promise<LakeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LakeError);
  return error as LakeError;
}

describe('detectFormat on local directories', () => {
  it('detects Delta from _delta_log/', async () => {
    await touch('_delta_log/00000000000000000000.json');
    expect(await detectFormat(local())).toBe('delta');
  });

  it('detects Iceberg from metadata/*.metadata.json, in every naming', async () => {
    await touch('metadata/v1.metadata.json');
    expect(await detectFormat(local())).toBe('iceberg');
    await rm(path.join(dir, 'metadata'), { recursive: true });
    await touch('metadata/00001-6f1c2a34-1b7e-4e0b-9a55-2b6a3c2c4f10.gz.metadata.json', 'metadata/snap-1-1-abc.avro');
    expect(await detectFormat(local())).toBe('iceberg');
  });

  it('does not take other files in metadata/ for Iceberg', async () => {
    await touch('metadata/notes.json', 'metadata/version-hint.text', 'metadata/old/v1.metadata.json');
    const error = await failure(detectFormat(local()));
    expect(error.code).toBe('TABLE_NOT_FOUND');
  });

  it('reports a missing table in one line with the location and what to check', async () => {
    const error = await failure(detectFormat(openStore({ scheme: 'file', path: path.join(dir, 'nothing') })));
    expect(error.code).toBe('TABLE_NOT_FOUND');
    expect(error.message).toBe(
      `no Delta or Iceberg table at ${path.join(dir, 'nothing')}: found neither _delta_log/ nor metadata/*.metadata.json; check the location`,
    );
  });

  it('refuses to guess when both are there, pointing at --format', async () => {
    await touch('_delta_log/00000000000000000000.json', 'metadata/v1.metadata.json');
    const error = await failure(detectFormat(local()));
    expect(error.code).toBe('AMBIGUOUS_FORMAT');
    expect(error.message).toContain('pass --format delta or --format iceberg');
    expect(await detectFormat(local(), { format: 'delta' })).toBe('delta');
    expect(await detectFormat(local(), { format: 'iceberg' })).toBe('iceberg');
  });

  it('checks that an explicit format is there', async () => {
    await touch('_delta_log/00000000000000000000.json');
    const error = await failure(detectFormat(local(), { format: 'iceberg' }));
    expect(error.code).toBe('TABLE_NOT_FOUND');
    expect(error.message).toBe(
      `no Iceberg table at ${dir}: there is no metadata/*.metadata.json file; check the location (or drop --format to detect it)`,
    );
  });
});

/** A store holding `keys` that counts how many listing entries detection pulls. */
function countingStore(keys: string[], failWith?: Error): ObjectStore & { pulled: number } {
  const sorted = [...keys].sort();
  const store = {
    url: 's3://bucket/wh/t',
    pulled: 0,
    async *list(prefix: string): AsyncIterable<ObjectMeta> {
      if (failWith !== undefined) throw failWith;
      for (const key of sorted) {
        if (!key.startsWith(prefix)) continue;
        store.pulled++;
        yield { key, size: 2, lastModified: new Date(0), etag: 'e' };
      }
    },
  };
  return store as unknown as ObjectStore & { pulled: number };
}

describe('detectFormat lists little', () => {
  it('stops at the first Delta log entry', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
    const store = countingStore(keys);
    expect(await detectFormat(store)).toBe('delta');
    expect(store.pulled).toBe(1);
  });

  it('finds v<N>.metadata.json without listing the manifests before it', async () => {
    const manifests = Array.from({ length: 500 }, (_, i) => `metadata/${i.toString(16).padStart(8, '0')}-m0.avro`);
    const store = countingStore([...manifests, 'metadata/snap-1.avro', 'metadata/v1.metadata.json', 'metadata/v2.metadata.json', 'metadata/version-hint.text']);
    expect(await detectFormat(store)).toBe('iceberg');
    expect(store.pulled).toBe(1);
  });

  it('says which table a storage failure is about, keeping its code and retryability', async () => {
    const store = countingStore([], new NetworkError('_delta_log/', 'connect ECONNREFUSED'));
    const error = await failure(detectFormat(store));
    expect(error).toBeInstanceOf(StorageError);
    expect(error.code).toBe('NETWORK');
    expect((error as StorageError).retryable).toBe(true);
    expect(error.message).toBe('s3://bucket/wh/t: _delta_log/: network error talking to the object store (connect ECONNREFUSED)');
  });
});

describe('isIcebergMetadataKey', () => {
  it.each([
    ['metadata/v1.metadata.json', true],
    ['metadata/00000-abc.metadata.json', true],
    ['metadata/v3.gz.metadata.json', true],
    ['metadata/.metadata.json', false],
    ['metadata/v1.metadata.json.tmp', false],
    ['metadata/sub/v1.metadata.json', false],
    ['data/v1.metadata.json', false],
  ])('%s → %s', (key, expected) => expect(isIcebergMetadataKey(key)).toBe(expected));
});

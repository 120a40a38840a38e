import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { collect, describeStoreContract } from './store-contract.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lake-local-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

// The root is a directory that does not exist yet: a store must not need it before writing.
describeStoreContract('local filesystem', { fresh: async () => new LocalStore(path.join(await freshDir(), 'root dir')) });

const text = (s: string) => new TextEncoder().encode(s);

describe('LocalStore specifics', () => {
  it('never shows a partly written file under its final name', async () => {
    const store = new LocalStore(await freshDir());
    const big = new Uint8Array(8 * 1024 * 1024).fill(7);
    await store.put('f', text('small'));
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 5; i++) await store.put('f', i % 2 === 0 ? big : text('small'));
      writing = false;
    })();
    const seenSizes = new Set<number>();
    while (writing) {
      const { bytes } = await store.get('f');
      seenSizes.add(bytes.length);
      for await (const meta of store.list('')) expect(meta.key).toBe('f');
    }
    await writer;
    expect([...seenSizes].every((size) => size === 5 || size === big.length)).toBe(true);
  });

  it('keeps its temporary and lock files out of listings and refuses them as keys', async () => {
    const root = await freshDir();
    const store = new LocalStore(root);
    await store.put('d/real', text('x'));
    await writeFile(path.join(root, 'd', '.lake-tmp-leftover'), 'partial');
    expect(await collect(store.list(''))).toEqual(['d/real']);
    await expect(store.put('d/.lake-tmp-x', text('x'))).rejects.toThrow(UsageError);
  });

  it('removes directories that deletes leave empty, but not the root', async () => {
    const root = await freshDir();
    const store = new LocalStore(root);
    await store.put('p=1/q=2/a.parquet', text('x'));
    await store.put('p=1/b.parquet', text('x'));
    await store.deleteMany(['p=1/q=2/a.parquet']);
    expect(await readdir(path.join(root, 'p=1'))).toEqual(['b.parquet']);
    await store.deleteMany(['p=1/b.parquet']);
    expect(await readdir(root)).toEqual([]);
  });

  it('breaks a stale lock left by a crashed writer', async () => {
    const root = await freshDir();
    const store = new LocalStore(root);
    const { etag } = await store.put('meta/pointer', text('v1'));
    const lock = path.join(root, 'meta', '.lake-lock-pointer');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    await store.put('meta/pointer', text('v2'), { ifMatch: etag });
    expect(new TextDecoder().decode((await store.get('meta/pointer')).bytes)).toBe('v2');
  });

  it('treats a directory as no object', async () => {
    const root = await freshDir();
    await mkdir(path.join(root, 'dir'));
    const store = new LocalStore(root);
    await expect(store.get('dir')).rejects.toThrow(/does not exist/);
    await expect(store.head('dir')).rejects.toThrow(/does not exist/);
  });

  it('requires an absolute root', () => {
    expect(() => new LocalStore('relative/dir')).toThrow(UsageError);
  });
});

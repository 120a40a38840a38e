/**
 * The behaviour every ObjectStore must have, written once and run against each implementation
 * (local directory and a real S3 server): what the formats above rely on.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotFoundError, PreconditionFailed, RangeNotSatisfiableError, UsageError } from '../../src/errors.js';
import { compareKeys, type ObjectStore } from '../../src/storage/object-store.js';

export interface StoreUnderTest {
  /** A fresh, empty store (a new directory or a new S3 prefix) for one test. */
  fresh(): Promise<ObjectStore>;
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

export async function collect(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const meta of iterable) keys.push(meta.key);
  return keys;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

export function describeStoreContract(name: string, target: StoreUnderTest): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it('puts and gets an object, with one etag across put, head and get', async () => {
      const store = await target.fresh();
      const { etag } = await store.put('dir/hello.txt', text('hello world'));
      const head = await store.head('dir/hello.txt');
      const got = await store.get('dir/hello.txt');
      expect(str(got.bytes)).toBe('hello world');
      expect(head).toMatchObject({ key: 'dir/hello.txt', size: 11, etag });
      expect(got.meta).toMatchObject({ key: 'dir/hello.txt', size: 11, etag });
      expect(head.lastModified.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
    });

    it('reports a missing object as NotFoundError naming the key', async () => {
      const store = await target.fresh();
      await expect(store.get('nope/missing.json')).rejects.toThrow(NotFoundError);
      await expect(store.get('nope/missing.json')).rejects.toThrow(/nope\/missing\.json/);
      await expect(store.head('nope/missing.json')).rejects.toThrow(NotFoundError);
    });

    it('replaces an object on an unconditional put', async () => {
      const store = await target.fresh();
      const first = await store.put('k', text('one'));
      const second = await store.put('k', text('two, longer'));
      expect(str((await store.get('k')).bytes)).toBe('two, longer');
      expect(second.etag).not.toBe(first.etag);
    });

    it('reads byte ranges, clipped at the end, and refuses a start past the end', async () => {
      const store = await target.fresh();
      await store.put('range.bin', text('0123456789'));
      expect(str((await store.get('range.bin', { range: { start: 0, end: 4 } })).bytes)).toBe('0123');
      expect(str((await store.get('range.bin', { range: { start: 6 } })).bytes)).toBe('6789');
      expect(str((await store.get('range.bin', { range: { start: 8, end: 100 } })).bytes)).toBe('89');
      expect((await store.get('range.bin', { range: { start: 3, end: 3 } })).bytes.length).toBe(0);
      const ranged = await store.get('range.bin', { range: { start: 2, end: 5 } });
      expect(ranged.meta.size).toBe(10);
      await expect(store.get('range.bin', { range: { start: 10 } })).rejects.toThrow(RangeNotSatisfiableError);
      await expect(store.get('range.bin', { range: { start: 10 } })).rejects.toThrow(/past the object's end/);
      await expect(store.get('range.bin', { range: { start: 5, end: 2 } })).rejects.toThrow(UsageError);
    });

    it('creates only if absent: a second create loses with PreconditionFailed and changes nothing', async () => {
      const store = await target.fresh();
      await store.put('_delta_log/00000000000000000000.json', text('first'), { ifNoneMatch: '*' });
      const loss = store.put('_delta_log/00000000000000000000.json', text('second'), { ifNoneMatch: '*' });
      await expect(loss).rejects.toThrow(PreconditionFailed);
      await expect(loss).rejects.toThrow(/00000000000000000000\.json/);
      expect(str((await store.get('_delta_log/00000000000000000000.json')).bytes)).toBe('first');
    });

    it('lets exactly one of many concurrent creators of a new key win', async () => {
      const store = await target.fresh();
      const writers = 16;
      const outcomes = await Promise.allSettled(
        Array.from({ length: writers }, (_, i) => store.put('race/commit.json', text(`writer ${i}`), { ifNoneMatch: '*' })),
      );
      const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      const losers = outcomes.filter((o) => o.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) expect((loser as PromiseRejectedResult).reason).toBeInstanceOf(PreconditionFailed);
      expect(str((await store.get('race/commit.json')).bytes)).toBe(`writer ${winners[0]}`);
    });

    it('compares and swaps with if-match, accepting quoted etags', async () => {
      const store = await target.fresh();
      const v1 = await store.put('pointer', text('v1'));
      await expect(store.put('pointer', text('bad'), { ifMatch: 'not-the-etag' })).rejects.toThrow(PreconditionFailed);
      const v2 = await store.put('pointer', text('v2'), { ifMatch: `"${v1.etag}"` });
      expect(v2.etag).not.toBe(v1.etag);
      expect((await store.head('pointer')).etag).toBe(v2.etag);
      await expect(store.put('pointer', text('stale'), { ifMatch: v1.etag })).rejects.toThrow(PreconditionFailed);
      expect(str((await store.get('pointer')).bytes)).toBe('v2');
      await expect(store.put('absent', text('x'), { ifMatch: v1.etag })).rejects.toThrow(PreconditionFailed);
    });

    it('lets exactly one of many concurrent compare-and-swaps from one version win', async () => {
      const store = await target.fresh();
      const { etag } = await store.put('cas', text('base'));
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.put('cas', text(`swap ${i}`), { ifMatch: etag })),
      );
      const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(PreconditionFailed);
      expect(str((await store.get('cas')).bytes)).toBe(`swap ${winners[0]}`);
    });

    it('keeps every increment of a counter updated by racing read-modify-write loops', async () => {
      const store = await target.fresh();
      await store.put('counter', text('0'));
      const workers = 4;
      const increments = 5;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let done = 0; done < increments; ) {
            const current = await store.get('counter');
            try {
              await store.put('counter', text(String(Number(str(current.bytes)) + 1)), { ifMatch: current.meta.etag });
              done++;
            } catch (error) {
              if (!(error instanceof PreconditionFailed)) throw error;
            }
          }
        }),
      );
      expect(str((await store.get('counter')).bytes)).toBe(String(workers * increments));
    });

    it('lists more than 1,000 keys in order, by prefix and from a start key, paging transparently', async () => {
      const store = await target.fresh();
      const keys = Array.from({ length: 1105 }, (_, i) => `many/part-${String(i).padStart(5, '0')}.parquet`);
      await inParallel(keys, 32, (key) => store.put(key, text(key)));
      await store.put('many-other/x', text('x'));
      await store.put('manx', text('x'));

      expect(await collect(store.list('many/'))).toEqual(keys);
      expect(await collect(store.list('many/part-010'))).toEqual(keys.slice(1000, 1100));
      expect(await collect(store.list('many/', { startAfter: keys[1099]! }))).toEqual(keys.slice(1100));
      // '-' (0x2D) sorts before '/' (0x2F): 'many-other/x' comes before every 'many/…' key.
      expect(await collect(store.list('many', { startAfter: 'many-other/' }))).toEqual(['many-other/x', ...keys]);
      expect(await collect(store.list('many', { startAfter: 'many-other/x' }))).toEqual(keys);
      expect(await collect(store.list('man'))).toEqual([...keys, 'many-other/x', 'manx'].sort(compareKeys));
      expect(await collect(store.list('absent/'))).toEqual([]);
      const metas = [];
      for await (const meta of store.list('many/part-0000')) metas.push(meta);
      expect(metas[0]).toMatchObject({ key: keys[0], size: keys[0]!.length });
      expect(metas[0]!.etag).toBe((await store.head(keys[0]!)).etag);
    });

    it('orders keys by their UTF-8 bytes, as S3 does', async () => {
      const store = await target.fresh();
      // A filesystem cannot hold a key that is also a prefix of others ('a' and 'a/b'), so the
      // directory-vs-sibling ordering is checked with 'a/…' against 'a-b', 'a0', 'ab', 'a b'.
      const keys = ['A', 'a-b', 'a/b', 'a/c/d', 'a0', 'ab', 'é', 'z', '€', '😀', 'a b', 'a=b', 'a%b'];
      await inParallel(keys, 8, (key) => store.put(`o/${key}`, text(key)));
      const expected = keys.map((k) => `o/${k}`).sort(compareKeys);
      expect(await collect(store.list('o/'))).toEqual(expected);
      expect(await collect(store.list('o/', { startAfter: 'o/a/' }))).toEqual(expected.filter((k) => compareKeys(k, 'o/a/') > 0));
      expect(await collect(store.list('o/', { startAfter: 'o/a/b' }))).toEqual(expected.filter((k) => compareKeys(k, 'o/a/b') > 0));
    });

    it('round-trips keys with spaces, %, =, + and unicode literally', async () => {
      const store = await target.fresh();
      const keys = [
        'date=2024-01-01/part 1.parquet',
        'p=100%/x%20y.bin',
        'city=São Paulo/f+g.parquet',
        '日本語/ファイル.json',
        'emoji/🦆.txt',
        'q/what?#hash&amp;.txt',
      ];
      for (const key of keys) await store.put(key, text(`content of ${key}`));
      for (const key of keys) expect(str((await store.get(key)).bytes)).toBe(`content of ${key}`);
      expect(await collect(store.list(''))).toEqual([...keys].sort(compareKeys));
      const { deleted, failed } = await store.deleteMany(keys);
      expect(failed).toEqual([]);
      expect(deleted.sort()).toEqual([...keys].sort());
      expect(await collect(store.list(''))).toEqual([]);
    });

    it('deletes in batches larger than 1,000, counting missing keys as deleted', async () => {
      const store = await target.fresh();
      const keys = Array.from({ length: 1210 }, (_, i) => `del/${i}`);
      await inParallel(keys, 32, (key) => store.put(key, text('x')));
      await store.put('keep/me', text('x'));
      const { deleted, failed } = await store.deleteMany([...keys, 'del/never-existed']);
      expect(failed).toEqual([]);
      expect(new Set(deleted)).toEqual(new Set([...keys, 'del/never-existed']));
      expect(await collect(store.list(''))).toEqual(['keep/me']);
      expect((await store.deleteMany([])).deleted).toEqual([]);
    });

    it('reports an invalid key among deletes per key, deleting the rest', async () => {
      const store = await target.fresh();
      await store.put('ok', text('x'));
      const { deleted, failed } = await store.deleteMany(['ok', '../escape']);
      expect(deleted).toEqual(['ok']);
      expect(failed.map((f) => f.key)).toEqual(['../escape']);
      expect(failed[0]!.error).toBeInstanceOf(UsageError);
    });

    it('streams a large upload in parts and a small one in one piece', async () => {
      const store = await target.fresh();
      const size = 11 * 1024 * 1024 + 12345;
      const data = randomBytes(size);
      let progress = 0;
      async function* chunks() {
        // Uneven chunk sizes, so parts must be re-assembled across chunk boundaries.
        for (let offset = 0, step = 1; offset < size; offset += step, step = (step * 7919) % 3_000_000 + 1) {
          yield data.subarray(offset, Math.min(size, offset + step));
        }
      }
      const { etag } = await store.upload('big/file.parquet', chunks(), { onProgress: (sent) => (progress = sent) });
      const got = await store.get('big/file.parquet');
      expect(got.bytes.length).toBe(size);
      expect(Buffer.from(got.bytes).equals(data)).toBe(true);
      expect(progress).toBe(size);
      expect((await store.head('big/file.parquet')).etag).toBe(etag);

      async function* small() {
        yield text('tiny ');
        yield text('file');
      }
      await store.upload('small.txt', small());
      expect(str((await store.get('small.txt')).bytes)).toBe('tiny file');
    });

    it('refuses keys that could escape the store root', async () => {
      const store = await target.fresh();
      for (const key of ['../outside', '/absolute', 'a//b', 'a/./b', '']) {
        await expect(store.put(key, text('x'))).rejects.toThrow(UsageError);
        await expect(store.get(key)).rejects.toThrow(UsageError);
      }
    });
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLogFile } from '../../src/delta/log-files.js';
import { listLogFiles, loadLogSegment } from '../../src/delta/log-segment.js';
import { LocalStore } from '../../src/storage/local-store.js';
import type { ObjectStore, ListOptions, ObjectMeta } from '../../src/storage/object-store.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A store with these log files (empty content: segment selection reads names only). */
async function logWith(...names: string[]): Promise<LocalStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lake-log-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  for (const name of names) await store.put(`_delta_log/${name}`, new TextEncoder().encode(name === '_last_checkpoint' ? '' : '{}'));
  return store;
}
const v = (n: number) => String(n).padStart(20, '0');

describe('parseLogFile', () => {
  it('recognizes every kind of log file and nothing else', () => {
    expect(parseLogFile(`_delta_log/${v(7)}.json`)).toMatchObject({ kind: 'commit', version: 7 });
    expect(parseLogFile(`_delta_log/${v(10)}.checkpoint.parquet`)).toMatchObject({ kind: 'checkpoint', naming: 'classic', version: 10 });
    expect(parseLogFile(`_delta_log/${v(10)}.checkpoint.0000000002.0000000003.parquet`)).toMatchObject({ naming: 'multipart', part: 2, parts: 3 });
    expect(parseLogFile(`_delta_log/${v(2)}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json`)).toMatchObject({ naming: 'uuid', format: 'json' });
    expect(parseLogFile(`_delta_log/${v(4)}.${v(6)}.compacted.json`)).toMatchObject({ kind: 'compaction', version: 4, endVersion: 6 });
    for (const other of [`_delta_log/${v(1)}.crc`, '_delta_log/_last_checkpoint', `_delta_log/_sidecars/x.parquet`, `_delta_log/_staged_commits/${v(1)}.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`, `${v(1)}.json`]) {
      expect(parseLogFile(other)).toBeUndefined();
    }
  });
});

describe('loadLogSegment', () => {
  it('starts from the newest checkpoint and takes the commits after it', async () => {
    const store = await logWith(`${v(0)}.json`, `${v(1)}.json`, `${v(2)}.json`, `${v(2)}.checkpoint.parquet`, `${v(3)}.json`, `${v(4)}.json`);
    const segment = await loadLogSegment(store);
    expect(segment.version).toBe(4);
    expect(segment.checkpoint?.version).toBe(2);
    expect(segment.commits.map((c) => c.version)).toEqual([3, 4]);
    expect(segment.commitAtVersion?.version).toBe(4);
  });

  it('time-travels to a version before the newest checkpoint', async () => {
    const store = await logWith(`${v(0)}.json`, `${v(1)}.json`, `${v(2)}.json`, `${v(2)}.checkpoint.parquet`, `${v(3)}.json`);
    const segment = await loadLogSegment(store, { version: 1 });
    expect(segment.checkpoint).toBeUndefined();
    expect(segment.commits.map((c) => c.version)).toEqual([0, 1]);
  });

  it('lists from the _last_checkpoint version, not from zero', async () => {
    const store = await logWith(`${v(0)}.json`, `${v(1)}.json`, `${v(1)}.checkpoint.parquet`, `${v(2)}.json`);
    await store.put('_delta_log/_last_checkpoint', new TextEncoder().encode('{"version":1,"size":3}'));
    const starts: (string | undefined)[] = [];
    const spy: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
        starts.push(options?.startAfter);
        return store.list(prefix, options);
      },
    });
    const segment = await loadLogSegment(spy);
    expect(segment.checkpoint?.version).toBe(1);
    expect(starts).toEqual([`_delta_log/${v(1)}`]);
  });

  it('falls back to listing when _last_checkpoint is corrupt or stale', async () => {
    const corrupt = await logWith(`${v(0)}.json`, `${v(1)}.json`);
    await corrupt.put('_delta_log/_last_checkpoint', new TextEncoder().encode('{"version": 1, trunc'));
    expect((await loadLogSegment(corrupt)).commits.map((c) => c.version)).toEqual([0, 1]);
    const stale = await logWith(`${v(0)}.json`, `${v(1)}.json`, `${v(2)}.json`);
    await stale.put('_delta_log/_last_checkpoint', new TextEncoder().encode('{"version":1}')); // its checkpoint is gone
    expect((await loadLogSegment(stale)).commits.map((c) => c.version)).toEqual([0, 1, 2]);
  });

  it('ignores a multi-part checkpoint with a missing part', async () => {
    const store = await logWith(
      `${v(0)}.json`, `${v(1)}.json`, `${v(1)}.checkpoint.0000000001.0000000002.parquet`, `${v(1)}.checkpoint.0000000002.0000000002.parquet`,
      `${v(2)}.json`, `${v(3)}.json`, `${v(3)}.checkpoint.0000000001.0000000002.parquet`,
    );
    const segment = await loadLogSegment(store);
    expect(segment.checkpoint?.version).toBe(1);
    expect(segment.checkpoint?.files.map((f) => (f.naming === 'multipart' ? f.part : 0))).toEqual([1, 2]);
    expect(segment.commits.map((c) => c.version)).toEqual([2, 3]);
  });

  it('replays a log compaction file instead of the commits it covers, when it fits the segment', async () => {
    const store = await logWith(`${v(0)}.json`, `${v(1)}.json`, `${v(2)}.json`, `${v(3)}.json`, `${v(1)}.${v(2)}.compacted.json`, `${v(2)}.${v(9)}.compacted.json`);
    const segment = await loadLogSegment(store);
    expect(segment.replay.map((f) => [f.firstVersion, f.lastVersion])).toEqual([[0, 0], [1, 2], [3, 3]]);
    expect(segment.commits.map((c) => c.version)).toEqual([0, 1, 2, 3]);
    const early = await loadLogSegment(store, { version: 1 });
    expect(early.replay.map((f) => [f.firstVersion, f.lastVersion])).toEqual([[0, 0], [1, 1]]);
  });

  it('names the missing version when commits are not contiguous', async () => {
    const store = await logWith(`${v(0)}.json`, `${v(2)}.json`);
    await expect(loadLogSegment(store)).rejects.toMatchObject({ code: 'LOG_VERSIONS_NOT_CONTIGUOUS' });
    await expect(loadLogSegment(store)).rejects.toThrow(/missing version 1 \(versions jump from 0 to 2\)/);
  });

  it('refuses versions that do not exist or were cleaned up', async () => {
    const store = await logWith(`${v(3)}.checkpoint.parquet`, `${v(3)}.json`, `${v(4)}.json`);
    await expect(loadLogSegment(store, { version: 9 })).rejects.toThrow(/version 9 does not exist; the latest version is 4/);
    await expect(loadLogSegment(store, { version: 1 })).rejects.toThrow(/version 1 can no longer be read.*earliest readable version is 3/);
    expect((await loadLogSegment(store, { version: 3 })).commits).toEqual([]);
  });

  it('says there is no table when the log is empty', async () => {
    const store = await logWith();
    await expect(loadLogSegment(store)).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
    expect(await listLogFiles(store, 0)).toEqual([]);
  });
});

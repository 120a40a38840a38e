import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action } from '../../src/delta/actions.js';
import { DeltaSnapshot } from '../../src/delta/snapshot.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { parseLocation } from '../../src/storage/location.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const v = (n: number) => String(n).padStart(20, '0');
const add = (p: string): Action => ({ add: { path: p, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } });
const remove = (p: string): Action => ({ remove: { path: p, dataChange: true } });
const lines = (actions: Action[]) => new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n'));

async function table(files: Record<string, Action[]>): Promise<{ store: LocalStore; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lake-snapshot-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  for (const [name, actions] of Object.entries(files)) await store.put(`_delta_log/${name}`, lines(actions));
  return { store, dir };
}

const start: Action[] = [
  { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
  { metaData: { id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: [], configuration: {} } },
  add('a'),
];

describe('DeltaSnapshot with log compaction', () => {
  it('gives the same state from a compaction as from its commits, without reading them', async () => {
    const commits = {
      [`${v(0)}.json`]: start,
      [`${v(1)}.json`]: [add('b')],
      [`${v(2)}.json`]: [remove('a'), add('c')],
      [`${v(3)}.json`]: [{ commitInfo: { operation: 'WRITE', timestamp: 5 } }, add('d')],
    };
    const plain = await table(commits);
    const compacted = await table({ ...commits, [`${v(1)}.${v(2)}.compacted.json`]: [add('b'), add('c'), remove('a')] });
    const read: string[] = [];
    const spy: ObjectStore = Object.assign(Object.create(compacted.store) as ObjectStore, {
      get: (key: string, options?: object) => {
        read.push(key);
        return compacted.store.get(key, options);
      },
    });
    const a = await DeltaSnapshot.load(plain.store, parseLocation(plain.dir));
    const b = await DeltaSnapshot.load(spy, parseLocation(compacted.dir));
    const names = (s: DeltaSnapshot) => s.files.map((f) => f.path).sort();
    expect(names(b)).toEqual(['b', 'c', 'd']);
    expect(names(b)).toEqual(names(a));
    expect(b.tombstones.map((t) => t.path)).toEqual(['a']);
    expect(b.commitInfo?.operation).toBe('WRITE');
    expect(read).not.toContain(`_delta_log/${v(1)}.json`);
    expect(read).not.toContain(`_delta_log/${v(2)}.json`);
  });
});
